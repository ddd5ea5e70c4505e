"""Train one model from the Hydra configs in configs/.

To run: python scripts/train.py [experiment=spectral_bias_1d] [model.width=512] [-m for sweeps]
        python scripts/train.py resume=outputs/<group>/<name>/<date_time> [trainer.max_steps=...]
"""

import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from callbacks.finite_loss import NonFiniteLossError
from ibias.run.config import ConfigError, register_schemas
from ibias.run.train import train_from_command_line

register_schemas()


@hydra.main(version_base="1.3", config_path="../configs", config_name="train")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    try:
        train_from_command_line(cfg, hydra_cfg.runtime.output_dir, hydra_cfg.overrides.task)
    except (ConfigError, NonFiniteLossError) as err:  # the message says what to change; no traceback needed
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
