"""lavaan-style measurement model syntax: parser and parameter table.

Two steps, as in lavaan (``lavParseModelString`` then ``lavaanify``):

1. :func:`parse_model` turns model text into :class:`ModelTerm` objects::

       # comments start with '#' or '!'
       social    =~ y01 + y02 + y03      # first loading fixed to 1 (marker)
       emotional =~ NA*y07 + a*y08 + a*y09   # free first loading; equal labelled loadings
       emotional ~~ 1*emotional          # fixed latent variance
       y01 ~~ y02                        # residual covariance
       y01 ~ 1                           # intercept (free by default when meanstructure)
       y01 | t1 + t2 + t3                # thresholds (ordinal estimators only)

   Modifiers before ``*``: a number fixes the parameter (``1*x1``), ``NA`` frees it
   (``NA*x1``), a name labels it (``a*x2``; parameters with the same label are equal),
   ``c(...)`` gives one modifier per group (``c(a, b)*x2``). Statements are separated by
   new lines or ``;``; a statement continues on the next line when a line ends with ``+``
   or an operator, or the next line starts with ``+``.

2. :func:`build_partable` expands the terms into a full parameter table with lavaan's
   ``cfa()`` defaults (``auto.fix.first``, ``auto.var``, ``auto.cov.lv.x``, intercepts
   and latent means under a mean structure) and lavaan's ``group.equal`` /
   ``group.partial`` rules. Equality constraints are expressed by *sharing a free
   parameter index*: rows with the same ``free`` number are one parameter.

The table (a DataFrame) has one row per model-matrix element per group, with columns

``id, lhs, op, rhs, group, free, label, value, user, mat, row, col, equal_key``

- ``free``: 0 for a fixed parameter, else 1-based index into the free-parameter vector
  (shared by rows that are constrained equal);
- ``value``: the fixed value (NaN for free parameters);
- ``mat``: the model matrix (``lambda`` p x m loadings, ``theta`` p x p residual
  (co)variances, ``psi`` m x m latent (co)variances, ``nu`` p intercepts, ``alpha`` m
  latent means, ``tau`` thresholds) with ``row``/``col`` inside it (symmetric matrices
  store the lower triangle, ``row >= col``);
- ``equal_key``: why rows share a parameter (``"group.equal:loadings"``, a user label,
  or empty).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.core.errors import ParameterError

__all__ = [
    "ModelTerm",
    "ParsedModel",
    "parse_model",
    "build_partable",
    "number_free",
    "GROUP_EQUAL_OPTIONS",
]

#: lavaan's ``group.equal`` keywords that this engine supports.
GROUP_EQUAL_OPTIONS: tuple[str, ...] = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "thresholds",
)

_OPERATORS = ("=~", "~~", "~", "|")
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class Modifier:
    """What one ``modifier*`` says for one group: a fixed value, free (NA), a label."""

    fixed: float | None = None
    label: str | None = None
    free: bool = False  # explicit NA*


@dataclass(frozen=True)
class ModelTerm:
    """One parsed ``lhs op rhs`` element; ``modifiers`` has one entry or one per group."""

    lhs: str
    op: str
    rhs: str
    modifiers: tuple[Modifier, ...] = ()

    def modifier(self, group: int) -> Modifier:
        if not self.modifiers:
            return Modifier()
        if len(self.modifiers) == 1:
            return self.modifiers[0]
        return self.modifiers[group]


@dataclass
class ParsedModel:
    """The terms of a model plus its variables in order of appearance."""

    terms: list[ModelTerm]
    latent: list[str]
    observed: list[str]
    syntax: str = ""
    n_modifier_groups: int = field(default=1)


def _split_statements(text: str) -> list[str]:
    lines = []
    for raw in text.replace(";", "\n").splitlines():
        line = re.split(r"[#!]", raw, maxsplit=1)[0].strip()
        if line:
            lines.append(line)
    statements: list[str] = []
    for line in lines:
        if statements and (
            line.startswith("+")
            or statements[-1].endswith("+")
            or statements[-1].endswith(tuple(_OPERATORS))
            or statements[-1].endswith("*")
        ):
            statements[-1] = statements[-1] + " " + line
        else:
            statements.append(line)
    return statements


def _find_operator(stmt: str) -> tuple[str, int]:
    for op in ("=~", "~~"):
        i = stmt.find(op)
        if i >= 0:
            return op, i
    for op in ("|", "~"):
        i = stmt.find(op)
        if i >= 0:
            return op, i
    for bad in ("==", "<", ">", ":="):
        if bad in stmt:
            raise ParameterError(
                f"model syntax: operator {bad!r} in {stmt!r} is not supported; use shared "
                "labels (a*x1 + a*x2) for equality constraints."
            )
    raise ParameterError(
        f"model syntax: no operator in {stmt!r}; use '=~' (loadings), '~~' "
        "((co)variances), '~ 1' (intercepts) or '|' (thresholds)."
    )


def _parse_single_modifier(tok: str, stmt: str) -> Modifier:
    tok = tok.strip()
    if tok in ("NA", "na"):
        return Modifier(free=True)
    try:
        value = float(tok)
    except ValueError:
        value = None
    if value is not None:
        if not math.isfinite(value):
            raise ParameterError(f"model syntax: modifier {tok!r} in {stmt!r} is not finite.")
        return Modifier(fixed=value)
    if _NAME.match(tok):
        return Modifier(label=tok)
    raise ParameterError(f"model syntax: cannot read modifier {tok!r} in {stmt!r}.")


def _parse_modifiers(text: str, stmt: str) -> tuple[Modifier, ...]:
    text = text.strip()
    m = re.fullmatch(r"c\((.*)\)", text)
    if m:
        parts = [p for p in m.group(1).split(",")]
        if not parts or any(not p.strip() for p in parts):
            raise ParameterError(f"model syntax: empty element in {text!r} in {stmt!r}.")
        return tuple(_parse_single_modifier(p, stmt) for p in parts)
    return (_parse_single_modifier(text, stmt),)


def _check_name(name: str, stmt: str) -> str:
    if not _NAME.match(name):
        raise ParameterError(f"model syntax: {name!r} in {stmt!r} is not a valid variable name.")
    return name


def parse_model(syntax: str) -> ParsedModel:
    """Parse lavaan-style model syntax into terms.

    Parameters
    ----------
    syntax : str
        Model text (see the module docstring for the grammar).

    Returns
    -------
    ParsedModel
        ``terms`` (list of :class:`ModelTerm`), ``latent`` (factor names in order of
        definition) and ``observed`` (indicator names in order of appearance).

    Raises
    ------
    ParameterError
        Empty model, unknown operator, malformed modifier, a latent variable without
        indicators, or the same element specified twice.

    Examples
    --------
    >>> pm = parse_model("f =~ x1 + a*x2 + a*x3  # one factor")
    >>> [(t.lhs, t.op, t.rhs) for t in pm.terms]
    [('f', '=~', 'x1'), ('f', '=~', 'x2'), ('f', '=~', 'x3')]
    """
    if not isinstance(syntax, str):
        raise ParameterError(f"model must be a string of lavaan-style syntax, not {type(syntax).__name__}.")
    statements = _split_statements(syntax)
    if not statements:
        raise ParameterError("model syntax is empty; write e.g. 'social =~ y01 + y02 + y03'.")
    terms: list[ModelTerm] = []
    latent: list[str] = []
    n_mod_groups = 1
    for stmt in statements:
        op, i = _find_operator(stmt)
        lhs = stmt[:i].strip()
        rhs_text = stmt[i + len(op) :].strip()
        if op == "~" and rhs_text.strip() != "1" and not re.fullmatch(r".*\*\s*1", rhs_text):
            raise ParameterError(
                f"model syntax: regressions ({stmt!r}) are not supported by the measurement "
                "model; only '=~', '~~', '~ 1' and '|' are."
            )
        if not lhs or not rhs_text:
            raise ParameterError(f"model syntax: incomplete statement {stmt!r}.")
        lhs_names = [_check_name(x.strip(), stmt) for x in lhs.split("+")]
        if len(lhs_names) != 1:
            raise ParameterError(f"model syntax: one variable left of {op!r} in {stmt!r}.")
        lhs = lhs_names[0]
        for part in rhs_text.split("+"):
            part = part.strip()
            if not part:
                raise ParameterError(f"model syntax: empty element in {stmt!r}.")
            if "*" in part:
                mod_text, name = part.rsplit("*", 1)
                mods = _parse_modifiers(mod_text, stmt)
                if len(mods) > 1:
                    if n_mod_groups not in (1, len(mods)):
                        raise ParameterError(
                            f"model syntax: c(...) modifiers of different lengths in {stmt!r}."
                        )
                    n_mod_groups = len(mods)
            else:
                mods, name = (), part
            name = name.strip()
            if op == "~":
                if name != "1":
                    raise ParameterError(f"model syntax: only '~ 1' (intercept) is supported, in {stmt!r}.")
                terms.append(ModelTerm(lhs, "~1", "", mods))
                continue
            if op == "|":
                if not re.fullmatch(r"t\d+", name):
                    raise ParameterError(f"model syntax: thresholds are named t1, t2, ... in {stmt!r}.")
            else:
                _check_name(name, stmt)
            terms.append(ModelTerm(lhs, op, name, mods))
        if op == "=~" and lhs not in latent:
            latent.append(lhs)
    seen = set()
    for t in terms:
        key = (t.lhs, t.op, t.rhs) if t.op != "~~" else (min(t.lhs, t.rhs), "~~", max(t.lhs, t.rhs))
        if key in seen:
            raise ParameterError(f"model syntax: {t.lhs} {t.op} {t.rhs} is specified twice.")
        seen.add(key)
    if not latent:
        raise ParameterError(
            "model syntax defines no latent variable; write 'factor =~ item1 + item2 + ...'."
        )
    observed: list[str] = []
    for t in terms:
        if t.op == "=~" and t.rhs not in latent and t.rhs not in observed:
            observed.append(t.rhs)
    for t in terms:
        if t.op == "=~" and t.rhs in latent:
            raise ParameterError(
                f"model syntax: {t.lhs} =~ {t.rhs}: higher-order factors are not supported yet."
            )
    for t in terms:
        for v in (t.lhs, t.rhs) if t.op == "~~" else (t.lhs,):
            if t.op in ("~~", "~1", "|") and v not in latent and v not in observed:
                raise ParameterError(
                    f"model syntax: {v!r} in '{t.lhs} {t.op} {t.rhs}' is not an indicator "
                    "or a latent variable of the model."
                )
    return ParsedModel(terms, latent, observed, syntax, n_mod_groups)


# ----------------------------------------------------------------------------------------
# parameter table
# ----------------------------------------------------------------------------------------


def _equal_type(op: str, lhs: str, rhs: str, latent: set[str]) -> str | None:
    if op == "=~":
        return "loadings"
    if op == "~1":
        return "means" if lhs in latent else "intercepts"
    if op == "|":
        return "thresholds"
    if op == "~~":
        if lhs in latent:
            return "lv.variances" if lhs == rhs else "lv.covariances"
        return "residuals" if lhs == rhs else "residual.covariances"
    return None


def _parse_partial(partial, latent: set[str]) -> set[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for p in partial:
        if not isinstance(p, str):
            raise ParameterError(f"partial entries are strings like 'x3~1' or 'f=~x2', got {p!r}.")
        s = p.replace(" ", "")
        for op in ("=~", "~~", "~1", "|"):
            if op in s:
                lhs, rhs = s.split(op, 1)
                if op == "~~":
                    out.add((lhs, op, rhs))
                    out.add((rhs, op, lhs))
                else:
                    out.add((lhs, op, rhs))
                break
        else:
            raise ParameterError(f"partial entry {p!r} is not 'lhs=~rhs', 'lhs~~rhs', 'lhs~1' or 'lhs|t1'.")
    return out


def number_free(keys) -> np.ndarray:
    """Free-parameter indices from one key per table row: ``""`` = fixed (0); rows with
    the same key share one 1-based index, numbered in order of first appearance.

    >>> number_free(["row:1", "", "label:a", "label:a", "row:5"]).tolist()
    [1, 0, 2, 2, 3]
    """
    index: dict[str, int] = {}
    free = []
    for k in keys:
        if not k:
            free.append(0)
            continue
        if k not in index:
            index[k] = len(index) + 1
        free.append(index[k])
    return np.asarray(free, dtype=np.int64)


def build_partable(
    parsed: ParsedModel,
    *,
    n_groups: int = 1,
    meanstructure: bool | None = None,
    group_equal=(),
    group_partial=(),
    auto_fix_first: bool = True,
    thresholds: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Expand parsed terms into a full parameter table with lavaan's ``cfa()`` defaults.

    Parameters
    ----------
    parsed : ParsedModel
    n_groups : int
        Number of groups (blocks).
    meanstructure : bool or None
        Model intercepts and latent means. ``None`` (lavaan's default): only with more
        than one group, or when the syntax has ``~ 1`` terms or thresholds.
    group_equal : sequence of str
        lavaan ``group.equal`` keywords (see :data:`GROUP_EQUAL_OPTIONS`).
    group_partial : sequence of str
        lavaan ``group.partial``: parameters exempt from ``group_equal``, e.g. ``"x3~1"``.
    auto_fix_first : bool
        Fix the first loading of each factor to 1 (unless ``NA*``), lavaan's default.
    thresholds : dict, optional
        Number of thresholds per ordinal indicator (adds ``|`` rows, ``mat="tau"``); for
        ordinal estimators.

    Returns
    -------
    pandas.DataFrame
        The parameter table described in the module docstring.

    Examples
    --------
    >>> pt = build_partable(parse_model("f =~ x1 + x2 + x3"))
    >>> int(pt["free"].max())
    6
    """
    group_equal = tuple(group_equal)
    for ge in group_equal:
        if ge not in GROUP_EQUAL_OPTIONS:
            raise ParameterError(
                f"equal={ge!r} is not allowed; use any of: "
                + ", ".join(repr(o) for o in GROUP_EQUAL_OPTIONS)
                + "."
            )
    lv = list(parsed.latent)
    ov = list(parsed.observed)
    lvset = set(lv)
    if parsed.n_modifier_groups not in (1, n_groups):
        raise ParameterError(
            f"model syntax has c(...) modifiers for {parsed.n_modifier_groups} groups but the "
            f"data have {n_groups} groups."
        )
    thresholds = dict(thresholds or {})
    has_means = any(t.op == "~1" for t in parsed.terms) or bool(thresholds)
    if meanstructure is None:
        meanstructure = n_groups > 1 or has_means
    partial = _parse_partial(group_partial, lvset)
    oidx = {v: i for i, v in enumerate(ov)}
    lidx = {v: i for i, v in enumerate(lv)}

    user = {}
    for t in parsed.terms:
        if t.op == "~~":
            a, b = t.lhs, t.rhs
            if (a in lvset) != (b in lvset):
                raise ParameterError(
                    f"model syntax: covariance between latent {a if a in lvset else b!r} and "
                    f"indicator {b if a in lvset else a!r} is not supported."
                )
            user[(a, "~~", b)] = t
            user[(b, "~~", a)] = t
        else:
            user[(t.lhs, t.op, t.rhs)] = t

    rows = []

    def add(lhs, op, rhs, mat, r, c, default_free, default_value, g, is_user_elem, first=False):
        t = user.get((lhs, op, rhs))
        mod = t.modifier(g) if t is not None else Modifier()
        free = default_free
        value = default_value
        if first and auto_fix_first:
            free, value = False, 1.0
        if mod.free:
            free, value = True, np.nan
        if mod.fixed is not None:
            free, value = False, mod.fixed
        if mod.label is not None and not free and mod.fixed is None and not (first and auto_fix_first):
            free = True
        rows.append(
            dict(
                lhs=lhs,
                op=op,
                rhs=rhs,
                group=g + 1,
                free=free,
                label=mod.label or "",
                value=(np.nan if free else float(value)),
                user=int(t is not None or is_user_elem),
                mat=mat,
                row=r,
                col=c,
            )
        )

    for g in range(n_groups):
        # loadings
        for f in lv:
            inds = [t.rhs for t in parsed.terms if t.op == "=~" and t.lhs == f]
            for k, x in enumerate(inds):
                add(f, "=~", x, "lambda", oidx[x], lidx[f], True, 0.0, g, True, first=(k == 0))
        # thresholds
        for x, nt in thresholds.items():
            for k in range(nt):
                add(x, "|", f"t{k + 1}", "tau", oidx[x], k, True, 0.0, g, False)
        # residual variances and user residual covariances
        for x in ov:
            add(x, "~~", x, "theta", oidx[x], oidx[x], True, 0.0, g, False)
        done = set()
        for t in parsed.terms:
            if t.op == "~~" and t.lhs != t.rhs and t.lhs not in lvset:
                a, b = sorted((t.lhs, t.rhs), key=lambda v: oidx[v], reverse=True)
                if (a, b) in done:
                    continue
                done.add((a, b))
                add(t.lhs, "~~", t.rhs, "theta", oidx[a], oidx[b], True, 0.0, g, True)
        # latent (co)variances: all free by default
        for i, f in enumerate(lv):
            add(f, "~~", f, "psi", i, i, True, 0.0, g, False)
        for i, f in enumerate(lv):
            for j in range(i):
                h = lv[j]
                key = (h, "~~", f) if (h, "~~", f) in user else (f, "~~", h)
                lhs_, rhs_ = (user[key].lhs, user[key].rhs) if key in user else (h, f)
                add(lhs_, "~~", rhs_, "psi", i, j, True, 0.0, g, False)
        if meanstructure:
            for x in ov:
                # intercepts of ordinal indicators are fixed at 0 (thresholds take their place)
                add(x, "~1", "", "nu", oidx[x], 0, x not in thresholds, 0.0, g, False)
            lv_means_free = (g > 0 and "intercepts" in group_equal and "means" not in group_equal) or (
                g > 0 and "thresholds" in group_equal and "means" not in group_equal
            )
            for f in lv:
                add(f, "~1", "", "alpha", lidx[f], 0, lv_means_free, 0.0, g, False)

    pt = pd.DataFrame(rows)
    pt.insert(0, "id", np.arange(1, len(pt) + 1))
    # mark the key that decides which rows share a parameter
    keys = []
    for r in pt.itertuples(index=False):
        if not r.free:
            keys.append("")
            continue
        if r.label:
            keys.append("label:" + r.label)
            continue
        etype = _equal_type(r.op, r.lhs, r.rhs, lvset)
        if n_groups > 1 and etype in group_equal and (r.lhs, r.op, r.rhs) not in partial:
            keys.append(f"group.equal:{etype}:{r.lhs}{r.op}{r.rhs}")
        else:
            keys.append(f"row:{r.id}")
    if partial:
        have = set(zip(pt["lhs"], pt["op"], pt["rhs"]))
        missing = sorted(
            {
                f"{a}{o}{b}"
                for (a, o, b) in partial
                if (a, o, b) not in have and not (o == "~~" and (b, o, a) in have)
            }
        )
        if missing:
            raise ParameterError(
                "partial names parameters that are not in the model: " + ", ".join(missing) + "."
            )
    pt["equal_key"] = keys
    pt["free"] = number_free(keys)
    pt["equal_key"] = [k if (k and not k.startswith("row:")) else "" for k in keys]
    pt["label"] = pt["label"].astype(str)
    return pt
