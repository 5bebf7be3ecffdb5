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
from evalkit.core.i18n import catalogue, fmt_number, t

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
    "set_alt_text",
    "alt_text",
    "own_alt_text",
    "describe_figure",
    "figure_html",
    "show",
    "legend_outside",
    "figure_problems",
    "colours_alike",
]

_BLUE, _ORANGE, _GREEN, _PURPLE = "#0072B2", "#E69F00", "#009E73", "#CC79A7"
_SKY, _VERMILLION, _YELLOW, _BLACK = "#56B4E9", "#D55E00", "#F0E442", "#000000"

#: Okabe-Ito colour-blind-safe palette, ordered so that the first six series have six
#: different hues (sky blue, a second blue, comes only as the seventh colour).
PALETTE: list[str] = [_BLUE, _ORANGE, _GREEN, _PURPLE, _VERMILLION, _BLACK, _SKY, _YELLOW]

#: Fixed colours for recurring roles, so every figure uses the same ones.
COLORS: dict[str, str] = {
    # pre and post in two hues (orange, blue), not two shades of one blue: told apart in
    # print, on a projector and with every common colour-vision deficiency
    "pre": _ORANGE,
    "post": _BLUE,
    "followup": _GREEN,
    "intervention": _BLUE,
    "comparison": _ORANGE,
    "national": "#555555",
    "highlight": _VERMILLION,
    "other": "#BBBBBB",
    "improved": _GREEN,
    "unchanged": "#999999",
    "deteriorated": _VERMILLION,
}

#: Fixed y-limits for DJG-11 totals (0-11) and shares (0-100%).
LONELINESS_LIMITS = (0, 11)
PERCENT_LIMITS = (0, 100)

_LABEL_PREFIX = "figures.label."
#: The standard labels of :func:`label`, per key and language (read from the catalogue,
#: ``figures.label.<key>`` in ``evalkit/core/messages/figures.toml``).
LABELS: dict[str, dict[str, str]] = {
    key.removeprefix(_LABEL_PREFIX): texts
    for key, texts in catalogue().items()
    if key.startswith(_LABEL_PREFIX)
}


def label(key: str, lang: str = "nl") -> str:
    """Dutch or English label for a known key (the key itself if unknown)."""
    check_lang(lang)
    if key not in LABELS:
        return key
    return t(f"figures.label.{key}", lang)


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
    _install_notebook_alt_text()


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
    if ax is None or fmt_number(0.5, 1, lang) == "0.5":  # the language writes numbers as matplotlib does
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


# ----------------------------------------------------------------------------- alt texts
# Every figure carries a text alternative (WCAG 1.1.1): a sentence or two in the figure's
# language saying what it shows, with numbers written as in the text. ``plot()`` methods of
# results attach one (evalkit.core.results does it for every subclass); notebooks and HTML
# views show figures as ``<img alt="...">`` (:func:`figure_html`, :func:`show`, and the
# IPython display hook that :func:`set_style` installs in a notebook).
_ALT_ATTR = "_evalkit_alt_text"


def _figure_of(obj):
    """The matplotlib Figure of an Axes, an array/list of Axes or a Figure."""
    if obj is None:
        return None
    if hasattr(obj, "savefig"):
        return obj
    if hasattr(obj, "figure") and hasattr(obj, "xaxis"):
        return obj.figure
    try:
        first = next(iter(obj.ravel() if hasattr(obj, "ravel") else obj))
    except (TypeError, StopIteration):
        return None
    return _figure_of(first)


def set_alt_text(obj, text: str):
    """Attach the text alternative ``text`` to a figure (Axes, list of Axes or Figure).

    Set on an Axes, the text describes that panel; a figure's alt text is the texts of its
    panels in order (:func:`alt_text`). Returns ``obj``.
    """
    target = obj if hasattr(obj, "xaxis") or hasattr(obj, "savefig") else _figure_of(obj)
    if target is None:
        raise ValueError("set_alt_text needs a matplotlib Axes or Figure.")
    setattr(target, _ALT_ATTR, " ".join(str(text).split()))
    return obj


def own_alt_text(obj) -> str | None:
    """The alt text attached to exactly this Axes/Figure (or, for a list of Axes, the first
    of them), without looking at other panels and without a default."""
    if not (hasattr(obj, "xaxis") or hasattr(obj, "savefig")):
        obj = _figure_of(obj)
    return getattr(obj, _ALT_ATTR, None) if obj is not None else None


def alt_text(obj, lang: str | None = None, *, default: bool = True) -> str | None:
    """The text alternative of a figure: the figure's own, else its panels' texts joined;
    when nothing was attached and ``default`` is true, :func:`describe_figure`."""
    fig = _figure_of(obj)
    if fig is None:
        return None
    own = getattr(fig, _ALT_ATTR, None)
    if own:
        return own
    parts = [getattr(a, _ALT_ATTR) for a in fig.get_axes() if getattr(a, _ALT_ATTR, None)]
    if parts:
        return " ".join(parts)
    return describe_figure(fig, lang) if default else None


def _is_colorbar(ax) -> bool:
    return getattr(ax, "_colorbar", None) is not None


def describe_figure(obj, lang: str | None = None) -> str:
    """A plain description of a figure from what is drawn: title, axis labels, legend
    entries and colour-bar label (used when no alt text was attached)."""
    from evalkit.core.language import resolve_lang

    lang = resolve_lang(lang)
    fig = _figure_of(obj)
    if hasattr(obj, "xaxis"):
        axes = [obj]
    elif hasattr(obj, "savefig"):
        axes = [a for a in fig.get_axes() if not _is_colorbar(a)]
    else:
        axes = list(obj.ravel() if hasattr(obj, "ravel") else obj)
    sentences = []
    sup = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    if sup:
        sentences.append(f"{t('figures.alt.figure', lang)}: {sup}.")
    for i, a in enumerate(axes):
        bits = []
        title = a.get_title() or a.get_title(loc="left")
        head = title or (t("figures.alt.figure", lang) if len(axes) == 1 and not sup else "")
        if len(axes) > 1:
            head = f"{t('figures.alt.panel', lang).capitalize()} {i + 1}" + (f" ({title})" if title else "")
        if a.get_xlabel():
            bits.append(f"{t('figures.alt.x', lang)}: {a.get_xlabel()}")
        if a.get_ylabel():
            bits.append(f"{t('figures.alt.y', lang)}: {a.get_ylabel()}")
        leg = a.get_legend()
        if leg is not None:
            names = [tx.get_text() for tx in leg.get_texts() if tx.get_text()]
            if names:
                bits.append(f"{t('figures.alt.series', lang)}: {', '.join(names)}")
        sentences.append((f"{head}: " if head else "") + "; ".join(bits) + ".")
    bars = [a for a in fig.get_axes() if _is_colorbar(a)]
    for cb in bars if len(axes) == len([a for a in fig.get_axes() if not _is_colorbar(a)]) else []:
        lab = cb.get_ylabel() or cb.get_xlabel()
        if lab:
            sentences.append(f"{t('figures.alt.colorbar', lang).capitalize()}: {lab}.")
    return " ".join(s for s in sentences if s.strip(" .:"))


def figure_html(obj, lang: str | None = None, *, dpi: int = 100, close: bool = False) -> str:
    """The figure as an HTML ``<img>`` (PNG inline, base64) with its alt text."""
    import base64
    import html as _html
    import io

    fig = _figure_of(obj)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    text = alt_text(fig, lang) or ""
    if close:
        plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{_html.escape(text, quote=True)}" src="data:image/png;base64,{data}">'


class _AltFigure:
    """What :func:`show` displays: an ``<img alt>`` for HTML, the PNG for other front ends."""

    def __init__(self, fig, lang):
        self.fig, self.lang = fig, lang

    def _repr_html_(self):
        return figure_html(self.fig, self.lang)

    def _repr_png_(self):
        import io

        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue(), _png_metadata(self.fig, self.lang)


def show(obj, lang: str | None = None):
    """Show a figure in a notebook as an image with its alt text (and close it, so the
    inline backend does not show it a second time). Outside IPython: ``plt.show()``."""
    fig = _figure_of(obj)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of the notebooks
        plt.show()
        return None
    if get_ipython() is None:
        plt.show()
        return None
    display(_AltFigure(fig, lang))
    plt.close(fig)
    return None


#: Set to "1" (the notebook tests do) to record :func:`figure_problems` of every figure a
#: notebook shows in the PNG output's metadata (``evalkit_figure_problems``).
FIGURE_CHECK_ENV = "EVALKIT_FIGURE_CHECK"


def _png_metadata(fig, lang: str | None = None) -> dict:
    """Output metadata of a figure's PNG: its alt text and, when checking is switched on
    (:data:`FIGURE_CHECK_ENV`), what keeps it from being fit for a paper."""
    import os

    meta: dict = {"alt": alt_text(fig, lang)}
    if os.environ.get(FIGURE_CHECK_ENV) == "1":
        meta["evalkit_figure_problems"] = figure_problems(fig)
    return meta


def _html_formatter(fig):
    """IPython ``text/html`` formatter for matplotlib figures: an ``<img>`` with alt text."""
    if not fig.get_axes():
        return None
    return figure_html(fig)


def _png_formatter(fig):
    import io

    if not fig.get_axes():
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue(), _png_metadata(fig)


def _install_notebook_alt_text() -> bool:
    """In an IPython kernel: show every matplotlib figure as ``<img alt="...">`` (HTML) and
    put the alt text in the PNG's output metadata. Re-installed after every cell, because
    ``%matplotlib inline`` replaces the figure formatters."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    ip = get_ipython()
    if ip is None or not hasattr(ip, "display_formatter"):
        return False
    from matplotlib.figure import Figure

    def install(*_args, **_kwargs):
        fmts = ip.display_formatter.formatters
        fmts["text/html"].for_type(Figure, _html_formatter)
        fmts["image/png"].for_type(Figure, _png_formatter)

    install()
    if not getattr(ip, "_evalkit_alt_hook", False):
        ip.events.register("post_execute", install)
        ip._evalkit_alt_hook = True
    return True


def legend_outside(ax, *, loc: str = "right", handles=None, labels=None, **kwargs):
    """A legend beside (``loc="right"``) or below (``loc="below"``, under the x-axis label)
    the plotting area, so it never covers data. ``handles``/``labels`` default to those of
    ``ax`` (pass them to combine twin axes). Call it after the axis labels are set.
    Returns the Legend (None when nothing is labelled)."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties
    from matplotlib.transforms import ScaledTranslation

    check_option("loc", loc, ("right", "below"))
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if loc == "right":
        # beside the axes, past a right-hand axis of a twin (its ticks and label) if any
        twin = any(
            b is not ax and b.get_position().bounds == ax.get_position().bounds for b in ax.figure.get_axes()
        )
        shift = 0.75 if twin else 0.08
        tr = ax.transAxes + ScaledTranslation(shift, 0, ax.figure.dpi_scale_trans)
        kw = dict(
            loc="upper left", bbox_to_anchor=(1.0, 1.0), bbox_transform=tr, borderaxespad=0.0, frameon=False
        )
    else:
        # under the tick labels and the x-axis label, whatever the font sizes of the style
        size = lambda key: FontProperties(size=rcParams[key]).get_size_in_points()  # noqa: E731
        tick_lines = max([t.get_text().count("\n") + 1 for t in ax.get_xticklabels()] or [1])
        label_lines = ax.get_xlabel().count("\n") + 1 if ax.get_xlabel() else 0
        drop = (
            tick_lines * size("xtick.labelsize") + label_lines * size("axes.labelsize")
        ) * 1.45 / 72 + 0.12
        tr = ax.transAxes + ScaledTranslation(0, -drop, ax.figure.dpi_scale_trans)
        kw = dict(
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            bbox_transform=tr,
            borderaxespad=0.0,
            frameon=False,
            ncol=min(len(handles), 3),
        )
    kw.update(kwargs)
    return ax.legend(handles, labels, **kw)


# ----------------------------------------------------------------------------- figure checks
def _data_points(ax):
    """Display coordinates of the drawn data of ``ax`` (markers, line vertices, bar ends)."""
    import numpy as np
    from matplotlib.collections import PathCollection, PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    pts = []
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = line.get_xydata()
        if len(xy) == 2 and (np.allclose(xy[:, 0], xy[0, 0]) or np.allclose(xy[:, 1], xy[0, 1])):
            # a reference line (axhline/axvline): not data a legend hides
            if line.get_transform() is not ax.transData:
                continue
        if isinstance(line, Line2D) and line.get_transform() is not ax.transData:
            continue
        pts.append(ax.transData.transform(np.asarray(xy, dtype=float)))
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if isinstance(coll, PathCollection):
            offs = coll.get_offsets()
            if len(offs):
                pts.append(coll.get_offset_transform().transform(np.asarray(offs, dtype=float)))
        elif not isinstance(coll, PolyCollection):
            for path in coll.get_paths():
                v = coll.get_transform().transform(path.vertices)
                pts.append(v)
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_visible() and patch.get_transform() is not ax.transAxes:
            bb = patch.get_window_extent()
            pts.append(np.array([[bb.x0, bb.y1], [bb.x1, bb.y1], [bb.x1, bb.y0], [bb.x0, bb.y0]]))
    if not pts:
        return np.empty((0, 2))
    allpts = np.vstack(pts)
    return allpts[np.isfinite(allpts).all(axis=1)]


def _texts(fig):
    """Visible, non-empty text artists of a figure (titles, labels, tick labels, legends,
    annotations) with their window extents."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    hidden = set()  # tick labels of ticks outside the view are not drawn
    for a in fig.get_axes():
        for axis in (a.xaxis, a.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * max(1.0, abs(hi - lo))
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if loc is None or not (lo - eps <= loc <= hi + eps):
                    hidden.update({id(tick.label1), id(tick.label2)})
    out = []
    for artist in fig.findobj(Text):
        if id(artist) in hidden or not artist.get_visible() or not artist.get_text().strip():
            continue
        parent_axis = artist.axes
        if parent_axis is not None and not parent_axis.get_visible():
            continue
        bb = artist.get_window_extent(renderer)
        if bb.width <= 0 or bb.height <= 0:
            continue
        out.append((artist, bb))
    return out


def _slanted_apart(a, b, dpi: float) -> bool:
    """Two texts with the same slanted rotation (tick labels at 35 degrees): their boxes are
    axis-aligned and overlap, but the texts are apart when their baselines are at least one
    line height apart."""
    import math

    ra, rb = a.get_rotation() % 180, b.get_rotation() % 180
    if ra != rb or ra in (0, 90):
        return False
    pa = a.get_transform().transform(a.get_position())
    pb = b.get_transform().transform(b.get_position())
    th = math.radians(ra)
    normal = abs((pb[0] - pa[0]) * math.sin(th) - (pb[1] - pa[1]) * math.cos(th))
    return normal >= max(a.get_fontsize(), b.get_fontsize()) * dpi / 72.0


def colours_alike(a: str, b: str) -> bool:
    """Whether two colours are hard to tell apart in a figure: the same colour, or two
    shades of one hue (the same blue, light and dark), or two greys of similar lightness."""
    import colorsys

    from matplotlib import colors as mcolors

    ra, rb = mcolors.to_rgb(a), mcolors.to_rgb(b)
    ha, sa, va = colorsys.rgb_to_hsv(*ra)
    hb, sb, vb = colorsys.rgb_to_hsv(*rb)
    if sa < 0.25 or sb < 0.25:  # greys and black: only lightness tells them apart
        return sa < 0.25 and sb < 0.25 and abs(va - vb) < 0.25
    dh = abs(ha - hb) * 360
    return min(dh, 360 - dh) < 12


def figure_problems(obj, *, tolerance: float = 1.0) -> list[str]:
    """What keeps a figure from being fit for a paper, as a list of sentences (empty: fine).

    Checks every data panel of the figure: a title (panel or figure), non-empty axis labels
    on numeric axes, every colour bar labelled, legend entries in distinct colours and the
    legend box clear of data points, and no two texts drawn over each other.
    """
    import numpy as np
    from matplotlib import colors as mcolors

    fig = _figure_of(obj)
    fig.canvas.draw()
    problems: list[str] = []
    axes = [a for a in fig.get_axes() if a.get_visible()]
    data_axes = [
        a for a in axes if not _is_colorbar(a) and (a.lines or a.collections or a.patches or a.images)
    ]
    sup = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    for i, a in enumerate(data_axes):
        name = a.get_title() or a.get_title(loc="left") or f"panel {i + 1}"
        twin = any(b is not a and b.get_position().bounds == a.get_position().bounds for b in data_axes[:i])
        if twin:  # twinx/twiny: the first of the pair carries the title and the shared axis
            if not (a.get_ylabel().strip() or a.get_xlabel().strip()):
                problems.append(f"{name}: the second axis of a twin has no label")
            continue
        if not (sup or a.get_title() or a.get_title(loc="left") or a.get_title(loc="right")):
            problems.append(f"{name}: no title")
        supx = fig._supxlabel.get_text() if getattr(fig, "_supxlabel", None) is not None else ""
        supy = fig._supylabel.get_text() if getattr(fig, "_supylabel", None) is not None else ""
        for which, axis, lab in (
            ("x", a.xaxis, a.get_xlabel() or supx),
            ("y", a.yaxis, a.get_ylabel() or supy),
        ):
            ticks = [tl.get_text() for tl in axis.get_ticklabels() if tl.get_text()]
            numeric = not isinstance(axis.get_major_formatter(), _mcategory.StrCategoryFormatter) and all(
                re.fullmatch(r"[−\-+]?[\d.,]+%?|\$.*\$", tx) for tx in ticks
            )
            if numeric and ticks and not lab.strip():
                problems.append(f"{name}: {which} axis has no label")
        leg = a.get_legend()
        if leg is not None and leg.get_visible():
            cols = []
            for h, tx in zip(leg.legend_handles, leg.get_texts(), strict=False):
                c = None
                for getter in ("get_color", "get_facecolor", "get_edgecolor"):
                    if hasattr(h, getter):
                        try:
                            v = getattr(h, getter)()
                        except (AttributeError, TypeError):
                            continue
                        v = np.asarray(v)
                        if v.ndim == 2:
                            v = v[0] if len(v) else None
                        if v is not None and (v.ndim == 0 or v.size):
                            c = mcolors.to_hex(v if v.ndim else str(v), keep_alpha=False)
                            break
                style = getattr(h, "get_linestyle", lambda: "")()
                marker = getattr(h, "get_marker", lambda: "")()
                cols.append((c, str(style), str(marker), tx.get_text()))
            for k, (c, style, marker, txt) in enumerate(cols):
                for c2, style2, marker2, txt2 in cols[:k]:
                    if c is None or c2 is None:
                        continue
                    if colours_alike(c, c2) and (style, marker) == (style2, marker2):
                        problems.append(f"{name}: legend entries {txt2!r} and {txt!r} look alike ({c2}, {c})")
            bb = leg.get_window_extent()
            under = [
                b
                for b in data_axes
                if b.get_window_extent().x0 < bb.x1
                and b.get_window_extent().x1 > bb.x0
                and b.get_window_extent().y0 < bb.y1
                and b.get_window_extent().y1 > bb.y0
            ]
            pts = np.vstack([_data_points(b) for b in under]) if under else np.empty((0, 2))
            inside = (
                (pts[:, 0] > bb.x0 + tolerance)
                & (pts[:, 0] < bb.x1 - tolerance)
                & (pts[:, 1] > bb.y0 + tolerance)
                & (pts[:, 1] < bb.y1 - tolerance)
            )
            if inside.any():
                problems.append(f"{name}: the legend covers {int(inside.sum())} data point(s)")
    for a in axes:
        if _is_colorbar(a) and not (a.get_ylabel().strip() or a.get_xlabel().strip()):
            problems.append("a colour bar has no label")
    texts = _texts(fig)
    for i in range(len(texts)):
        ti, bi = texts[i]
        for j in range(i + 1, len(texts)):
            tj, bj = texts[j]
            if ti is tj:
                continue
            if ti.get_text() == tj.get_text() and abs(bi.x0 - bj.x0) < 2 and abs(bi.y0 - bj.y0) < 2:
                continue  # one label drawn twice in one place (shared or twin axes)
            ov_x = min(bi.x1, bj.x1) - max(bi.x0, bj.x0)
            ov_y = min(bi.y1, bj.y1) - max(bi.y0, bj.y0)
            if ov_x > tolerance and ov_y > tolerance and _slanted_apart(ti, tj, fig.dpi):
                continue
            if ov_x > tolerance and ov_y > tolerance:
                problems.append(f"texts overlap: {ti.get_text()!r} and {tj.get_text()!r}")
    return problems
