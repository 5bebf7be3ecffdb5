"""Simulated youth-like data with known uniform DIF for the DIF reference (issue 8).

12 items y01..y12 scored 0-4 from a graded response model; item y05 is harder for
girls (all its thresholds shifted by +0.9 on the latent scale: uniform DIF by gender).
Run: .venv/bin/python tests/reference/dif/make_data.py  (writes youth_dif.csv)
"""
from pathlib import Path

import numpy as np
import pandas as pd


def simulate(n=1200, seed=20261128, dif_item=4, shift=0.9):
    rng = np.random.default_rng(seed)
    J = 12
    a = np.linspace(1.1, 2.2, J)
    b = np.sort(rng.normal(0, 0.9, (J, 4)), axis=1) + np.array([-0.9, -0.3, 0.3, 0.9])
    gender = rng.choice(np.array(["jongen", "meisje"]), size=n)
    theta = rng.normal(size=n) + 0.2 * (gender == "meisje")
    bb = np.broadcast_to(b, (n, J, 4)).copy()
    bb[gender == "meisje", dif_item, :] += shift
    pstar = 1 / (1 + np.exp(-a[None, :, None] * (theta[:, None, None] - bb)))
    y = (rng.uniform(size=(n, J))[:, :, None] < pstar).sum(axis=2)
    df = pd.DataFrame(y, columns=[f"y{j + 1:02d}" for j in range(J)])
    df.insert(0, "gender", gender)
    return df


if __name__ == "__main__":
    simulate().to_csv(Path(__file__).with_name("youth_dif.csv"), index=False)
