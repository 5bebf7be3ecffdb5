"""One shared plotting style for the library, the reports and the notebooks.

- seaborn ``whitegrid`` theme, a colour-blind-safe palette (Okabe & Ito 2008);
- Dutch labels by default (``lang="en"`` for English);
- the national value drawn the same way everywhere (:func:`reference_line`).

Reports depend on fixed axes for comparability: use :data:`LONELINESS_LIMITS` for
scale scores and :data:`PERCENT_LIMITS` for shares.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib import category as _mcategory
from matplotlib import dates as _mdates
from matplotlib import ticker as _mticker

from evalkit.core.checks import check_lang, check_option

__all__ = [
    "PALETTE",
    "COLORS",
    "LABELS",
    "set_style",
    "label",
    "reference_line",
    "new_axes",
    "localize_axes",
    "LONELINESS_LIMITS",
    "PERCENT_LIMITS",
]

#: Okabe-Ito colour-blind-safe palette.
PALETTE: list[str] = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]

#: Fixed colours for recurring roles, so every figure uses the same ones.
COLORS: dict[str, str] = {
    "pre": PALETTE[4],
    "post": PALETTE[0],
    "followup": PALETTE[2],
    "intervention": PALETTE[0],
    "comparison": PALETTE[1],
    "national": "#555555",
    "highlight": PALETTE[5],
    "other": "#BBBBBB",
    "improved": PALETTE[2],
    "unchanged": "#999999",
    "deteriorated": PALETTE[5],
}

#: Fixed y-limits for DJG-11 totals (0-11) and shares (0-100%).
LONELINESS_LIMITS = (0, 11)
PERCENT_LIMITS = (0, 100)

LABELS: dict[str, dict[str, str]] = {
    "pre": {"nl": "Voormeting", "en": "Pre-test"},
    "post": {"nl": "Nameting", "en": "Post-test"},
    "followup": {"nl": "Follow-up", "en": "Follow-up"},
    "intervention": {"nl": "Interventiegroep", "en": "Intervention group"},
    "comparison": {"nl": "Vergelijkingsgroep", "en": "Comparison group"},
    "national": {"nl": "Nederland", "en": "The Netherlands"},
    "loneliness": {"nl": "Eenzaamheid", "en": "Loneliness"},
    "djg_total": {"nl": "Eenzaamheidsscore (0-11)", "en": "Loneliness score (0-11)"},
    "share_lonely": {"nl": "Aandeel eenzaam (%)", "en": "Share lonely (%)"},
    "year": {"nl": "Jaar", "en": "Year"},
    "effect_size": {"nl": "Effectgrootte", "en": "Effect size"},
    "coalition": {"nl": "Coalitie", "en": "Coalition"},
    "municipality": {"nl": "Gemeente", "en": "Municipality"},
    "pooled": {"nl": "Gepoold", "en": "Pooled"},
    "event_time": {"nl": "Jaren sinds start", "en": "Years since start"},
    "estimate": {"nl": "Schatting", "en": "Estimate"},
    "improved": {"nl": "Verbeterd", "en": "Improved"},
    "unchanged": {"nl": "Onveranderd", "en": "Unchanged"},
    "deteriorated": {"nl": "Verslechterd", "en": "Deteriorated"},
    "n": {"nl": "Aantal respondenten", "en": "Number of respondents"},
}


def label(key: str, lang: str = "nl") -> str:
    """Dutch or English label for a known key (the key itself if unknown)."""
    check_lang(lang)
    return LABELS.get(key, {}).get(lang, key)


def set_style(context: str = "notebook") -> None:
    """Apply evalkit's style globally (seaborn whitegrid + Okabe-Ito palette)."""
    check_option("context", context, ("paper", "notebook", "talk", "poster"))
    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.figsize": (7.0, 4.2),
        }
    )


def new_axes(ax=None, figsize=None):
    """Return ``ax`` or a fresh Axes in the evalkit style."""
    if ax is not None:
        return ax
    with sns.axes_style("whitegrid"):
        _, ax = plt.subplots(figsize=figsize or (7.0, 4.2))
    return ax


def reference_line(ax, value: float, *, lang: str = "nl", text: str | None = None, orientation: str = "h"):
    """Draw the national (reference) value as a dashed grey line with a label."""
    check_option("orientation", orientation, ("h", "v"))
    kw = dict(
        color=COLORS["national"],
        linestyle="--",
        linewidth=1.3,
        zorder=1,
        label=text or label("national", lang),
    )
    if orientation == "h":
        return ax.axhline(value, **kw)
    return ax.axvline(value, **kw)


# ----------------------------------------------------------------------------- Dutch numbers
_NL_SWAP = str.maketrans({".": ",", ",": "."})


def _to_dutch(text: str) -> str:
    """``0.25`` -> ``0,25`` and ``1,234.5`` -> ``1.234,5`` (as :func:`evalkit.i18n.fmt_number`);
    inside mathtext (``$...$``) the decimal comma is written ``{,}`` (no extra space)."""
    if not text:
        return text
    if text.startswith("$") and text.endswith("$"):
        return text.replace(",", "\0").replace(".", "{,}").replace("\0", ".")
    return text.translate(_NL_SWAP)


class DutchFormatter(_mticker.Formatter):
    """Wraps an axis' tick formatter and writes its numbers the Dutch way (decimal comma,
    thousands point), keeping the wrapped formatter's choice of ticks, precision and offset."""

    def __init__(self, inner: _mticker.Formatter):
        self.inner = inner

    def set_axis(self, axis):
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs):
        self.locs = locs
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None):
        return _to_dutch(self.inner(x, pos))

    def format_ticks(self, values):
        return [_to_dutch(t) for t in self.inner.format_ticks(values)]

    def get_offset(self):
        return _to_dutch(self.inner.get_offset())

    def format_data(self, value):
        return _to_dutch(self.inner.format_data(value))

    def format_data_short(self, value):
        return _to_dutch(self.inner.format_data_short(value))


#: formatters whose labels are not numbers (categories, dates) or empty: left alone
_NOT_NUMERIC = (
    _mticker.NullFormatter,
    DutchFormatter,
    _mcategory.StrCategoryFormatter,
    _mdates.DateFormatter,
    _mdates.AutoDateFormatter,
    _mdates.ConciseDateFormatter,
)


_PLAIN_NUMBER = re.compile(r"^[−-]?\d+\.\d+$")


def localize_axes(ax, lang: str = "nl", *, texts: bool = False):
    """Write the numbers of the tick labels in the figure's language.

    Dutch (``lang="nl"``): decimal comma and thousands point, as
    :func:`evalkit.i18n.fmt_number` (``0,25``; ``1.234,5``); English: unchanged
    (``0.25``). Call it at the end of a ``plot()`` (after any ``set_xscale``/
    ``set_major_formatter``): it wraps the numeric tick formatters of every axis of
    ``ax`` (an Axes, a sequence of Axes, or a Figure); category and date axes are left
    alone, and calling it twice does not undo it. Colour bars drawn for the axes are
    localized too. ``texts=True`` also rewrites annotations that are a plain decimal
    number written with a point (``"0.45"``, as ``seaborn.heatmap(annot=True)`` writes
    them); leave it off where the texts already come from :func:`~evalkit.i18n.fmt_number`.
    Returns ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = new_axes()
    >>> _ = ax.plot([0, 1], [0, 0.5])
    >>> _ = ax.set_yticks([0, 0.25, 0.5])
    >>> _ = localize_axes(ax, "nl")
    >>> ax.figure.canvas.draw()
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['0,00', '0,25', '0,50']
    """
    check_lang(lang)
    if lang != "nl" or ax is None:
        return ax
    if hasattr(ax, "get_axes") and not hasattr(ax, "xaxis"):  # a Figure
        targets = list(ax.get_axes())
    elif hasattr(ax, "xaxis"):
        targets = [ax]
    else:
        targets = [a for a in (ax.ravel() if hasattr(ax, "ravel") else ax)]
    colorbars = []
    for a in targets:
        for mappable in [*a.collections, *a.images]:
            cb = getattr(mappable, "colorbar", None)
            if cb is not None and cb.ax not in targets and cb.ax not in colorbars:
                colorbars.append(cb.ax)
    for a in [*targets, *colorbars]:
        if texts and a not in colorbars:
            for t in a.texts:
                if _PLAIN_NUMBER.match(t.get_text()):
                    t.set_text(_to_dutch(t.get_text()))
        for axis in (a.xaxis, a.yaxis, getattr(a, "zaxis", None)):
            if axis is None:
                continue
            for get, put in (
                (axis.get_major_formatter, axis.set_major_formatter),
                (axis.get_minor_formatter, axis.set_minor_formatter),
            ):
                fmt = get()
                if not isinstance(fmt, _NOT_NUMERIC):
                    put(DutchFormatter(fmt))
    return ax
