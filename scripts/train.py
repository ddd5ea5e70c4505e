"""Train one model from the Hydra configs in configs/.

To run: python scripts/train.py [experiment=spectral_bias_1d] [model.width=512] [-m for sweeps]
"""

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from ibias.run.config import register_schemas
from ibias.run.train import train

register_schemas()


@hydra.main(version_base="1.3", config_path="../configs", config_name="train")
def main(cfg: DictConfig) -> None:
    train(cfg, HydraConfig.get().runtime.output_dir)


if __name__ == "__main__":
    main()
