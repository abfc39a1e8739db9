"""Training and evaluation of the learned allocators."""
