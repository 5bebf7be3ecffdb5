"""cr1_data.csv with holes, for the review spot-check (run once; writes cr1_missing.csv):
missing covariate values, a missing outcome, a second (binary) covariate, and one
neighbourhood that keeps a single observation after listwise deletion."""
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
d = pd.read_csv(HERE.parent / "did" / "cr1_data.csv")
rng = np.random.default_rng(11)
d["female"] = rng.integers(0, 2, len(d))
d.loc[rng.choice(len(d), 40, replace=False), "age"] = np.nan
d.loc[rng.choice(len(d), 15, replace=False), "y"] = np.nan
last = d["neighbourhood"].unique()[-1]
keep = d.index[d["neighbourhood"] == last][:1]
d = d.drop(d.index[(d["neighbourhood"] == last) & ~d.index.isin(keep)])
d.loc[keep, ["age", "y"]] = d.loc[keep, ["age", "y"]].fillna(50)
d.to_csv(HERE / "cr1_missing.csv", index=False)
