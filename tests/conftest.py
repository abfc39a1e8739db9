"""Strict numerics for the whole suite (STYLE.md, after equinox)."""

import jax

jax.config.update("jax_numpy_rank_promotion", "raise")
