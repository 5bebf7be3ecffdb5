"""Cross-check values for evalkit.did.staggered from moderndid (Python port of R did).

moderndid 0.2 (PyPI) on mpdta; analytic (non-bootstrap) standard errors.
Run from the repository root:
    .venv/bin/python tests/reference/did/make_moderndid_reference.py
Writes tests/reference/did/moderndid_mpdta.json. Tests read only the JSON.
"""
import json
import warnings

import moderndid
import numpy as np

warnings.simplefilter("ignore")
data = moderndid.load_mpdta()
specs = {
    "never_varying": dict(),
    "never_varying_lpop": dict(xformla="~lpop"),
    "notyet_varying": dict(control_group="notyettreated"),
    "never_universal": dict(base_period="universal"),
    "notyet_universal_lpop": dict(control_group="notyettreated", base_period="universal",
                                  xformla="~lpop"),
    "notyet_varying_anticipation1": dict(control_group="notyettreated", anticipation=1),
    "rcs_never_varying": dict(panel=False),
    "rcs_never_varying_lpop": dict(panel=False, xformla="~lpop"),
}
out = {"source": f"moderndid {moderndid.__version__}, mpdta, est_method='dr', boot=False"}
for name, kw in specs.items():
    r = moderndid.att_gt(data=data, yname="lemp", tname="year", idname="countyreal",
                         gname="first.treat", boot=False, **kw)
    spec = {"groups": np.asarray(r.groups).tolist(), "times": np.asarray(r.times).tolist(),
            "att": np.asarray(r.att_gt).tolist(), "se": np.asarray(r.se_gt).tolist(),
            "wald_pvalue": None if r.wald_pvalue is None else float(r.wald_pvalue)}
    for kind in ("simple", "group", "dynamic", "calendar"):
        try:
            a = moderndid.aggte(r, type=kind, boot=False, cband=False)
        except ValueError as exc:  # moderndid 0.2 aggte fails for panel=False
            spec[kind] = {"error": str(exc)}
            continue
        entry = {"overall_att": float(a.overall_att), "overall_se": float(a.overall_se)}
        if kind != "simple":
            entry["labels"] = np.asarray(a.event_times).tolist()
            entry["att"] = np.asarray(a.att_by_event).tolist()
            entry["se"] = np.asarray(a.se_by_event).tolist()
        spec[kind] = entry
    if name == "never_varying":
        # event-time restrictions of aggte: balance_e, min_e, max_e
        extra = {}
        for label, kw in {"balance_e1": dict(balance_e=1), "e_m2_2": dict(min_e=-2, max_e=2),
                          "max_e1": dict(max_e=1)}.items():
            for kind in ("simple", "group", "dynamic"):
                a = moderndid.aggte(r, type=kind, boot=False, cband=False, **kw)
                entry = {"kwargs": kw, "overall_att": float(a.overall_att),
                         "overall_se": float(a.overall_se)}
                if kind != "simple":
                    entry["att"] = np.asarray(a.att_by_event).tolist()
                    entry["se"] = np.asarray(a.se_by_event).tolist()
                extra[f"{label}_{kind}"] = entry
        spec["restricted"] = extra
    out[name] = spec
with open("tests/reference/did/moderndid_mpdta.json", "w") as f:
    json.dump(out, f, indent=1)
print("written")
