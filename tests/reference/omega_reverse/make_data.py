"""Seeded synthetic answers for the reverse-keyed omega check (audit edge case 5).

15 six-point items, n = 600: one general factor and three group factors (items 1-5, 6-10,
11-15); items 1, 3, 7, 9, 12 and 14 are worded in the opposite direction and NOT reverse-keyed
(their loadings are negative). Run from the project root:

    .venv/bin/python tests/reference/omega_reverse/make_data.py
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261207)
n, k = 600, 15
g = rng.normal(size=n)
s = rng.normal(size=(n, 3))
lam_g = rng.uniform(0.45, 0.7, k)
lam_s = rng.uniform(0.3, 0.5, k)
sign = np.ones(k)
sign[[0, 2, 6, 8, 11, 13]] = -1.0
latent = np.empty((n, k))
for j in range(k):
    latent[:, j] = sign[j] * (lam_g[j] * g + lam_s[j] * s[:, j // 5]) + rng.normal(
        scale=np.sqrt(1 - lam_g[j] ** 2 - lam_s[j] ** 2), size=n)
cuts = np.array([-1.5, -0.7, 0.0, 0.7, 1.5])
answers = 1 + (latent[:, :, None] > cuts).sum(axis=2)
df = pd.DataFrame(answers, columns=[f"q{j + 1}" for j in range(k)])
df.to_csv(Path(__file__).with_name("items.csv"), index=False)
