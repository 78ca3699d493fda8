"""minigrad.nn: layers, models and their parameters (PyTorch's torch.nn, in small).

    module.py      Parameter, Module: registration, parameters(), state_dict(), repr
    container.py   Sequential
    linear.py      Linear, Identity, Flatten
    activation.py  ReLU, Sigmoid, Tanh, Softmax, LogSoftmax
    init.py        initial values: uniform_, normal_, kaiming_uniform_, xavier_uniform_, ...
    functional.py  the same operations as functions (F.relu, F.cross_entropy, ...)
"""
from minigrad.nn.activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minigrad.nn.container import Sequential
from minigrad.nn.linear import Flatten, Identity, Linear
from minigrad.nn.module import Module, Parameter

from . import functional as functional
from . import init as init

__all__ = [
    "Module", "Parameter", "Sequential",
    "Linear", "Identity", "Flatten",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "functional", "init",
]
