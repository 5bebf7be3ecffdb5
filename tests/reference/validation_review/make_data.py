"""Ordinal data with unused categories for the review spot-check (run once; writes
ordinal_gaps.csv): item a never uses code 2 (a gap inside the scale), item b never uses
the top code 4 of its 0-4 scale, items c and d use every category."""
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
rng = np.random.default_rng(20261128)
n = 400
f = rng.normal(size=n)
z = 0.7 * f[:, None] + np.sqrt(1 - 0.49) * rng.normal(size=(n, 4))
cuts = [-1.0, -0.2, 0.5, 1.3]
codes = np.digitize(z, cuts)                 # 0..4
codes[:, 0] = np.where(codes[:, 0] == 2, 3, codes[:, 0])  # a: code 2 unused
codes[:, 1] = np.minimum(codes[:, 1], 3)     # b: code 4 unused
pd.DataFrame(codes, columns=list("abcd")).to_csv(HERE / "ordinal_gaps.csv", index=False)
