"""Disclosure control: the one place that knows the privacy rules of a report page.

The page is the unit. :func:`apply` takes a whole :class:`~evalkit.reports.content.Page`
(every quantity with the counts it rests on, and the partitions of parts into totals)
and decides once per quantity whether its number may be shown; the renderer shows a
suppressed quantity nowhere (not in a table, a figure label, an alt text or a sentence).

The rules are data (:data:`RULES`), each with a check for one quantity or for the page and
the same check over a produced page's disclosure record (:func:`audit_record`):

R1  a count, a mean or a share of a group is shown only if the group has at least
    ``min_cell`` people (a count of zero may be shown);
R2  a share is shown only if both the people in the category and those outside it number
    at least ``min_cell`` (or zero);
R3  wherever parts and their total can both be read on the page, the people in hidden parts
    (total minus the shown parts) number zero or at least ``min_cell`` (secondary
    suppression), and a number that reveals a hidden count is hidden too;
R4  one quantity has one number on the page.

``min_cell`` defaults to 10. It may be raised; below 10 only with an explicit override
(``Policy(min_cell=5, override=True)``), which the report states in its method appendix.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.core.errors import EvalkitError, ParameterError
from evalkit.reports.content import PEOPLE_KINDS, Page, Quantity

__all__ = [
    "DEFAULT_MIN_CELL",
    "FLOOR_MIN_CELL",
    "RECORD_FORMAT",
    "RECORD_SUFFIX",
    "RULES",
    "Decision",
    "DisclosedPage",
    "DisclosureError",
    "Policy",
    "Rule",
    "Violation",
    "apply",
    "audit_dir",
    "audit_page",
    "audit_record",
    "record",
]

#: Default smallest group for which a number may be shown.
DEFAULT_MIN_CELL = 10
#: ``min_cell`` below this needs an explicit override.
FLOOR_MIN_CELL = 10
#: Suffix of the disclosure record written beside each page (``GM0363-amsterdam.html`` ->
#: ``GM0363-amsterdam.disclosure.json``).
RECORD_SUFFIX = ".disclosure.json"
RECORD_FORMAT = "evalkit-disclosure/1"


class DisclosureError(EvalkitError):
    """A page breaks a disclosure rule (the page must not be published)."""

    def __init__(self, message: str, violations: list[Violation] | None = None, *, nl: str | None = None):
        super().__init__(message)
        self.nl = nl  # the Dutch message (i18n.error), as EvalkitError keeps it
        self.violations = list(violations or [])


# ----------------------------------------------------------------------------------------
# policy
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """The threshold of a page: ``min_cell`` (>= 10 unless ``override``)."""

    min_cell: int = DEFAULT_MIN_CELL
    override: bool = False

    def __post_init__(self) -> None:
        m = self.min_cell
        if isinstance(m, bool) or not isinstance(m, int):
            raise ParameterError(f"min_cell moet een heel getal zijn (10 of hoger), niet {m!r}.")
        if not isinstance(self.override, bool):
            raise ParameterError(f"min_cell_override moet ja of nee zijn, niet {self.override!r}.")
        if m < 1:
            raise ParameterError(f"min_cell moet minstens 1 zijn, niet {m}.")
        if m < FLOOR_MIN_CELL and not self.override:
            raise ParameterError(
                f"min_cell {m} is lager dan de ondergrens {FLOOR_MIN_CELL}: dan kunnen "
                "kleine groepen deelnemers herkenbaar worden. Een hogere drempel mag altijd; "
                f"een lagere alleen met een uitdrukkelijke uitzondering (parameter "
                "min_cell_override ja), en het rapport vermeldt die in de methodebijlage."
            )

    @property
    def below_floor(self) -> bool:
        return self.min_cell < FLOOR_MIN_CELL

    def small(self, n: float | None) -> bool:
        """``n`` is 1 to ``min_cell - 1`` (a group too small to show; zero is allowed)."""
        if n is None:
            return False
        return 0.5 <= float(n) < self.min_cell - 1e-9


# ----------------------------------------------------------------------------------------
# rules as data
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    rule: str
    quantity: str
    message: str  # Dutch

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "quantity": self.quantity, "message": self.message}


@dataclass(frozen=True)
class Rule:
    """One disclosure rule: its id and Dutch text, a check of one quantity (primary
    suppression, or None for page-level rules) and a check of a disclosure record."""

    id: str
    title: str
    text: str
    primary: Callable[[Quantity, Policy], bool] | None
    audit: Callable[[dict, Policy], list[Violation]]


def _r1_primary(q: Quantity, p: Policy) -> bool:
    if q.kind not in PEOPLE_KINDS:
        return False
    if q.kind == "count":
        return p.small(q.value if q.group_n is None else q.group_n)
    return q.group_n is None or p.small(q.group_n) or q.group_n == 0


def _r2_primary(q: Quantity, p: Policy) -> bool:
    if q.kind != "share":
        return False
    if q.in_n is None or q.group_n is None:
        return True  # a share without its counts cannot be checked: not shown
    return p.small(q.in_n) or p.small(q.complement_n)


def _shown_items(rec: dict) -> list[dict]:
    return [x for x in rec.get("quantities", []) if x.get("shown")]


def _r1_audit(rec: dict, p: Policy) -> list[Violation]:
    out = []
    for x in _shown_items(rec):
        if x.get("kind") not in PEOPLE_KINDS or x.get("value") is None:
            continue
        n = x.get("group_n")
        if x["kind"] == "count":
            n = x["value"] if n is None else n
            bad = p.small(n)
        else:
            bad = n is None or p.small(n) or n == 0
        if bad:
            out.append(
                Violation(
                    "R1",
                    x["id"],
                    f"{x['id']} ({x.get('display')}) berust op een "
                    f"groep van {n if n is not None else '?'} mensen; de drempel "
                    f"is {p.min_cell}.",
                )
            )
    return out


def _r2_audit(rec: dict, p: Policy) -> list[Violation]:
    out = []
    for x in _shown_items(rec):
        if x.get("kind") != "share" or x.get("value") is None:
            continue
        i, c = x.get("in_n"), x.get("complement_n")
        if i is None or c is None or p.small(i) or p.small(c):
            out.append(
                Violation(
                    "R2",
                    x["id"],
                    f"het aandeel {x['id']} ({x.get('display')}) "
                    f"verraadt een groep van minder dan {p.min_cell} mensen binnen "
                    "of buiten de categorie.",
                )
            )
    return out


def _r3_audit(rec: dict, p: Policy) -> list[Violation]:
    out = []
    items = {x["id"]: x for x in rec.get("quantities", [])}

    def shown_value(i: str) -> float | None:
        x = items.get(i)
        return x.get("value") if x and x.get("shown") else None

    for part in rec.get("partitions", []):
        tot = shown_value(part["total"])
        vals = [shown_value(i) for i in part["parts"]]
        if tot is not None:
            hidden = tot - sum(v for v in vals if v is not None)
            if p.small(hidden):
                out.append(
                    Violation(
                        "R3",
                        part["total"],
                        f"in {part['id']} zijn de verborgen "
                        f"delen af te leiden: totaal min de getoonde delen is "
                        f"{_int(hidden)} (minder dan {p.min_cell}).",
                    )
                )
        elif all(v is not None for v in vals):
            s = sum(v for v in vals if v is not None)
            if p.small(s):
                out.append(
                    Violation(
                        "R3",
                        part["total"],
                        f"in {part['id']} is het verborgen totaal de som van de getoonde delen ({_int(s)}).",
                    )
                )
    for x in _shown_items(rec):
        hid = [b for b in x.get("basis", []) if b in items and not items[b].get("shown")]
        if hid:
            out.append(
                Violation(
                    "R3", x["id"], f"{x['id']} ({x.get('display')}) verraadt de verborgen aantallen {hid}."
                )
            )
    return out


def _r4_audit(rec: dict, p: Policy) -> list[Violation]:
    out = []
    seen: dict[str, set[str]] = {}
    for x in rec.get("quantities", []):
        seen.setdefault(x["id"], set())
        if x.get("shown"):
            seen[x["id"]].add(str(x.get("display")))
            seen[x["id"]].update(str(d) for d in x.get("displays", []))
    counts: dict[str, int] = {}
    for x in rec.get("quantities", []):
        counts[x["id"]] = counts.get(x["id"], 0) + 1
    for i, k in counts.items():
        if k > 1 or len(seen[i]) > 1:
            out.append(
                Violation("R4", i, f"{i} staat met meer dan één getal op de pagina ({sorted(seen[i])}).")
            )
    return out


def _int(x: float) -> str:
    return str(int(round(x))) if abs(x - round(x)) < 1e-6 else f"{x:.2f}"


#: The four rules, in order.
RULES: tuple[Rule, ...] = (
    Rule(
        "R1",
        "Groepsgrootte",
        "Een aantal, gemiddelde of aandeel van een groep staat alleen in het rapport als de "
        "groep minstens min_cell mensen telt (een aantal van nul mag).",
        _r1_primary,
        _r1_audit,
    ),
    Rule(
        "R2",
        "Binnen en buiten de categorie",
        "Een aandeel staat alleen in het rapport als zowel de mensen in de categorie als de "
        "mensen erbuiten minstens min_cell tellen (of nul zijn).",
        _r2_primary,
        _r2_audit,
    ),
    Rule(
        "R3",
        "Geen aftrekken",
        "Waar delen en hun totaal allebei te lezen zijn (tabellen, figuurlabels, "
        "alt-teksten, zinnen, over secties heen), zijn ook andere delen verborgen zodat geen "
        "verborgen deel door aftrekken te vinden is.",
        None,
        _r3_audit,
    ),
    Rule(
        "R4",
        "Eén getal per grootheid",
        "Eén grootheid (uitval, n, totalen) heeft één getal op de pagina.",
        None,
        _r4_audit,
    ),
)
RULE_IDS = tuple(r.id for r in RULES)


# ----------------------------------------------------------------------------------------
# applying the rules to a page
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    shown: bool
    reason: str | None = None  # rule id, or "choice" (in a presentation not chosen)
    secondary: bool = False


@dataclass
class DisclosedPage:
    """A page with one decision per quantity; what every renderer works from."""

    page: Page
    policy: Policy
    decisions: dict[str, Decision] = field(default_factory=dict)
    #: the option shown per :class:`~evalkit.reports.content.Choose` block
    chosen: dict[str, int] = field(default_factory=dict)

    def shown(self, id: str) -> bool:
        return self.decisions[id].shown

    def value(self, id: str) -> float | None:
        """The value if it may be shown, else None."""
        return self.page.quantities[id].value if self.decisions[id].shown else None

    def quantity(self, id: str) -> Quantity:
        return self.page.quantities[id]

    @property
    def lang(self) -> str:
        return self.page.lang

    @property
    def n_suppressed(self) -> int:
        return sum(not d.shown and d.reason != "choice" for d in self.decisions.values())

    def referenced_ids(self) -> set[str]:
        """Quantities the page refers to (only the chosen presentation of each choice)."""
        return self.page.referenced_ids(self.chosen)


def apply(page: Page, policy: Policy | None = None) -> DisclosedPage:
    """Decide for every quantity on ``page`` whether it may be shown (rules R1-R4).

    Where the page offers alternative presentations (:class:`~evalkit.reports.content.
    Choose`, e.g. merged categories), the most informative safe one is chosen first: for
    each option in turn the other options' numbers (and the counts they reveal) are taken
    off the page and the rules applied; the option with the most of its own numbers shown
    wins (the first, most detailed one on a tie, and at once when it shows everything).
    """
    policy = policy or Policy()
    page.check()
    forced: dict[str, str] = {}
    chosen: dict[str, int] = {}
    dec: dict[str, Decision] | None = None
    for ch in page.choices():
        own = [set(ids) for ids in ch.option_ids()]
        common = set.intersection(*own) if own else set()
        own = [o - common for o in own]
        reach = [_with_basis(page, o) for o in own]
        best: tuple[int, int, dict[str, str], dict[str, Decision]] | None = None
        for k, o in enumerate(own):
            f = dict(forced)
            for j, r in enumerate(reach):
                if j != k:
                    f.update({i: "choice" for i in r - reach[k]})
            d = _decide(page, policy, f)
            score = sum(d[i].shown for i in o)
            if best is None or score > best[0]:
                best = (score, k, f, d)
            if score == len(o):
                break
        assert best is not None
        chosen[ch.id], forced, dec = best[1], best[2], best[3]
    if dec is None or len(chosen) > 1:
        dec = _decide(page, policy, forced)
    return DisclosedPage(page, policy, dec, chosen)


def _with_basis(page: Page, ids: set[str]) -> set[str]:
    """``ids`` and every count they reveal (their ``basis``, transitively)."""
    out, todo = set(), list(ids)
    while todo:
        i = todo.pop()
        if i in out or i not in page.quantities:
            continue
        out.add(i)
        todo.extend(page.quantities[i].basis)
    return out


def _decide(page: Page, policy: Policy, forced: dict[str, str]) -> dict[str, Decision]:
    """One decision per quantity: ``forced`` ones are off the page (a presentation not
    chosen), then primary suppression (R1, R2), then secondary suppression (R3) until
    nothing changes."""
    qs = page.quantities
    dec: dict[str, Decision] = {}
    for i, q in qs.items():
        if i in forced:
            dec[i] = Decision(False, forced[i])
            continue
        dec[i] = Decision(True)
        if q.missing:
            continue
        for rule in RULES:
            if rule.primary is not None and rule.primary(q, policy):
                dec[i] = Decision(False, rule.id)
                break

    def hide(i: str, reason: str) -> None:
        dec[i] = Decision(False, reason, secondary=True)

    def val(i: str) -> float:
        v = qs[i].value
        return 0.0 if v is None else float(v)

    for _ in range(10 * (len(page.partitions) + len(qs)) + 10):
        changed = False
        # a number that reveals a hidden count is hidden too
        for i, q in qs.items():
            if dec[i].shown and any(b in dec and not dec[b].shown for b in q.basis):
                hide(i, "R3")
                changed = True
        for part in page.partitions:
            shown_parts = [p for p in part.parts if dec[p].shown]
            if dec[part.total].shown:
                hidden = val(part.total) - sum(val(p) for p in shown_parts)
                if not policy.small(hidden):
                    continue
            else:
                if len(shown_parts) < len(part.parts) or not policy.small(val(part.total)):
                    continue
            # something must go: a preferred quantity, else the smallest shown non-zero part
            pref = [x for x in part.prefer if dec[x].shown]
            cands = [p for p in shown_parts if val(p) > 0.5]
            if pref:
                hide(pref[0], "R3")
            elif cands:
                hide(min(cands, key=lambda p: (val(p), p)), "R3")
            elif dec[part.total].shown:
                hide(part.total, "R3")
            else:  # pragma: no cover - nothing left to hide
                continue
            changed = True
        if not changed:
            break
    else:  # pragma: no cover - the loop only ever hides more, so it ends
        raise DisclosureError("secondary suppression did not settle.")
    return dec


# ----------------------------------------------------------------------------------------
# the disclosure record of a produced page, and its audit
# ----------------------------------------------------------------------------------------
def record(
    disclosed: DisclosedPage,
    displays: dict[str, list[str]],
    *,
    page_html: str,
    page_name: str,
    places: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The machine-readable disclosure record of a rendered page.

    Every quantity shown (its number as written, wherever it appears, with the counts
    behind it) and every quantity suppressed (only its id and the rule; never its
    counts), the partitions, the policy and a hash of the page it belongs to.
    """
    items = []
    used = set(displays) | disclosed.referenced_ids()
    for i in sorted(used):
        q = disclosed.page.quantities[i]
        d = disclosed.decisions[i]
        if d.shown:
            shows = sorted(set(displays.get(i, [])))
            if not shows:  # allowed, but not on this page (e.g. a sentence's fallback)
                continue
            item: dict[str, Any] = {
                "id": i,
                "kind": q.kind,
                "shown": True,
                "label": q.label,
                "value": None if q.value is None else _round(q.value),
                "display": shows[0] if shows else None,
                "displays": shows,
                "group_n": q.group_n,
                "in_n": q.in_n,
                "complement_n": q.complement_n,
                "basis": list(q.basis),
            }
            if q.source:
                item["source"] = q.source
        else:
            item = {
                "id": i,
                "kind": q.kind,
                "shown": False,
                "label": q.label,
                "rule": d.reason,
                "secondary": d.secondary,
                "basis": list(q.basis),
            }
        if places and i in places:
            item["places"] = sorted(set(places[i]))
        items.append(item)
    visible = {x["id"] for x in items}
    parts = [
        {"id": p.id, "total": p.total, "parts": list(p.parts)}
        for p in disclosed.page.partitions
        if p.total in visible or any(x in visible for x in p.parts)
    ]
    return {
        "format": RECORD_FORMAT,
        "page": page_name,
        "page_sha256": hashlib.sha256(page_html.encode("utf-8")).hexdigest(),
        "policy": {"min_cell": disclosed.policy.min_cell, "override": disclosed.policy.override},
        "rules": [{"id": r.id, "title": r.title, "text": r.text} for r in RULES],
        "quantities": items,
        "partitions": parts,
    }


def _round(x: float) -> float:
    return float(f"{x:.10g}")


def audit_record(rec: dict, *, page_html: str | None = None) -> list[Violation]:
    """Check a disclosure record (and, if given, the page it belongs to) against the rules."""
    out: list[Violation] = []
    if rec.get("format") != RECORD_FORMAT:
        return [Violation("record", "", f"geen disclosure-record ({RECORD_FORMAT}).")]
    pol = rec.get("policy", {})
    try:
        policy = Policy(int(pol.get("min_cell", DEFAULT_MIN_CELL)), bool(pol.get("override")))
    except ParameterError as exc:
        return [Violation("policy", "", str(exc))]
    for rule in RULES:
        out.extend(rule.audit(rec, policy))
    if page_html is not None:
        sha = hashlib.sha256(page_html.encode("utf-8")).hexdigest()
        if sha != rec.get("page_sha256"):
            out.append(
                Violation(
                    "record",
                    "",
                    "de pagina hoort niet bij dit record (andere "
                    "SHA-256): de pagina is na de controle veranderd.",
                )
            )
        out.extend(_audit_marks(rec, page_html))
        if policy.below_floor and "min_cell_override" not in page_html:
            out.append(
                Violation(
                    "policy",
                    "",
                    f"min_cell {policy.min_cell} ligt onder "
                    f"{FLOOR_MIN_CELL}, maar de methodebijlage vermeldt de "
                    "uitzondering niet.",
                )
            )
    return out


def _audit_marks(rec: dict, page_html: str) -> list[Violation]:
    """Every number marked on the page (``data-q``) is in the record as shown, as written."""
    import html as _h
    import re

    items = {x["id"]: x for x in rec.get("quantities", [])}
    out = []
    for m in re.finditer(r'<span data-q="([^"]+)">(.*?)</span>', page_html):
        i, shown = _h.unescape(m.group(1)), _h.unescape(m.group(2))
        x = items.get(i)
        if x is None:
            out.append(Violation("record", i, f"{i} staat op de pagina maar niet in het record."))
        elif not x.get("shown"):
            out.append(Violation("R1", i, f"{i} is onderdrukt maar staat op de pagina als {shown!r}."))
        elif shown not in x.get("displays", [x.get("display")]):
            out.append(
                Violation(
                    "R4", i, f"{i} staat op de pagina als {shown!r}, het record zegt {x.get('displays')}."
                )
            )
    return out


def audit_page(html_path: str | Path) -> list[Violation]:
    """Audit one page against the record beside it (missing record = violation)."""
    html_path = Path(html_path)
    rec_path = html_path.with_name(html_path.name[: -len(".html")] + RECORD_SUFFIX)
    if not rec_path.is_file():
        return [Violation("record", "", f"geen disclosure-record naast {html_path.name}.")]
    try:
        rec = json.loads(rec_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [Violation("record", "", f"het record {rec_path.name} is niet te lezen ({exc}).")]
    return audit_record(rec, page_html=html_path.read_text(encoding="utf-8"))


def audit_dir(directory: str | Path, *, pages: Iterable[str] | None = None) -> dict[str, list[Violation]]:
    """Audit every report page in ``directory`` (pages with a record, plus ``index.html``;
    error pages ``*-fout.html`` show no numbers and have no record). Returns the
    violations per page (empty lists for pages that pass)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ParameterError(f"{directory} is geen map.")
    if pages is None:
        names = sorted(p.name for p in directory.glob("*.html") if not p.name.endswith("-fout.html"))
    else:
        names = list(pages)
    return {n: audit_page(directory / n) for n in names}


def is_small(n: float | None, min_cell: int) -> bool:
    """1 to ``min_cell - 1`` (a helper for callers that only need the threshold test)."""
    return n is not None and not math.isnan(float(n)) and 0.5 <= float(n) < min_cell - 1e-9


# ----------------------------------------------------------------------------------------
# command line: evalkit audit DIR
# ----------------------------------------------------------------------------------------
def _cmd_audit(args) -> int:
    import sys

    try:
        result = audit_dir(args.directory)
    except ParameterError as exc:
        print(f"evalkit audit: {exc}", file=sys.stderr)
        return 2
    if not result:
        print(f"evalkit audit: geen rapportpagina's gevonden in {args.directory}.", file=sys.stderr)
        return 2
    bad = {k: v for k, v in result.items() if v}
    for name, violations in bad.items():
        for v in violations:
            print(f"{name}: regel {v.rule}: {v.message}")
    n = len(result)
    if bad:
        print(
            f"evalkit audit: {len(bad)} van de {n} pagina's overtreden de privacyregels; publiceer ze niet.",
            file=sys.stderr,
        )
        return 1
    print(f"evalkit audit: alle {n} pagina's voldoen aan de privacyregels ({', '.join(RULE_IDS)}).")
    return 0


def cli_audit(subparsers) -> None:
    """``evalkit audit DIR``: check every report page in DIR against its disclosure record."""
    p = subparsers.add_parser(
        "audit",
        help="check report pages against the privacy rules",
        description="Checks every report page in DIR (and index.html) against the disclosure "
        "record written beside it and the rules R1-R4; exit code 1 on any "
        "violation.",
    )
    p.add_argument("directory")
    p.set_defaults(func=_cmd_audit)
