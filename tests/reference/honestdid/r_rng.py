"""R's default random numbers in numpy, to replay R HonestDiD's simulations exactly.

R: ``RNGkind("Mersenne-Twister", "Inversion")``; ``set.seed(s)`` scrambles the seed
with the LCG ``seed = 69069 * seed + 1`` (50 times, then once per state word: 625
words, the first of which is the position, reset to 624), and ``rnorm`` draws two
uniforms per normal: ``u = (floor(2^27 u1) + u2) / 2^27``, ``qnorm(u)`` (R's
``src/main/RNG.c`` and ``src/nmath/snorm.c``). numpy's MT19937 with the same key
produces the same 32-bit words. Used only by the tests (the product uses exact
quantiles and numpy's own generator).
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtri

__all__ = ["r_rnorm"]

_I2_32M1 = 2.328306437080797e-10  # 1 / (2^32 - 1), R's fixup of 0 and 1


def _mt_after_set_seed(seed: int) -> np.random.MT19937:
    s = seed & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    words = []
    for _ in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        words.append(s)
    bg = np.random.MT19937()
    bg.state = {"bit_generator": "MT19937",
                "state": {"key": np.array(words[1:], dtype=np.uint32), "pos": 624}}
    return bg


def r_rnorm(n: int, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); rnorm(n)`` as R computes it."""
    bg = _mt_after_set_seed(seed)
    raw = bg.random_raw(2 * n).astype(np.float64) * 2.3283064365386963e-10
    raw = np.where(raw <= 0.0, 0.5 * _I2_32M1, raw)
    raw = np.where(1.0 - raw <= 0.0, 1.0 - 0.5 * _I2_32M1, raw)
    u1, u2 = raw[0::2], raw[1::2]
    big = 134217728.0
    return ndtri((np.floor(big * u1) + u2) / big)
