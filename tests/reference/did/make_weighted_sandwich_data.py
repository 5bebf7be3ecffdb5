"""Data for the weighted 2x2 and TWFE checks against R sandwich.

- cr1_weighted.csv: cr1_data.csv plus a sampling weight per person (constant over the
  two periods), uniform(0.3, 3) from numpy.random.default_rng(11) in order of first
  appearance;
- twfe_weighted.csv: simulate_staggered(120, seed=4) (columns unit, time, y, treated, g,
  cluster) plus a weight per unit, uniform(0.3, 3) from default_rng(12).
Run from the repository root:
    .venv/bin/python tests/reference/did/make_weighted_sandwich_data.py
    Rscript tests/reference/did/weighted_sandwich.R
"""
import numpy as np
import pandas as pd

from evalkit.methods.did import simulate_staggered

d = pd.read_csv("tests/reference/did/cr1_data.csv")
ids = d["id"].unique()
w = pd.Series(np.random.default_rng(11).uniform(0.3, 3.0, ids.size), index=ids)
d["w"] = d["id"].map(w).round(6)
d.to_csv("tests/reference/did/cr1_weighted.csv", index=False)
p = simulate_staggered(120, seed=4)[["unit", "time", "y", "treated", "g", "cluster"]]
u = np.unique(p["unit"])
wu = pd.Series(np.random.default_rng(12).uniform(0.3, 3.0, u.size), index=u)
p["w"] = p["unit"].map(wu).round(6)
p["y"] = p["y"].round(8)
p.to_csv("tests/reference/did/twfe_weighted.csv", index=False)
