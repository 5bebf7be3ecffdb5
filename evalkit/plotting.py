"""One shared plotting style for the library, the reports and the notebooks.

- seaborn ``whitegrid`` theme, a colour-blind-safe palette (Okabe & Ito 2008);
- Dutch labels by default (``lang="en"`` for English);
- the national value drawn the same way everywhere (:func:`reference_line`).

Reports depend on fixed axes for comparability: use :data:`LONELINESS_LIMITS` for
scale scores and :data:`PERCENT_LIMITS` for shares.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

from ._checks import check_lang, check_option

__all__ = [
    "PALETTE",
    "COLORS",
    "LABELS",
    "set_style",
    "label",
    "reference_line",
    "new_axes",
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


def reference_line(ax, value: float, *, lang: str = "nl", text: str | None = None,
                   orientation: str = "h"):
    """Draw the national (reference) value as a dashed grey line with a label."""
    check_option("orientation", orientation, ("h", "v"))
    kw = dict(color=COLORS["national"], linestyle="--", linewidth=1.3, zorder=1,
              label=text or label("national", lang))
    if orientation == "h":
        return ax.axhline(value, **kw)
    return ax.axvline(value, **kw)
