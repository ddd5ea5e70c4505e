"""ibias: a PyTorch Lightning framework for studying implicit regularization."""

__version__ = "0.1.0"
