"""Plain nn.Modules (no Lightning), registered by name for configs and sweeps."""

from .cnn import XuCNN, xu_cnn
from .cnn1d import CNN1D, cnn1d
from .factorization import MatrixFactorization, matrix_factorization
from .linear import Linear, linear
from .mlp import MLP, mlp
from .registry import MODELS, build_model, register_model
from .resnet import PreActResNet18, ResNet9, resnet9, resnet18k
from .two_layer import TwoLayerReLU, two_layer_relu

__all__ = ["CNN1D", "MLP", "MODELS", "build_model", "cnn1d", "mlp", "register_model"]
__all__ += ["PreActResNet18", "ResNet9", "XuCNN", "resnet9", "resnet18k", "xu_cnn"]
__all__ += ["Linear", "MatrixFactorization", "linear", "matrix_factorization", "TwoLayerReLU", "two_layer_relu"]
