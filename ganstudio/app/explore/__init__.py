"""The Explore page (issue 6): an exported generator's latent space at the speed of a slider.

Everything here imports only PySide6, ganstudio.infer and torch-free app helpers (never torch or
ganstudio.core), so the torch-free Player can ship it; tests/test_app_explore.py checks that."""

from ganstudio.app.explore.page import ExplorePage

__all__ = ["ExplorePage"]
