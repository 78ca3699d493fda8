"""minigrad.nn: layers, models and their parameters (PyTorch's torch.nn, in small).

    module.py      Parameter, Module: registration, parameters(), state_dict(), repr
    container.py   Sequential
    linear.py      Linear, Identity, Flatten
    activation.py  ReLU, Sigmoid, Tanh, Softmax, LogSoftmax
    init.py        initial values: uniform_, normal_, kaiming_uniform_, xavier_uniform_, ...
    loss.py        the losses as modules, with their math: MSELoss, CrossEntropyLoss, ...
    functional.py  the same operations as functions (F.relu, F.cross_entropy, ...)
"""
from minigrad.nn.activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minigrad.nn.container import Sequential
from minigrad.nn.linear import Flatten, Identity, Linear
from minigrad.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, HuberLoss, KLDivLoss,
                              L1Loss, MSELoss, MultiMarginLoss, NLLLoss, SmoothL1Loss)
from minigrad.nn.module import Module, Parameter

from . import functional as functional
from . import init as init

__all__ = [
    "Module", "Parameter", "Sequential",
    "Linear", "Identity", "Flatten",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "KLDivLoss", "HingeLoss",
    "functional", "init",
]
