"""The typed content of a report page: what a reader sees, before any HTML exists.

A report is computed into a :class:`Page`: sections of blocks (key figures, sentences,
tables, figures). Blocks never hold a number themselves; they hold a *reference*
(:class:`Ref`) to a :class:`Quantity` in the page's one registry. Each quantity carries
the counts it rests on (the group's ``n``, the people in the category and outside it) and
the counts it reveals (``basis``), and :class:`Partition` records link parts to their
total. That is what the disclosure layer (:mod:`evalkit.reports.disclosure`) needs to
decide, once per quantity and for the whole page, whether a number may be shown; the
renderer then draws whatever the decision allows, in tables, figure labels, alt texts and
sentences alike.

One quantity has one number on a page (rule 4): registering the same id twice with two
different values raises :class:`~evalkit.reports.content.ContentError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from evalkit.core.errors import EvalkitError

__all__ = [
    "PLACEHOLDER",
    "Block",
    "Choose",
    "Column",
    "ContentError",
    "Figure",
    "Fmt",
    "KeyFigure",
    "Kind",
    "Page",
    "Partition",
    "Quantity",
    "Ref",
    "Section",
    "Status",
    "Table",
    "Text",
]

#: What a number is about. ``count``: a number of people (or measurements of people);
#: ``mean``/``estimate``: a mean or a statistic of a group; ``share``: a share of a group
#: in a category; ``reference``: a published figure (Health Monitor, benchmark) that is not
#: about the participants; ``fixed``: a number of the method (scale range, threshold).
Kind = Literal["count", "mean", "estimate", "share", "reference", "fixed"]
#: How a number is written: whole number, decimal, percentage (share 0-1), percentage
#: points (change of a share 0-1), p-value.
Fmt = Literal["int", "num", "pct", "pp", "p"]

#: ``[[quantity_id]]`` in a :class:`Text` marks where a number goes.
PLACEHOLDER = re.compile(r"\[\[([A-Za-z0-9_.:\-]+)\]\]")

#: Kinds the disclosure rules apply to (numbers about the participants).
PEOPLE_KINDS = ("count", "mean", "estimate", "share")


class ContentError(EvalkitError, ValueError):
    """The content of a page is inconsistent (e.g. one quantity with two numbers)."""


@dataclass(frozen=True)
class Quantity:
    """One number shown on a page, with the counts it rests on.

    Attributes
    ----------
    id : str
        Unique on the page (``"n_pairs"``, ``"rc.improved"``, ``"sub.gender.man.n"``).
    value : float or None
        The full, unrounded value (None: not available).
    kind : Kind
    group_n : int or None
        People the number rests on (for a count: the count itself).
    in_n : int or None
        For a share: the people in the category (the complement is ``group_n - in_n``).
    basis : tuple of str
        Ids of counts this number reveals (a share reveals its count; a change of a share
        reveals both shares); when one of them is suppressed, so is this number.
    digits : int
        Decimals when written.
    fmt : Fmt
    label : str
        What the number is, in words (for the disclosure record).
    source : str
        For reference figures: source and year.
    """

    id: str
    value: float | None
    kind: Kind
    group_n: int | None = None
    in_n: int | None = None
    basis: tuple[str, ...] = ()
    digits: int = 1
    fmt: Fmt = "num"
    label: str = ""
    source: str = ""

    @property
    def complement_n(self) -> int | None:
        if self.kind != "share" or self.group_n is None or self.in_n is None:
            return None
        return int(self.group_n) - int(self.in_n)

    @property
    def missing(self) -> bool:
        return self.value is None or (isinstance(self.value, float) and math.isnan(self.value))


@dataclass(frozen=True)
class Partition:
    """Parts that add up to a total (rule 3: secondary suppression).

    ``prefer`` names quantities to hide first when a hidden part could otherwise be
    derived by subtraction (e.g. the total number of participants rather than the number
    with both measurements); without it, the smallest shown part is hidden.
    """

    id: str
    total: str
    parts: tuple[str, ...]
    prefer: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ref:
    """A place where the number of quantity ``id`` is shown."""

    id: str


@dataclass(frozen=True)
class Status:
    """A table cell saying whether (and why) quantity ``id`` (or one of ``also``) is
    suppressed."""

    id: str
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Text:
    """Plain text (never HTML) with ``[[id]]`` placeholders for numbers.

    When a number in it is suppressed, ``fallback`` is shown instead (also plain text with
    placeholders); without a fallback the number is replaced by a suppression marker
    ("minder dan 10" or "niet getoond").
    """

    template: str
    fallback: str | None = None
    style: Literal["p", "note", "suppressed", "banner"] = "p"

    def ids(self) -> list[str]:
        out = PLACEHOLDER.findall(self.template)
        if self.fallback:
            out += PLACEHOLDER.findall(self.fallback)
        return out


@dataclass(frozen=True)
class KeyFigure:
    """A big number in the summary: ``value`` (a Text, e.g. ``"[[mean_pre]] → [[mean_post]]"``)
    above a short ``label``."""

    value: Text
    label: str


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass
class Table:
    """Rows of cells: plain text, :class:`Ref` (a number), :class:`Status` or :class:`Text`
    (numbers inside words, such as a confidence interval ``"[[[lo]], [[hi]]]"``)."""

    columns: list[Column]
    rows: list[dict[str, str | Ref | Status | Text]]
    caption: str = ""

    def ids(self) -> list[str]:
        out: list[str] = []
        for r in self.rows:
            for c in r.values():
                if isinstance(c, Ref):
                    out.append(c.id)
                elif isinstance(c, Status):
                    out.extend((c.id, *c.also))
                elif isinstance(c, Text):  # a cell with numbers in words, e.g. "[lo, hi]"
                    out.extend(c.ids())
        return out


@dataclass
class Figure:
    """Data of a figure, drawn by the renderer after disclosure.

    ``kind`` selects the drawing (see :mod:`evalkit.reports.html`); ``data`` holds
    :class:`Ref` values (and plain labels); ``alt`` is the text alternative, with the same
    quantities as the figure shows; ``caption`` explains the legend and lines.
    """

    kind: Literal["means", "bars", "did", "funnel", "trend", "boxes", "forest"]
    data: dict
    alt: Text
    caption: str

    def ids(self) -> list[str]:
        out: list[str] = list(self.alt.ids())

        def walk(x: object) -> None:
            if isinstance(x, Ref):
                out.append(x.id)
            elif isinstance(x, dict):
                for v in x.values():
                    walk(v)
            elif isinstance(x, (list, tuple)):
                for v in x:
                    walk(v)

        walk(self.data)
        return out


@dataclass
class Choose:
    """Alternative presentations of the same people, most detailed first.

    Each option is a list of blocks. The disclosure layer picks, for the whole page, the
    most informative option it can show safely (the one with the most of its own numbers
    shown; the first on a tie) and the renderer draws only that option. The typical use
    is merging categories instead of hiding them: reliable change as improved /
    unchanged / deteriorated, else improved / not improved, else not deteriorated /
    deteriorated. The quantities of the options that are not chosen are not on the page
    (hidden, and not in the disclosure record); the merged numbers pass the rules like
    any other (their partitions are registered on the page).
    """

    id: str
    options: list[list[Block]]

    def option_ids(self) -> list[list[str]]:
        return [[i for b in opt for i in _block_ids(b)] for opt in self.options]


Block = Text | KeyFigure | Table | Figure | Choose | list[KeyFigure]


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    subtitle: str = ""

    def add(self, block: Block) -> Block:
        self.blocks.append(block)
        return block


@dataclass
class Page:
    """One report page: sections plus the registry of every quantity on it."""

    title: str
    lang: str = "nl"
    sections: list[Section] = field(default_factory=list)
    quantities: dict[str, Quantity] = field(default_factory=dict)
    partitions: list[Partition] = field(default_factory=list)
    banner: Text | None = None
    meta: dict = field(default_factory=dict)

    # -- building -------------------------------------------------------------------------
    def q(self, id: str, value: float | None, kind: Kind, **kw: object) -> Ref:
        """Register a quantity (rule 4: one number per quantity) and return a reference."""
        v = None if value is None else float(value)
        if v is not None and math.isnan(v):
            v = None
        new = Quantity(id, v, kind, **kw)  # type: ignore[arg-type]
        old = self.quantities.get(id)
        if old is not None:
            same = (old.value is None and v is None) or (
                old.value is not None
                and v is not None
                and math.isclose(old.value, v, rel_tol=1e-12, abs_tol=1e-12)
            )
            if not same or old.kind != kind:
                raise ContentError(
                    f"quantity {id!r} registered twice with different numbers "
                    f"({old.value!r} and {v!r}): one quantity has one number on "
                    "a page (rule 4)."
                )
            return Ref(id)
        self.quantities[id] = new
        return Ref(id)

    def ref(self, id: str) -> Ref:
        if id not in self.quantities:
            raise ContentError(f"no quantity {id!r} on this page.")
        return Ref(id)

    def partition(
        self, id: str, total: str, parts: list[str] | tuple[str, ...], prefer: tuple[str, ...] = ()
    ) -> None:
        for x in (total, *parts, *prefer):
            if x not in self.quantities:
                raise ContentError(f"partition {id!r}: no quantity {x!r} on this page.")
        self.partitions.append(Partition(id, total, tuple(parts), tuple(prefer)))

    def section(self, id: str, title: str) -> Section:
        s = Section(id, title)
        self.sections.append(s)
        return s

    # -- reading --------------------------------------------------------------------------
    def blocks(self) -> Iterator[tuple[Section, Block]]:
        for s in self.sections:
            for b in s.blocks:
                yield s, b

    def referenced_ids(self, chosen: dict[str, int] | None = None) -> set[str]:
        """Ids of every quantity the page refers to; with ``chosen`` (the option picked
        per :class:`Choose` block) only those of the chosen options."""
        out: set[str] = set()
        if self.banner is not None:
            out.update(self.banner.ids())
        for _, b in self.blocks():
            if chosen is not None and isinstance(b, Choose):
                for x in b.options[chosen.get(b.id, 0)]:
                    out.update(_block_ids(x))
            else:
                out.update(_block_ids(b))
        return out

    def choices(self) -> list[Choose]:
        """The :class:`Choose` blocks of the page, in page order."""
        return [b for _, b in self.blocks() if isinstance(b, Choose)]

    def check(self) -> None:
        """Every placeholder and reference names a registered quantity."""
        unknown = sorted(self.referenced_ids() - set(self.quantities))
        if unknown:
            raise ContentError(f"the page refers to unknown quantities: {unknown[:10]}.")


def _block_ids(b: Block) -> list[str]:
    if isinstance(b, Text):
        return b.ids()
    if isinstance(b, KeyFigure):
        return b.value.ids()
    if isinstance(b, (Table, Figure)):
        return b.ids()
    if isinstance(b, Choose):
        return [i for opt in b.options for x in opt for i in _block_ids(x)]
    if isinstance(b, list):
        return [i for k in b for i in k.value.ids()]
    return []
