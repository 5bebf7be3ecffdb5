"""Write the input of mixed.R: the bundled example coalitions (synthetic, seeded), DJG-11
total per measurement, intervention group only. Run from the project root:

    .venv/bin/python tests/reference/prepost_mixed/make_input.py
"""
from pathlib import Path

import evalkit

df = evalkit.datasets.load("interventions")
df["total"] = evalkit.scales.score(df, "djg11")["total"].astype(float)
df = df[df["group"] == "intervention"]
out = df[["municipality_code", "participant_id", "wave", "age", "total"]]
out.to_csv(Path(__file__).with_name("input.csv"), index=False)
