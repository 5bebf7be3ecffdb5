"""Cross-check values for staggered(..., allow_unbalanced_panel=True) from csdid 0.4.3.

csdid (PyPI, a port of R did) is not an evalkit dependency; install it to regenerate.
Data: mpdta with 150 random rows removed (seed 1) -> mpdta_unbalanced.csv.
Run from the repository root:
    .venv/bin/python tests/reference/did/make_csdid_unbalanced_reference.py
"""
import contextlib
import importlib.metadata as md
import io
import json
import warnings

import numpy as np
import pandas as pd
from csdid.att_gt import ATTgt

warnings.simplefilter("ignore")
d = pd.read_csv("tests/reference/did/mpdta.csv")
rng = np.random.default_rng(1)
du = d.drop(index=rng.choice(len(d), size=150, replace=False)).reset_index(drop=True)
du.to_csv("tests/reference/did/mpdta_unbalanced.csv", index=False, float_format="%.17g")
out = {"source": f"csdid {md.version('csdid')}, allow_unbalanced_panel=True, "
                 "control_group='nevertreated', est_method='dr', bstrap=False"}
with contextlib.redirect_stdout(io.StringIO()):
    m = ATTgt(yname="lemp", tname="year", idname="countyreal", gname="first.treat", data=du,
              control_group=["nevertreated"], allow_unbalanced_panel=True)
    m.fit(est_method="dr", bstrap=False)
    out["att"] = np.asarray(m.results["att"], dtype=float).tolist()
    out["se"] = np.asarray(m.results["se"], dtype=float).tolist()
    for k in ("simple", "group", "dynamic", "calendar"):
        m.aggte(typec=k, bstrap=False)
        out[k] = {"overall_att": float(m.atte["overall_att"]),
                  "overall_se": float(m.atte["overall_se"])}
with open("tests/reference/did/csdid_unbalanced.json", "w") as f:
    json.dump(out, f, indent=1)
print("written")
