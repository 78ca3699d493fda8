"""minigrad.nn: layers, models and their parameters (PyTorch's torch.nn, in small).

    module.py         Parameter, Module: registration, parameters(), buffers, state_dict(), repr
    container.py      Sequential
    linear.py         Linear, Identity, Flatten
    activation.py     ReLU, Sigmoid, Tanh, Softmax, LogSoftmax, LeakyReLU, GELU, Softplus
    dropout.py        Dropout (train() drops, eval() passes through)
    batchnorm.py      BatchNorm1d (batch statistics in training, running ones in eval)
    normalization.py  LayerNorm
    sparse.py         Embedding (a learned vector per index; padding_idx)
    init.py           initial values: uniform_, normal_, kaiming_uniform_, xavier_uniform_, ...
    loss.py           the losses as modules, with their math: MSELoss, CrossEntropyLoss, ...
    functional.py     the same operations as functions (F.relu, F.dropout, F.cross_entropy, ...)
    utils/            clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters
"""
from minigrad.nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from minigrad.nn.batchnorm import BatchNorm1d
from minigrad.nn.container import Sequential
from minigrad.nn.dropout import Dropout
from minigrad.nn.linear import Flatten, Identity, Linear
from minigrad.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, HuberLoss, KLDivLoss,
                              L1Loss, MSELoss, MultiMarginLoss, NLLLoss, SmoothL1Loss)
from minigrad.nn.module import Module, Parameter
from minigrad.nn.normalization import LayerNorm
from minigrad.nn.sparse import Embedding

from . import functional as functional
from . import init as init
from . import utils as utils

__all__ = [
    "Module", "Parameter", "Sequential",
    "Linear", "Identity", "Flatten",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "LeakyReLU", "GELU", "Softplus",
    "Dropout", "BatchNorm1d", "LayerNorm", "Embedding",
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "KLDivLoss", "HingeLoss",
    "functional", "init", "utils",
]
