"""Draw the figures of a report from disclosed figure data (matplotlib, PNG bytes).

Only values the disclosure layer allows are drawn: a suppressed bar or point is left out
and its label says "niet getoond". Bar labels use the unit of the axis (percentages on a
percentage axis). Numeric ticks get Dutch decimal commas; category labels and names are
never reformatted.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np

from evalkit.reports.content import Figure, Ref
from evalkit.reports.disclosure import DisclosedPage

__all__ = ["draw"]

_Z95, _Z998 = 1.959964, 3.090232


def _val(d: DisclosedPage, x: object) -> float | None:
    if isinstance(x, Ref):
        return d.value(x.id)
    if x is None:
        return None
    return float(x)  # type: ignore[arg-type]


def _fmt_axis(ax, lang: str) -> None:
    """Decimal commas on numeric axes only (never on category labels)."""
    from matplotlib import ticker

    from evalkit.core import i18n

    def f(v: float, _pos: int) -> str:
        digits = 0 if abs(v - round(v)) < 1e-9 else (1 if abs(v * 10 - round(v * 10)) < 1e-9 else 2)
        return i18n.fmt_number(v, digits, lang)

    for axis, cat in ((ax.xaxis, getattr(ax, "_ek_xcat", False)), (ax.yaxis, getattr(ax, "_ek_ycat", False))):
        if not cat:
            axis.set_major_formatter(ticker.FuncFormatter(f))


def _png(fig) -> bytes:
    """The figure as a 64-colour palette PNG at 72 dpi, drawn and encoded once (the Agg
    buffer goes straight to Pillow: no intermediate full-colour PNG)."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image  # a matplotlib dependency

    fig.set_dpi(72)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    w, h = canvas.get_width_height()
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    plt.close(fig)
    img = img.convert("RGB").quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=9)
    return out.getvalue()


def _axes(figsize: tuple[float, float]):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from evalkit.core import plotting

    plotting.set_style()
    return plotting.new_axes(figsize=figsize)


def draw(f: Figure, d: DisclosedPage, label: Callable[[str], str]) -> bytes:
    """PNG bytes of figure ``f``; ``label(id)`` writes a quantity as on the page."""
    fn = _DRAW[f.kind]
    ax = fn(f.data, d, label)
    _fmt_axis(ax, d.lang)
    # fixed margins (one drawing pass; tight_layout would draw the figure twice)
    ax.figure.subplots_adjust(**_MARGINS.get(f.kind, _MARGINS["default"]))
    return _png(ax.figure)


_MARGINS = {
    "default": {"left": 0.13, "right": 0.97, "bottom": 0.14, "top": 0.95},
    "boxes": {"left": 0.42, "right": 0.97, "bottom": 0.16, "top": 0.97},
    "forest": {"left": 0.30, "right": 0.97, "bottom": 0.06, "top": 0.99},
    "funnel": {"left": 0.11, "right": 0.98, "bottom": 0.14, "top": 0.97},
    "trend": {"left": 0.11, "right": 0.98, "bottom": 0.15, "top": 0.96},
}


def _not_shown(lang: str) -> str:
    from evalkit.core import i18n

    return i18n.t("pages.figures.not_shown", lang)


def _means(data: dict, d: DisclosedPage, label):
    from evalkit.core import plotting

    ax = _axes((5.2, 3.3))
    xs, ys, los, his = [], [], [], []
    for i, (v, lo, hi) in enumerate(zip(data["values"], data["lo"], data["hi"])):
        y = _val(d, v)
        if y is None:
            ax.text(i, data["ylim"][0] + 0.5, _not_shown(d.lang), ha="center")
            continue
        xs.append(i)
        ys.append(y)
        los.append(y - (_val(d, lo) or y))
        his.append((_val(d, hi) or y) - y)
        ax.text(i + 0.08, y, label(v.id), va="center")
    if xs:
        ax.errorbar(xs, ys, yerr=[los, his], fmt="o-", color=plotting.COLORS["post"], capsize=4, lw=2)
    ax.set_xticks(range(len(data["labels"])), data["labels"])
    ax._ek_xcat = True
    ax.set_xlim(-0.5, len(data["labels"]) - 0.5)
    ax.set_ylim(*data["ylim"])
    ax.set_ylabel(data["ylabel"])
    return ax


def _bars(data: dict, d: DisclosedPage, label):
    from evalkit.core import plotting

    ax = _axes((5.6, 3.2))
    labels = data["labels"]
    for i, v in enumerate(data["values"]):
        y = _val(d, v)
        col = data.get("colors", [plotting.COLORS["post"]] * len(labels))[i]
        if y is None:
            ax.text(i, 3, _not_shown(d.lang), ha="center", color="#555555")
            continue
        ax.bar(i, 100 * y, color=col, width=0.6)
        ax.text(i, 100 * y + 2, label(v.id), ha="center")
    ax.set_xticks(range(len(labels)), labels)
    ax._ek_xcat = True
    ax.set_xlim(-0.5, len(labels) - 0.5)  # the same places whether or not a bar is drawn
    ax.set_ylim(0, 100)
    ax.set_ylabel(data["ylabel"])
    return ax


def _did(data: dict, d: DisclosedPage, label):
    from evalkit.core import plotting

    ax = _axes((5.6, 3.4))
    xs = [0, 1]
    vals = {}
    for key, col, lab in (
        ("comparison", plotting.COLORS["comparison"], data["labels"][0]),
        ("treated", plotting.COLORS["intervention"], data["labels"][1]),
    ):
        pre, post = _val(d, data[key][0]), _val(d, data[key][1])
        vals[key] = (pre, post)
        if pre is not None and post is not None:
            ax.plot(xs, [pre, post], "o-", color=col, label=lab, lw=2)
    (c0, c1), (t0, _) = vals["comparison"], vals["treated"]
    if c0 is not None and c1 is not None and t0 is not None and None not in vals["treated"]:
        ax.plot(
            xs,
            [t0, t0 + (c1 - c0)],
            "--",
            color=plotting.COLORS["intervention"],
            label=data["labels"][2],
            lw=1.5,
        )
    ax.set_xticks(xs, data["xlabels"])
    ax._ek_xcat = True
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(*data["ylim"])
    ax.set_ylabel(data["ylabel"])
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    return ax


def _funnel(data: dict, d: DisclosedPage, label):
    from evalkit.core import plotting

    ax = _axes((6.5, 3.6))
    center, sd, nmax = data["center"], data["sd"], data["nmax"]
    ylim = data["ylim"]
    ns = np.linspace(2, nmax, 200)
    for z, ls, lab in ((_Z95, "--", data["labels"]["l95"]), (_Z998, ":", data["labels"]["l998"])):
        ax.plot(ns, center + z * sd / np.sqrt(ns), color=plotting.COLORS["national"], ls=ls, lw=1, label=lab)
        ax.plot(ns, center - z * sd / np.sqrt(ns), color=plotting.COLORS["national"], ls=ls, lw=1)
    ax.axhline(center, color=plotting.COLORS["national"], lw=1, label=data["labels"]["center"])
    pts = np.asarray(data["points"], dtype=float).reshape(-1, 2)
    if len(pts):
        ax.scatter(
            pts[:, 0],
            np.clip(pts[:, 1], *ylim),
            s=12,
            color=plotting.COLORS["other"],
            zorder=2,
            label=data["labels"]["others"],
        )
    me = data.get("me")
    if me is not None:
        x, y = _val(d, me[0]), _val(d, me[1])
        if x is not None and y is not None:
            ax.scatter(
                [x],
                [min(max(y, ylim[0]), ylim[1])],
                s=70,
                marker="D",
                color=plotting.COLORS["highlight"],
                zorder=3,
                label=data["labels"]["me"],
            )
    ax.set_ylim(*ylim)
    ax.set_xlim(0, nmax)
    ax.set_xlabel(data["xlabel"])
    ax.set_ylabel(data["ylabel"])
    ax.legend(frameon=False, fontsize=7, loc="lower right", ncol=2)
    return ax


def _trend(data: dict, d: DisclosedPage, label):
    from evalkit.core import plotting

    ax = _axes((6.5, 3.4))
    styles = {
        "mine": (plotting.COLORS["highlight"], "-"),
        "national": (plotting.COLORS["national"], "--"),
        "peers": ("#777777", ":"),
    }
    former_colours = iter([plotting.PALETTE[i] for i in (0, 2, 3, 4, 1, 7)] * 2)
    for s in data["series"]:
        pts = [(yr, y) for yr, v in s["points"] if (y := _val(d, v)) is not None]
        if not pts:
            continue
        col, ls = (next(former_colours), "-") if s["style"] == "former" else styles[s["style"]]
        ax.plot(
            [p[0] for p in pts], [100 * p[1] for p in pts], color=col, ls=ls, marker="o", label=s["label"]
        )
    years = sorted({yr for s in data["series"] for yr, _ in s["points"]})
    if years:
        ax.set_xticks(years, [str(y) for y in years])
        ax._ek_xcat = True
        ax.set_xlim(years[0] - 1, years[-1] + 1)
    ax.set_ylim(0, 100)
    ax.set_xlabel(data["xlabel"])
    ax.set_ylabel(data["ylabel"])
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    return ax


def _boxes(data: dict, d: DisclosedPage, label):
    from evalkit.core import plotting

    ax = _axes((6.5, 3.2))
    n = len(data["labels"])
    ys = list(range(n - 1, -1, -1))
    ax.boxplot(
        [np.asarray(x, dtype=float) for x in data["dists"]],
        positions=ys,
        orientation="horizontal",
        widths=0.5,
        whis=(5, 95),
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "#E5E5E5", "edgecolor": plotting.COLORS["national"]},
        medianprops={"color": plotting.COLORS["national"], "linewidth": 2},
        whiskerprops={"color": plotting.COLORS["national"]},
        capprops={"color": plotting.COLORS["national"]},
    )
    mine = [(_val(d, v), y) for v, y in zip(data["mine"], ys)]
    mine = [(v, y) for v, y in mine if v is not None]
    if mine:
        ax.scatter(
            [m[0] for m in mine],
            [m[1] for m in mine],
            marker="D",
            s=45,
            color=plotting.COLORS["highlight"],
            zorder=3,
            label=data["me"],
        )
        ax.legend(frameon=False, loc="lower right", fontsize=8)
    ax.set_yticks(ys, data["labels"])
    ax._ek_ycat = True
    ax.set_xlim(0, 10)
    ax.set_xlabel(data["xlabel"])
    return ax


def _forest(data: dict, d: DisclosedPage, label):
    from evalkit.core import plotting

    rows = data["rows"]  # (name, est, lo, hi) plain numbers already disclosed
    h = max(3.0, 0.16 * len(rows) + 1.2)
    ax = _axes((6.5, min(h, 40)))
    ys = np.arange(len(rows))[::-1] + 1
    for y, (_name, est, lo, hi) in zip(ys, rows):
        ax.plot([lo, hi], [y, y], color=plotting.COLORS["other"], lw=1)
        ax.plot([est], [y], "s", color=plotting.COLORS["post"], ms=3)
    pe, plo, phi = data["pooled"]
    ax.fill([plo, pe, phi, pe], [0, 0.3, 0, -0.3], color=plotting.COLORS["highlight"])
    ax.axvline(pe, color=plotting.COLORS["national"], lw=1, ls="--")
    ax.axvline(0, color="#000000", lw=0.8)
    ax.set_yticks(
        [*ys, 0], [r[0] for r in rows] + [data["pooled_label"]], fontsize=6 if len(rows) > 30 else 8
    )
    ax._ek_ycat = True
    ax.set_xlabel(data["xlabel"])
    if not math.isnan(pe):
        ax.set_ylim(-1, len(rows) + 1)
    return ax


_DRAW = {
    "means": _means,
    "bars": _bars,
    "did": _did,
    "funnel": _funnel,
    "trend": _trend,
    "boxes": _boxes,
    "forest": _forest,
}
