"""G and D, built from a ModelConfig."""

from ganstudio.core.models.discriminator import Discriminator
from ganstudio.core.models.generator import Generator

__all__ = ["Discriminator", "Generator"]
