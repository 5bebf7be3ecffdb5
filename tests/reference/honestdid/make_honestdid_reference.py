"""Reference values from the Python package honestdid 0.1.1 (a port of R HonestDiD) on
evalkit's example panel: the Callaway & Sant'Anna dynamic aggregation of the bundled
municipal panel (control="notyet", base_period="universal"), effect at e = 0.

Run once (needs honestdid, which pulls in torch and cvxpy; not a test dependency):
    .venv/bin/python tests/reference/honestdid/make_honestdid_reference.py
Writes honestdid_panel.json with the inputs (betahat, sigma) and honestdid's
intervals:
- relative magnitudes, Mbar = 0.5, C-LF, honestdid's default grid (+-20 SE around 0),
  together with honestdid's least-favourable draws (numpy RandomState(0)
  multivariate_normal, 1000 per polyhedron) so that the test can replay them;
- smoothness FLCI for M = 0 and 0.1, with honestdid's simulated folded-normal
  quantile replaced by the exact one (honestdid otherwise draws 10^6 normals).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

import evalkit
from evalkit.methods.did import staggered
from evalkit.methods.did._honest_core import folded_normal_quantile
from evalkit.methods.did.honest import _event_path

import honestdid  # noqa: E402
import honestdid.core as hcore  # noqa: E402

OUT = Path(__file__).with_name("honestdid_panel.json")


def main() -> None:
    panel = evalkit.datasets.load("municipal_panel")
    r = staggered(panel, outcome="lonely_pct", unit="municipality_code", time="year",
                  first_treated="joined_year", control="notyet", base_period="universal")
    ev, b, V, _ = _event_path(r.aggregate("dynamic"))
    npre, npost = int((ev < 0).sum()), int((ev >= 0).sum())
    sd = float(np.sqrt(V[npre, npre]))
    out: dict = {"package": f"honestdid {honestdid.__version__}", "event_time": ev.tolist(),
                 "betahat": b.tolist(), "sigma": V.tolist(), "n_pre": npre, "n_post": npost}
    t0 = time.time()
    rm = honestdid.createSensitivityResults_relativeMagnitudes(
        b, V, npre, npost, Mbarvec=[0.5], grid_lb=-20 * sd, grid_ub=20 * sd)
    out["relative_magnitudes"] = {"mbar": 0.5, "grid_lb": -20 * sd, "grid_ub": 20 * sd,
                                  "lb": float(rm["lb"].iloc[0]),
                                  "ub": float(rm["ub"].iloc[0]),
                                  "seconds": time.time() - t0}

    def exact(p, mu=0.0, sd=1.0, numSims=None, seed=0):
        mus = np.atleast_1d(np.asarray(mu, dtype=float))
        q = np.array([folded_normal_quantile(p, m) for m in mus])
        return q if np.ndim(mu) else float(q[0])

    hcore._qfoldednormal = exact
    out["smoothness"] = []
    for M in (0.0, 0.1):
        t0 = time.time()
        sd_res = honestdid.createSensitivityResults(b, V, npre, npost, Mvec=[M])
        out["smoothness"].append({"m": M, "lb": float(sd_res["lb"].iloc[0]),
                                  "ub": float(sd_res["ub"].iloc[0]),
                                  "seconds": time.time() - t0})
    OUT.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
