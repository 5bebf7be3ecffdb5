"""Generate the clustered 2x2 example used for the CR1 check against R sandwich.

Run from the repository root: .venv/bin/python tests/reference/did/make_cr1_data.py
"""
import numpy as np
import pandas as pd

rng = np.random.default_rng(20261128)
rows = []
for nb in range(24):                      # 24 neighbourhoods, unequal sizes
    treated = int(nb < 11)
    size = int(rng.integers(8, 40))
    u_nb = rng.normal(scale=0.8)
    for i in range(size):
        age = int(rng.integers(18, 90))
        for post in (0, 1):
            y = (5 + 0.7 * treated + 0.3 * post - 0.9 * treated * post + u_nb
                 + 0.02 * (age - 50) + rng.normal(scale=1.5 + 0.5 * treated))
            rows.append(dict(neighbourhood=f"W{nb:02d}", id=f"{nb}-{i}", treated=treated,
                             post=post, age=age, y=round(y, 6)))
pd.DataFrame(rows).to_csv("tests/reference/did/cr1_data.csv", index=False)
