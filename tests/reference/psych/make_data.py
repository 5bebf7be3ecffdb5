"""Generate the small simulated data sets the R reference scripts read (run once).

Seeded, so re-running reproduces the CSV files byte for byte.
"""
from pathlib import Path

import numpy as np
import pandas as pd

here = Path(__file__).parent
rng = np.random.default_rng(20261128)

# Likert items 0-4, one factor, item 3 reverse keyed, a few missing answers.
n, p = 250, 6
eta = rng.normal(size=n)
lam = np.array([0.8, 0.7, -0.6, 0.75, 0.5, 0.65])
latent = eta[:, None] * lam + rng.normal(size=(n, p)) * np.sqrt(1 - lam**2)
cuts = np.array([-1.2, -0.4, 0.4, 1.2])
items = (latent[..., None] > cuts).sum(axis=2).astype(float)
mask = rng.random((n, p)) < 0.03
items[mask] = np.nan
likert = pd.DataFrame(items, columns=[f"i{j + 1}" for j in range(p)])
likert.to_csv(here / "likert.csv", index=False, na_rep="NA")

# Score against a binary reference classification (for ROC / pROC).
m = 180
ref = (rng.random(m) < 0.35).astype(int)
score = np.round(rng.normal(loc=10 + 3 * ref, scale=3.0), 0)  # ties on purpose
pd.DataFrame({"score": score, "reference": ref}).to_csv(
    here.parent / "proc" / "roc.csv", index=False)
