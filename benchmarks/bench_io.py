"""Benchmark: read and validate 100,000 intervention rows.

Run: ``.venv/bin/python benchmarks/bench_io.py [N_ROWS]``. Writes a synthetic file
(semicolon CSV with Dutch answer words, and an .xlsx of 20,000 rows) to a temporary
directory, then times ``evalkit.read`` and ``evalkit.validate``. Prints the best of 3.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import evalkit
from evalkit.data.codebook import municipalities


def make_frame(n_rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_part = n_rows // 2
    mun = municipalities().sample(40, random_state=seed)
    idx = rng.integers(0, len(mun), n_part)
    pid = np.array([f"P{i:07d}" for i in range(n_part)])
    df = pd.DataFrame(
        {
            "municipality_code": np.repeat(mun["gm_code"].to_numpy()[idx], 2),
            "municipality_name": np.repeat(mun["name"].to_numpy()[idx], 2),
            "intervention": "Maatjesproject",
            "intervention_type": "maatje",
            "participant_id": np.repeat(pid, 2),
            "wave": np.tile(["pre", "post"], n_part),
            "date": np.tile(["15-03-2024", "2024-09-01"], n_part),
            "group": np.repeat(rng.choice(["intervention", "comparison"], n_part), 2),
            "age": rng.integers(18, 100, n_part * 2),
            "gender": rng.choice(["man", "vrouw", "anders"], n_part * 2),
            "education": rng.choice(["laag", "midden", "hoog"], n_part * 2),
        }
    )
    words = np.array(["ja", "min of meer", "nee"])
    for k in range(1, 12):
        df[f"djg{k}"] = words[rng.integers(0, 3, len(df))]
    return df


def best_of(fn, k: int = 3) -> float:
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(n_rows: int = 100_000) -> None:
    df = make_frame(n_rows)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "big.csv"
        df.to_csv(csv_path, sep=";", index=False, encoding="utf-8-sig")
        t_read = best_of(lambda: evalkit.read(csv_path, "intervention"))
        typed = evalkit.read(csv_path, "intervention")
        t_val_typed = best_of(lambda: evalkit.validate(typed, "intervention"))
        t_val_raw = best_of(lambda: evalkit.validate(df, "intervention"))
        bad = df.copy()
        bad["age"] = bad["age"].astype(object)
        bad.loc[::10, "age"] = "abc"  # 10% wrong types
        bad.loc[1::20, "djg3"] = "4"  # 5% unknown codes
        t_val_bad = best_of(lambda: evalkit.validate(bad, "intervention"))
        n_err = len(evalkit.validate(bad, "intervention").errors)
        xlsx_rows = min(n_rows, 20_000)
        xlsx_path = Path(tmp) / "big.xlsx"
        df.head(xlsx_rows).to_excel(xlsx_path, index=False)
        t_xlsx = best_of(lambda: evalkit.read(xlsx_path, "intervention"), k=1)
    print(f"rows: {n_rows:,} x {df.shape[1]} columns")
    print(f"read CSV (semicolon, Dutch answer words, BOM) + validate: {t_read:.2f} s")
    print(f"validate typed DataFrame:                               {t_val_typed:.2f} s")
    print(f"validate raw string DataFrame:                          {t_val_raw:.2f} s")
    print(f"validate with {n_err:,} errors:                          {t_val_bad:.2f} s")
    print(f"read XLSX ({xlsx_rows:,} rows, openpyxl) + validate:      {t_xlsx:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
