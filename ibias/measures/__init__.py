"""Analysis maths: pure functions on tensors (spectra, filtering, norms, path norm, complexity, matrices).

Imports torch, numpy and scipy only, never Lightning, W&B or Hydra, so every function is usable in a
notebook and testable against closed forms. The callbacks decide when to call them.
"""
