"""GAN Studio: train small GANs on your own pictures, export them, explore them."""

__version__ = "0.1.0"
