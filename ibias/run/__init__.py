"""The training run: LightningModules, config schemas, optimizers, the W&B logger and `train(cfg)`."""
