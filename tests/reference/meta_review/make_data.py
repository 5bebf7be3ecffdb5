"""Small meta-analysis cases for the review spot-check (run once; writes cases.csv)."""
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
rows = []
# k = 2 with clear heterogeneity
rows += [("k2", -0.50, 0.04), ("k2", 0.30, 0.05)]
# k = 2 homogeneous but not identical: REML and DL truncate tau2 at 0
rows += [("k2_tau0", -0.20, 0.04), ("k2_tau0", -0.15, 0.06)]
# k = 5 with Q < df: tau2 at the boundary 0
rows += [("k5_tau0", y, v) for y, v in [(0.10, 0.02), (0.12, 0.03), (0.08, 0.025), (0.11, 0.04), (0.09, 0.05)]]
# k = 3 with large and unequal variances (REML close to, but above, the boundary)
rows += [("k3", y, v) for y, v in [(0.0, 0.01), (0.35, 0.20), (-0.10, 0.30)]]
pd.DataFrame(rows, columns=["case", "yi", "vi"]).to_csv(HERE / "cases.csv", index=False)
