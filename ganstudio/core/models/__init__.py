"""G and D, built from a ModelConfig."""

import torch

from ganstudio.core.config import ModelConfig
from ganstudio.core.models.discriminator import Discriminator
from ganstudio.core.models.generator import Generator

__all__ = ["Discriminator", "Generator", "build_discriminator"]


def build_discriminator(cfg: ModelConfig) -> torch.nn.Module:
    """The discriminator the config names."""
    if cfg.discriminator == "projected":
        from ganstudio.core.models.projected import ProjectedDiscriminator

        return ProjectedDiscriminator(cfg)
    return Discriminator(cfg)
