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
from evalkit.core.checks import check_lang
from evalkit.core.errors import EstimationError, ParameterError
from evalkit.core.i18n import error, t
from evalkit.reports import disclosure
from evalkit.reports.compute import Snapshot
from evalkit.reports.content import Column, Figure, Page, Ref, Table, Text

__all__ = ["SNAPSHOT_FILE", "finalize", "index_page", "load_snapshot"]

SNAPSHOT_FILE = "_all.pkl"


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
    tidy = res.tidy().set_index("term")
    out: dict[str, Any] = {
        "estimate": float(tidy.loc["pooled", "estimate"]),
        "std_error": float(tidy.loc["pooled", "std_error"]),
        "ci_lower": float(tidy.loc["pooled", "ci_lower"]),
        "ci_upper": float(tidy.loc["pooled", "ci_upper"]),
        "p_value": float(tidy.loc["pooled", "p_value"]),
        "k": len(ok),
        "n_total": int(ok["n_pairs"].sum()),
    }
    if "i2" in tidy.index:
        out["i2"] = float(tidy.loc["i2", "estimate"])
    if "prediction" in tidy.index:
        out["pi_lower"] = float(tidy.loc["prediction", "ci_lower"])
        out["pi_upper"] = float(tidy.loc["prediction", "ci_upper"])
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
    title = title or t("pages.overview.title", lang)
    page = Page(title=title, lang=lang)
    page.meta["heading"] = title
    if example_data:
        page.banner = Text(
            t("pages.overview.example_data", lang),
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
                t("pages.overview.below_floor", lang, min_cell=policy.min_cell),
                style="banner",
            )
        )
    top.add(
        Text(
            t(
                "pages.overview.made",
                lang,
                coalitions=t(
                    "pages.overview.coalitions.one" if n_all == 1 else "pages.overview.coalitions.many",
                    lang,
                    n=n_all,
                ),
                reports=t(
                    "pages.overview.reports.one" if n_ok == 1 else "pages.overview.reports.many", lang, n=n_ok
                ),
                n_failed=n_fail,
                version=__version__,
                today=today,
            )
        )
    )
    pooled = (snapshot.pooled if snapshot else {}) or {}
    if "estimate" in pooled:
        sec = page.section("pooled", t("pages.overview.pooled.heading", lang))
        for k in ("estimate", "ci_lower", "ci_upper"):
            page.q(f"pooled.{k}", pooled[k], "estimate", group_n=pooled.get("n_total"), digits=2)
        page.q("pooled.k", pooled["k"], "fixed", fmt="int")
        sec.add(Text(t("pages.overview.pooled.text", lang)))
        shown = (
            snapshot.table.dropna(subset=["mean_diff", "ci_lower", "ci_upper"])
            if snapshot
            else pd.DataFrame()
        )
        if len(shown):
            shown = shown.sort_values("mean_diff")
            rows = [
                (str(r.coalition_name), float(r.mean_diff), float(r.ci_lower), float(r.ci_upper))
                for r in shown.itertuples()
            ]
            sec.add(
                Figure(
                    "forest",
                    {
                        "rows": rows,
                        "pooled": (pooled["estimate"], pooled["ci_lower"], pooled["ci_upper"]),
                        "pooled_label": t("pages.overview.pooled.label", lang),
                        "xlabel": t("pages.overview.pooled.xlabel", lang),
                    },
                    alt=Text(t("pages.overview.pooled.alt", lang)),
                    caption=t("pages.overview.pooled.caption", lang),
                )
            )
    sec = page.section("coalitions", t("pages.overview.per_coalition", lang))
    status_lab = {
        "ok": t("pages.overview.status.ok", lang),
        "skipped": t("pages.overview.status.skipped", lang),
        "failed": t("pages.overview.status.failed", lang),
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
            row["n"] = t("pages.overview.see_error_page", lang)
        elif kf and "n_pairs" not in qs:
            row["n"] = t("pages.overview.not_shown", lang)
        for col, a, b in (("means", "mean_pre", "mean_post"), ("share", "share_pre", "share_post")):
            if a in qs and b in qs:
                row[col] = (Ref(f"{code}.{a}"), Ref(f"{code}.{b}"))
        if all(x in qs for x in ("mean_diff", "ci_lower", "ci_upper")):
            row["change"] = (Ref(f"{code}.mean_diff"), Ref(f"{code}.ci_lower"), Ref(f"{code}.ci_upper"))
        table_rows.append(row)
    sec.add(_CoalitionTable(table_rows, lang))
    sec.add(
        Text(
            t("pages.overview.not_ranked", lang),
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
        exc = error(
            disclosure.DisclosureError,
            "pages.overview.error.privacy",
            violations="; ".join(v.message for v in bad[:5]),
        )
        exc.violations = list(bad)
        raise exc
    return rendered.html, rec


class _CoalitionTable(Table):
    """The overview table: links and combined cells (before -> after, change [CI])."""

    def __init__(self, rows: list[dict], lang: str):
        cols = [
            Column("name", t("pages.overview.column.name", lang)),
            Column("code", "Code"),
            Column("status", "Status"),
            Column("n", t("pages.overview.column.n", lang)),
            Column("means", t("pages.overview.column.means", lang)),
            Column("change", t("pages.overview.column.change", lang)),
            Column("share", t("pages.overview.column.share", lang)),
            Column("link", t("pages.overview.column.link", lang)),
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


def _render_coalition_table(c: Any, table: _CoalitionTable) -> str:
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

    head = "".join(f"<th>{_h.escape(col.label)}</th>" for col in table.columns)
    body = []
    for r in table.items:
        link = r["_link"]
        txt = t("pages.overview.link.failed" if r["_failed"] else "pages.overview.link.ok", table.lang)
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
