"""Across coalitions: the pooled estimate, the snapshot every report compares with, and
the overview page ``index.html`` (itself disclosed, rendered and audited like a report).

Only numbers a coalition's own page shows travel here (the disclosed key numbers); a
coalition under its threshold shows no numbers in the overview either.
"""

from __future__ import annotations

import datetime as _dt
import pickle
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._version import __version__
from evalkit.core import i18n
from evalkit.core.checks import check_lang
from evalkit.core.errors import EstimationError, ParameterError
from evalkit.reports import disclosure
from evalkit.reports.compute import Snapshot
from evalkit.reports.content import Column, Figure, Page, Ref, Table, Text

__all__ = ["SNAPSHOT_FILE", "finalize", "index_page", "load_snapshot"]

SNAPSHOT_FILE = "_all.pkl"


def _T(nl: str, en: str, lang: str) -> str:
    return i18n.t({"nl": nl, "en": en}, lang)


def _pool(table: pd.DataFrame) -> dict[str, Any] | None:
    """Random-effects pooling of the coalitions' mean changes (evalkit.meta)."""
    from evalkit.methods import meta

    ok = table.dropna(subset=["mean_diff", "std_error"])
    ok = ok[ok["std_error"].astype(float) > 0]
    if len(ok) < 2:
        return None
    res = meta.random_effects(
        ok, estimate="mean_diff", std_error="std_error", label="coalition_name", method="REML"
    )
    t = res.tidy().set_index("term")
    out: dict[str, Any] = {
        "estimate": float(t.loc["pooled", "estimate"]),
        "std_error": float(t.loc["pooled", "std_error"]),
        "ci_lower": float(t.loc["pooled", "ci_lower"]),
        "ci_upper": float(t.loc["pooled", "ci_upper"]),
        "p_value": float(t.loc["pooled", "p_value"]),
        "k": len(ok),
        "n_total": int(ok["n_pairs"].sum()),
    }
    if "i2" in t.index:
        out["i2"] = float(t.loc["i2", "estimate"])
    if "prediction" in t.index:
        out["pi_lower"] = float(t.loc["prediction", "ci_lower"])
        out["pi_upper"] = float(t.loc["prediction", "ci_upper"])
    return out


def finalize(keys: dict[str, dict], *, cache_dir: str | Path | None = None) -> Snapshot:
    """The snapshot of all coalitions (disclosed key numbers + pooled estimate); stored as
    ``<cache_dir>/_all.pkl`` when ``cache_dir`` is given."""
    cols = [
        "coalition_code",
        "coalition_name",
        "n_pairs",
        "mean_diff",
        "sd_diff",
        "std_error",
        "ci_lower",
        "ci_upper",
    ]
    rows = [{c: k.get(c) for c in cols} for k in keys.values() if k]
    table = pd.DataFrame(rows, columns=cols)
    for c in cols[2:]:
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    table = table.sort_values("coalition_code").reset_index(drop=True)
    try:
        pooled = _pool(table) or {}
    except (EstimationError, ParameterError, ValueError) as exc:
        pooled = {"error": type(exc).__name__}
    snap = Snapshot(table=table, pooled=pooled, date=_dt.date.today().isoformat())
    if cache_dir is not None:
        from evalkit.reports.files import atomic_write

        atomic_write(Path(cache_dir) / SNAPSHOT_FILE, pickle.dumps(snap, protocol=4))
    return snap


def load_snapshot(cache_dir: str | Path) -> Snapshot | None:
    p = Path(cache_dir) / SNAPSHOT_FILE
    if not p.is_file():
        return None
    with open(p, "rb") as fh:
        snap = pickle.load(fh)
    return snap if isinstance(snap, Snapshot) else None


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def index_page(
    table: pd.DataFrame,
    keys: dict[str, dict],
    snapshot: Snapshot | None,
    *,
    lang: str = "nl",
    title: str | None = None,
    example_data: bool = False,
    policy: disclosure.Policy | None = None,
) -> tuple[str, dict]:
    """``index.html`` and its disclosure record: status per coalition, key numbers (only
    those the coalition's page shows), links, the pooled estimate and a forest plot."""
    from evalkit.reports.html import render_page

    check_lang(lang)
    title = title or _T(
        "Rapporten lokale coalities tegen eenzaamheid",
        "Reports of the local coalitions against loneliness",
        lang,
    )
    page = Page(title=title, lang=lang)
    page.meta["heading"] = title
    if example_data:
        page.banner = Text(
            _T(
                "Voorbeeldgegevens: deze rapporten zijn gemaakt met verzonnen "
                "deelnemers en verzonnen vergelijkingscijfers.",
                "Example data: these reports were made with invented "
                "participants and invented reference figures.",
                lang,
            ),
            style="banner",
        )
    policy = policy or disclosure.Policy()
    n_all = len(table)
    n_ok = int(table["status"].isin(["ok", "skipped"]).sum())
    n_fail = int((table["status"] == "failed").sum())
    top = page.section("overview", "")
    today = _dt.date.today().isoformat()
    if policy.below_floor:
        top.add(
            Text(
                _T(
                    f"Let op: de privacydrempel is met een uitdrukkelijke uitzondering "
                    f"(min_cell_override) verlaagd naar {policy.min_cell}, onder de standaardgrens van 10.",
                    f"Note: the privacy threshold was lowered to {policy.min_cell} with an explicit "
                    "exception (min_cell_override), below the standard floor of 10.",
                    lang,
                ),
                style="banner",
            )
        )
    top.add(
        Text(
            _T(
                f"{n_all} {_plural(n_all, 'coalitie', 'coalities')}: {n_ok} "
                f"{_plural(n_ok, 'rapport', 'rapporten')}, {n_fail} niet gemaakt. Gemaakt met evalkit "
                f"{__version__} op {today}.",
                f"{n_all} {_plural(n_all, 'coalition', 'coalitions')}: {n_ok} "
                f"{_plural(n_ok, 'report', 'reports')}, {n_fail} not made. Made with evalkit "
                f"{__version__} on {today}.",
                lang,
            )
        )
    )
    pooled = (snapshot.pooled if snapshot else {}) or {}
    if "estimate" in pooled:
        sec = page.section("pooled", _T("Alle coalities samen", "All coalitions together", lang))
        for k in ("estimate", "ci_lower", "ci_upper"):
            page.q(f"pooled.{k}", pooled[k], "estimate", group_n=pooled.get("n_total"), digits=2)
        page.q("pooled.k", pooled["k"], "fixed", fmt="int")
        sec.add(
            Text(
                _T(
                    "Over [[pooled.k]] coalities samen veranderde de eenzaamheidsscore gemiddeld "
                    "[[pooled.estimate]] punt (95%-betrouwbaarheidsinterval [[pooled.ci_lower]] tot "
                    "[[pooled.ci_upper]]). Coalities verschillen onderling; de methodebijlage van elk "
                    "rapport legt de berekening uit.",
                    "Across [[pooled.k]] coalitions together the loneliness score changed on average by "
                    "[[pooled.estimate]] points (95% confidence interval [[pooled.ci_lower]] to "
                    "[[pooled.ci_upper]]). Coalitions differ; the method appendix of each report "
                    "explains the computation.",
                    lang,
                )
            )
        )
        t = (
            snapshot.table.dropna(subset=["mean_diff", "ci_lower", "ci_upper"])
            if snapshot
            else pd.DataFrame()
        )
        if len(t):
            t = t.sort_values("mean_diff")
            rows = [
                (str(r.coalition_name), float(r.mean_diff), float(r.ci_lower), float(r.ci_upper))
                for r in t.itertuples()
            ]
            sec.add(
                Figure(
                    "forest",
                    {
                        "rows": rows,
                        "pooled": (pooled["estimate"], pooled["ci_lower"], pooled["ci_upper"]),
                        "pooled_label": _T("Alle samen", "All together", lang),
                        "xlabel": _T(
                            "Verandering in eenzaamheidsscore (punten, na - voor)",
                            "Change in loneliness score (points, post - pre)",
                            lang,
                        ),
                    },
                    alt=Text(
                        _T(
                            "Forestplot van de gemiddelde verandering per coalitie met de "
                            "onzekerheid; alle samen [[pooled.estimate]] punt.",
                            "Forest plot of the mean change per coalition with its "
                            "uncertainty; all together [[pooled.estimate]] points.",
                            lang,
                        )
                    ),
                    caption=_T(
                        "Vierkantje: gemiddelde verandering van een coalitie; streep: het "
                        "95%-betrouwbaarheidsinterval; ruit en gestippelde lijn: alle "
                        "coalities samen; doorgetrokken lijn: geen verandering.",
                        "Square: a coalition's mean change; line: its 95% confidence "
                        "interval; diamond and dashed line: all coalitions together; solid "
                        "line: no change.",
                        lang,
                    ),
                )
            )
    sec = page.section("coalitions", _T("Per coalitie", "Per coalition", lang))
    status_lab = {
        "ok": _T("klaar", "done", lang),
        "skipped": _T("klaar (ongewijzigd)", "done (unchanged)", lang),
        "failed": _T("niet gemaakt", "not made", lang),
    }
    table_rows: list[dict[str, Any]] = []
    for rec in table.sort_values(["coalition_name", "coalition_code"]).to_dict(orient="records"):
        code = str(rec["coalition_code"])
        kf = keys.get(code) or {}
        st = str(rec["status"])
        row: dict[str, Any] = {
            "name": str(rec["coalition_name"]),
            "code": code,
            "status": status_lab.get(st, st),
            "n": "",
            "means": "",
            "change": "",
            "share": "",
            "_link": rec.get("html") or "",
            "_failed": st == "failed",
        }
        qs = kf.get("quantities", {}) if st != "failed" else {}
        for kid, spec in qs.items():
            page.q(
                f"{code}.{kid}",
                spec["value"],
                spec["kind"],
                group_n=spec.get("group_n"),
                in_n=spec.get("in_n"),
                fmt=spec.get("fmt", "num"),
                digits=spec.get("digits", 1),
            )
        if "n_pairs" in qs:
            row["n"] = Ref(f"{code}.n_pairs")
        if st == "failed":
            row["n"] = _T("zie de foutpagina", "see the error page", lang)
        elif kf and "n_pairs" not in qs:
            row["n"] = _T("niet getoond (te weinig deelnemers)", "not shown (too few participants)", lang)
        for col, a, b in (("means", "mean_pre", "mean_post"), ("share", "share_pre", "share_post")):
            if a in qs and b in qs:
                row[col] = (Ref(f"{code}.{a}"), Ref(f"{code}.{b}"))
        if all(x in qs for x in ("mean_diff", "ci_lower", "ci_upper")):
            row["change"] = (Ref(f"{code}.mean_diff"), Ref(f"{code}.ci_lower"), Ref(f"{code}.ci_upper"))
        table_rows.append(row)
    sec.add(_CoalitionTable(table_rows, lang))
    sec.add(
        Text(
            _T(
                "Coalities worden niet gerangschikt: kleine coalities wijken door toeval "
                "meer af. Zie het trechterdiagram in elk rapport.",
                "Coalitions are not ranked: small coalitions deviate more by chance. See "
                "the funnel plot in each report.",
                lang,
            ),
            style="note",
        )
    )
    d = disclosure.apply(page, policy)
    rendered = render_page(d, numbered=False)
    rec = disclosure.record(
        d, rendered.displays, page_html=rendered.html, page_name="index.html", places=rendered.places
    )
    bad = disclosure.audit_record(rec, page_html=rendered.html)
    if bad:
        raise disclosure.DisclosureError(
            "index.html voldoet niet aan de privacyregels: " + "; ".join(v.message for v in bad[:5]), bad
        )
    return rendered.html, rec


class _CoalitionTable(Table):
    """The overview table: links and combined cells (before -> after, change [CI])."""

    def __init__(self, rows: list[dict], lang: str):
        cols = [
            Column("name", _T("Gemeente", "Municipality", lang)),
            Column("code", "Code"),
            Column("status", "Status"),
            Column("n", _T("Deelnemers met voor- en nameting", "Participants with pre- and post-test", lang)),
            Column("means", _T("Score voor → na (0-11)", "Score before → after (0-11)", lang)),
            Column("change", _T("Verandering [95%-BI]", "Change [95% CI]", lang)),
            Column("share", _T("Eenzaam voor → na", "Lonely before → after", lang)),
            Column("link", _T("Rapport", "Report", lang)),
        ]
        super().__init__(cols, [])
        self.items = rows
        self.lang = lang

    def ids(self) -> list[str]:
        out: list[str] = []
        for r in self.items:
            for v in r.values():
                for x in v if isinstance(v, tuple) else (v,):
                    if isinstance(x, Ref):
                        out.append(x.id)
        return out


def _render_coalition_table(c: Any, t: _CoalitionTable) -> str:
    import html as _h

    def cell(v: Any, sep: str = " → ") -> str:
        if isinstance(v, Ref):
            return c.html_number(v.id, short=True)
        if isinstance(v, tuple) and len(v) == 3:
            return (
                f"{c.html_number(v[0].id, short=True)} [{c.html_number(v[1].id, short=True)}"
                f"; {c.html_number(v[2].id, short=True)}]"
            )
        if isinstance(v, tuple):
            return sep.join(c.html_number(x.id, short=True) for x in v)
        return _h.escape(str(v))

    head = "".join(f"<th>{_h.escape(col.label)}</th>" for col in t.columns)
    body = []
    for r in t.items:
        link = r["_link"]
        txt = _T("fouten bekijken", "see errors", t.lang) if r["_failed"] else _T("openen", "open", t.lang)
        cls = "status-failed" if r["_failed"] else "status-ok"
        cells = [
            cell(r["name"]),
            cell(r["code"]),
            f'<span class="{cls}">{cell(r["status"])}</span>',
            cell(r["n"]),
            cell(r["means"]),
            cell(r["change"]),
            cell(r["share"]),
            f'<a href="{_h.escape(link)}">{txt}</a>' if link else "",
        ]
        body.append(
            f'<tr data-code="{_h.escape(r["code"])}">' + "".join(f"<td>{x}</td>" for x in cells) + "</tr>"
        )
    return f'<table id="coalitions"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _register() -> None:
    from evalkit.reports import html as _html_mod

    _html_mod.CUSTOM_BLOCKS[_CoalitionTable] = _render_coalition_table


_register()
