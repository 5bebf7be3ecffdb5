"""Input data of tests/test_prepost_checks.py (run once; the CSV is committed).

Long data with what the prepost authors' tests do not cover: string ids with leading
zeros (``"007"``), units measured only at pre, only at post or only at follow-up, a
``followup`` wave, missing outcomes in one wave, and units listed in shuffled order.
"""
import numpy as np
import pandas as pd

rng = np.random.default_rng(20261128)
n = 60
ids = [f"{i:03d}" for i in range(1, n + 1)]
pre = rng.integers(0, 12, n).astype(float)
post = np.clip(pre - rng.integers(-2, 4, n), 0, 11).astype(float)
fu = np.clip(post + rng.integers(-2, 3, n), 0, 11).astype(float)
gender = rng.choice(["man", "vrouw"], n)
age = rng.integers(60, 95, n)
rows = []
for i, u in enumerate(ids):
    if i % 11 != 5:                     # some units have no pre row at all
        rows.append((u, "pre", pre[i], gender[i], age[i]))
    if i % 7 != 3:                      # some units have no post row (drop-outs)
        rows.append((u, "post", np.nan if i % 13 == 4 else post[i], gender[i], age[i]))
    if i % 3 == 0:
        rows.append((u, "followup", fu[i], gender[i], age[i]))
rows.append(("999", "followup", 4.0, "man", 80))          # only a follow-up row
df = pd.DataFrame(rows, columns=["id", "wave", "total", "gender", "age"])
df.loc[df.sample(frac=0.1, random_state=1).index, "total"] = np.nan   # missing outcomes
df = df.sample(frac=1.0, random_state=2).reset_index(drop=True)       # shuffled order
df.to_csv("long.csv", index=False)
