"""The common shape of every analysis result.

Every analysis in evalkit returns a subclass of :class:`Result`:

- ``.tidy()`` -- a DataFrame with one row per estimand and the fixed snake_case columns
  ``term, estimate, std_error, ci_lower, ci_upper, p_value, n`` first (plus what the
  method needs). Numbers are never rounded; cells hold scalars only; column names never
  depend on the arguments.
- ``.summary(lang="nl")`` -- readable text in Dutch (default) or English. It drives
  ``str(result)`` and the HTML view in Jupyter (``_repr_html_``).
- ``.plot()`` -- a matplotlib figure/axes in the shared style, where a picture helps.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from evalkit.core.errors import NoFigureError, ParameterError
from evalkit.core.i18n import LANGS, error, t
from evalkit.core.i18n import fmt_number as i18n_fmt
from evalkit.core.language import resolve_lang

__all__ = ["Result", "TIDY_COLUMNS", "tidy_frame"]

#: Columns every ``.tidy()`` starts with, in this order.
TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "p_value",
    "n",
)


def tidy_frame(rows: Iterable[Mapping], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Build a tidy DataFrame with the standard columns first, then ``extra``.

    Missing values become NaN; unknown keys raise, so that column names stay fixed.
    """
    columns = list(TIDY_COLUMNS) + [c for c in extra if c not in TIDY_COLUMNS]
    records = []
    for row in rows:
        unknown = set(row) - set(columns)
        if unknown:
            raise KeyError(f"tidy row has undeclared columns: {sorted(unknown)}")
        records.append({c: row.get(c, np.nan) for c in columns})
    df = pd.DataFrame.from_records(records, columns=columns)
    for c in columns:
        if c != "term" and df[c].dtype == object:
            converted = pd.to_numeric(df[c], errors="coerce")
            if converted.notna().sum() == df[c].notna().sum():
                df[c] = converted
    return df


def _attach_alt_text(result: Result, drawn, lang: str | None) -> None:
    """Give the figure ``drawn`` (Axes, array of Axes or Figure) the result's alt text,
    unless the plot attached its own."""
    from evalkit.core import plotting

    if drawn is None or plotting.own_alt_text(drawn):
        return
    try:
        plotting.set_alt_text(drawn, result.figure_alt_text(lang, drawn))
    except ValueError:  # not a matplotlib object: nothing to attach to
        return


class Result:
    """Base class of analysis results (see the module docstring for the contract)."""

    #: Human title per language; subclasses override.
    title: Mapping[str, str] = MappingProxyType({lg: t("core.results.title", lg) for lg in LANGS})

    def __init_subclass__(cls, **kwargs):
        """Every ``plot()`` of a subclass attaches an alt text to the figure it draws (when it
        did not attach one itself): :meth:`figure_alt_text`."""
        super().__init_subclass__(**kwargs)
        plot = cls.__dict__.get("plot")
        if plot is None or getattr(plot, "_evalkit_alt", False):
            return

        @functools.wraps(plot)
        def plot_with_alt_text(self, *args, **kw):
            drawn = plot(self, *args, **kw)
            _attach_alt_text(self, drawn, kw.get("lang"))
            return drawn

        plot_with_alt_text._evalkit_alt = True
        cls.plot = plot_with_alt_text

    def figure_alt_text(self, lang: str | None = None, drawn=None) -> str:
        """The alt text of this result's figure: what is drawn (title, axes, series; see
        :func:`evalkit.core.plotting.describe_figure`) and the key numbers of :meth:`tidy`
        (estimate and confidence interval of up to six rows), written in ``lang``.
        Results override this for a more telling sentence."""
        from evalkit.core import i18n, plotting

        lang = resolve_lang(lang)
        head = plotting.describe_figure(drawn, lang) if drawn is not None else ""
        try:
            tidy = self.tidy()
        except (NotImplementedError, ValueError, KeyError):
            return head
        rows = []
        for _, r in tidy.head(6).iterrows():
            if pd.isna(r["estimate"]):
                continue
            term = str(r["term"])
            # a number inside a term name (mbar=0.5) written as in the text
            term = re.sub(
                r"(?<==)-?\d+\.(\d+)",
                lambda m: i18n.fmt_number(float(m.group(0)), len(m.group(1)), lang),
                term,
            )
            bit = f"{term} {i18n.fmt_number(float(r['estimate']), 2, lang)}"
            if pd.notna(r["ci_lower"]) and pd.notna(r["ci_upper"]):
                bit += " (" + i18n.fmt_ci(float(r["ci_lower"]), float(r["ci_upper"]), 2, lang) + ")"
            rows.append(bit)
        if not rows:
            return head
        more = len(tidy) - 6
        tail = i18n.t("figures.alt.more", lang, n=more) if more > 0 else ""
        return f"{head} {i18n.t('figures.alt.numbers', lang)}: {'; '.join(rows)}{tail}.".strip()

    # -- contract --------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """One row per estimand with the standard columns (see TIDY_COLUMNS)."""
        raise NotImplementedError

    def summary(self, lang: str | None = None) -> str:
        """Readable text; subclasses write a proper one."""
        lang = resolve_lang(lang)
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            return f"{self.title[lang]}\n\n{self.tidy().to_string(index=False)}"

    def plot(self, **kwargs):
        """A figure in the shared style; results without a figure say so."""
        raise error(NoFigureError, "core.results.no_figure", result=type(self).__name__)

    def estimate(self, term: str | None = None) -> float:
        """The estimate of one row of :meth:`tidy` (``term``; may be left out when there is one row).

        The one accessor for a single number on every result.
        """
        tidy = self.tidy()
        if term is None:
            if len(tidy) != 1:
                raise ParameterError(
                    f"term is required: this result has {len(tidy)} rows ({', '.join(map(str, tidy['term']))})."
                )
            return float(tidy["estimate"].iloc[0])
        rows = tidy[tidy["term"] == term]
        if rows.empty:
            raise ParameterError(f"term must be one of {list(tidy['term'])}, got {term!r}.")
        if len(rows) > 1:
            raise ParameterError(f"term {term!r} is not unique in this result; use .tidy().")
        return float(rows["estimate"].iloc[0])

    # -- display ---------------------------------------------------------------------
    # Text, repr and the JupyterLab view all follow the session language
    # (:func:`evalkit.set_language`, Dutch by default).
    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>\n{self.summary()}"

    def _html_table(self, lang: str | None = None) -> str:
        """The tidy table as HTML in the language's number notation (decimal comma in Dutch,
        point in English; four significant digits; years as years)."""
        from evalkit.core.text import YEAR_COLUMNS, fmt_sig, fmt_year

        lang = resolve_lang(lang)
        df = self.tidy().copy()
        for col in df.columns:
            s = df[col]
            if s.dtype == bool or not pd.api.types.is_numeric_dtype(s):
                continue
            whole = s.dropna().map(lambda v: float(v).is_integer()).all()
            if str(col) in YEAR_COLUMNS and whole:
                df[col] = s.map(lambda v: "" if pd.isna(v) else fmt_year(v)).astype(object)
            elif pd.api.types.is_integer_dtype(s) or (col == "n" and whole):
                df[col] = s.map(lambda v: "" if pd.isna(v) else i18n_fmt(int(v), 0, lang)).astype(object)
            else:
                df[col] = s.map(lambda v: fmt_sig(v, lang)).astype(object)
        return df.to_html(index=False, border=0, classes="evalkit-table", na_rep="")

    def _repr_html_(self) -> str:
        lang = resolve_lang(None)
        text = html.escape(self.summary(lang=lang))
        return (
            '<div class="evalkit-result">'
            f"<strong>{html.escape(self.title[lang])}</strong>"
            f'<pre style="white-space:pre-wrap">{text}</pre>'
            f"<details><summary>{t('core.results.table', lang)}</summary>"
            f"{self._html_table()}</details></div>"
        )
