"""Cross-check values for staggered(weights=..., est_method=...) from csdid 0.4.3 and
moderndid 0.2.0 (both ports of R did; neither is an evalkit runtime dependency).

Data: mpdta with one sampling weight per county, uniform(0.5, 2) from
numpy.random.default_rng(7) in sorted county order (column ``w``) ->
mpdta_weighted.csv.
- csdid (R did's weighted cohort shares P(G=g) in the aggregations): ATT(g,t), analytic
  SEs and the four aggregations, without covariates and with lpop (dr, reg, ipw).
- moderndid: ATT(g,t) and SEs for the same specifications. Its aggte() ignores the
  sampling weights in the cohort shares (att_gt leaves ``weights_ind`` empty, aggte then
  falls back to equal weights), so its weighted aggregations are not used.
Run from the repository root:
    .venv/bin/python tests/reference/did/make_weighted_reference.py
"""
import contextlib
import importlib.metadata as md
import io
import json
import warnings

import moderndid
import numpy as np
import pandas as pd
from csdid.att_gt import ATTgt

warnings.simplefilter("ignore")
d = pd.read_csv("tests/reference/did/mpdta.csv")
counties = np.unique(d["countyreal"])
w = pd.Series(np.random.default_rng(7).uniform(0.5, 2.0, counties.size), index=counties)
d["w"] = d["countyreal"].map(w)
d.to_csv("tests/reference/did/mpdta_weighted.csv", index=False, float_format="%.17g")
out = {"source": f"csdid {md.version('csdid')} and moderndid {md.version('moderndid')}; "
                 "control_group never treated, base_period varying, no bootstrap"}
for cov in (None, "lpop"):
    for em in (("dr",) if cov is None else ("dr", "reg", "ipw")):
        for wname in (None, "w"):
            key = f"{cov or 'nocov'}_{em}_{wname or 'unweighted'}"
            rec = {}
            with contextlib.redirect_stdout(io.StringIO()):
                m = ATTgt(yname="lemp", tname="year", idname="countyreal",
                          gname="first.treat", data=d, control_group=["nevertreated"],
                          xformla=f"lemp ~ {cov}" if cov else None, weights_name=wname)
                m.fit(est_method=em, bstrap=False)
                rec["csdid_att"] = np.asarray(m.results["att"], dtype=float).tolist()
                rec["csdid_se"] = np.asarray(m.results["se"], dtype=float).tolist()
                for k in ("simple", "group", "dynamic", "calendar"):
                    m.aggte(typec=k, bstrap=False)
                    rec[k] = {"overall_att": float(m.atte["overall_att"]),
                              "overall_se": float(m.atte["overall_se"])}
            r = moderndid.att_gt(d, yname="lemp", tname="year", idname="countyreal",
                                 gname="first.treat", xformla=f"~{cov}" if cov else None,
                                 weightsname=wname, est_method=em, boot=False)
            rec["moderndid_att"] = np.asarray(r.att_gt, dtype=float).tolist()
            rec["moderndid_se"] = np.asarray(r.se_gt, dtype=float).tolist()
            out[key] = rec
with open("tests/reference/did/weighted_reference.json", "w") as f:
    json.dump(out, f, indent=1)
print("written")
