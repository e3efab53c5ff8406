"""Cached access to runs (models, datasets, encodings, the numbers pages show), and the numbers about
q(z|x) built on them."""
