"""Paths through latent space: pure numpy, no model. Slerp for z (Gaussian latents live near a
sphere, and a straight line between two of them cuts through its low-density middle), lerp for w."""

from __future__ import annotations

import numpy as np

from ganstudio.infer.generator import z_for_seed


def slerp(a: np.ndarray, b: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Spherical interpolation from a (t=0) to b (t=1); [len(t), D] for an array t."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)[..., None]
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:  # (anti)parallel enough that sin(omega) ~ 0: a line is the same path
        return lerp(a, b, t[..., 0])
    out = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return out.astype(np.float32)


def lerp(a: np.ndarray, b: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    t = np.asarray(t, np.float64)[..., None]
    return ((1 - t) * np.asarray(a, np.float64) + t * np.asarray(b, np.float64)).astype(np.float32)


def path(keys: np.ndarray, frames: int, *, loop: bool = False, spherical: bool = True) -> np.ndarray:
    """`frames` points through the key latents [K, D], evenly spaced in key index. An open path starts
    and ends exactly on the first and last key; a loop returns towards the first without repeating it."""
    keys = np.asarray(keys, np.float32)
    if len(keys) < 2:
        raise ValueError("an interpolation needs at least two latents")
    if frames < 2:
        raise ValueError("an interpolation needs at least two frames")
    if loop:
        keys = np.concatenate([keys, keys[:1]])
        positions = np.arange(frames) * (len(keys) - 1) / frames
    else:
        positions = np.linspace(0, len(keys) - 1, frames)
    blend = slerp if spherical else lerp
    out = np.empty((frames, keys.shape[1]), np.float32)
    for i, pos in enumerate(positions):
        k = min(int(pos), len(keys) - 2)
        out[i] = blend(keys[k], keys[k + 1], pos - k)
    return out


def random_walk_keys(seed: int, latent_dim: int, count: int = 4) -> np.ndarray:
    """The key latents of a looping random walk from `seed`: the seed's own latent first, then
    `count - 1` more from a stream of their own (not other seeds' latents)."""
    others = np.random.default_rng([seed, count]).standard_normal((count - 1, latent_dim), dtype=np.float32)
    return np.concatenate([z_for_seed(seed, latent_dim)[None], others])
