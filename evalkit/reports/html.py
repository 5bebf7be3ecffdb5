"""Render a disclosed page to one self-contained HTML file (Jinja2), in this process.

Input is a :class:`~evalkit.reports.disclosure.DisclosedPage`: the renderer never sees a
number that the disclosure layer did not allow. Every number written in running text or a
table is wrapped in ``<span data-q="id">`` so that the audit can match the page with its
disclosure record; figures are drawn here from the figure data (a suppressed bar is not
drawn and its label says so) and their alt texts are filled from the same quantities.

Names (of municipalities, coalitions) are never passed through a number formatter:
"Bergen (NH.)" stays "Bergen (NH.)".
"""

from __future__ import annotations

import base64
import html as _html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evalkit.core import i18n
from evalkit.reports.content import (
    PLACEHOLDER,
    Choose,
    Figure,
    KeyFigure,
    Quantity,
    Ref,
    Status,
    Table,
    Text,
)
from evalkit.reports.disclosure import DisclosedPage

__all__ = ["FIG_DPI", "RenderedPage", "format_quantity", "page_shell", "render_page"]

FIG_DPI = 72


# ----------------------------------------------------------------------------------------
# numbers
# ----------------------------------------------------------------------------------------
def format_quantity(q: Quantity, lang: str) -> str:
    """A number as written on the page (Dutch decimal comma for ``lang="nl"``)."""
    v = q.value
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if q.fmt == "int":
        return i18n.fmt_number(int(round(v)), 0, lang)
    if q.fmt == "pct":
        return i18n.fmt_pct(v, q.digits, lang)
    if q.fmt == "pp":
        s = i18n.fmt_number(100 * v, q.digits, lang)
        unit = i18n.t("pages.html.percentage_points", lang)
        return f"{s} {unit}"
    if q.fmt == "p":
        if v < 0.001:
            return "< " + i18n.fmt_number(0.001, 3, lang)
        return i18n.fmt_number(v, 3, lang)
    return i18n.fmt_number(v, q.digits, lang)


def _marker(d: DisclosedPage, i: str, *, short: bool = False) -> str:
    """What stands where a suppressed number would be."""
    lang = d.lang
    dec = d.decisions[i]
    q = d.quantity(i)
    m = d.policy.min_cell
    if q.kind == "count" and dec.reason == "R1" and not dec.secondary:
        return f"< {m}" if short else i18n.t("pages.html.fewer_than", lang, m=m)
    return "–" if short else i18n.t("pages.html.not_shown", lang)


@dataclass
class _Ctx:
    d: DisclosedPage
    displays: dict[str, list[str]] = field(default_factory=dict)
    places: dict[str, list[str]] = field(default_factory=dict)
    where: str = ""

    def show(self, i: str) -> str | None:
        """The written number of quantity ``i`` (None if suppressed); recorded."""
        if not self.d.shown(i):
            return None
        s = format_quantity(self.d.quantity(i), self.d.lang)
        self.displays.setdefault(i, []).append(s)
        self.places.setdefault(i, []).append(self.where)
        return s

    def html_number(self, i: str, *, short: bool = False) -> str:
        s = self.show(i)
        if s is None:
            return f'<span class="suppressed">{_esc(_marker(self.d, i, short=short))}</span>'
        return f'<span data-q="{_esc(i)}">{_esc(s)}</span>'

    def plain_number(self, i: str) -> str:
        s = self.show(i)
        return _marker(self.d, i) if s is None else s

    def text_ok(self, t: Text) -> bool:
        return all(self.d.shown(i) for i in PLACEHOLDER.findall(t.template))

    def text_html(self, t: Text) -> str:
        tpl = t.template if (self.text_ok(t) or t.fallback is None) else t.fallback
        out, pos = [], 0
        for m in PLACEHOLDER.finditer(tpl):
            out.append(_esc(tpl[pos : m.start()]))
            out.append(self.html_number(m.group(1)))
            pos = m.end()
        out.append(_esc(tpl[pos:]))
        return "".join(out)

    def text_plain(self, t: Text) -> str:
        tpl = t.template if (self.text_ok(t) or t.fallback is None) else t.fallback
        return PLACEHOLDER.sub(lambda m: self.plain_number(m.group(1)), tpl)


def _esc(x: object) -> str:
    return _html.escape(str(x))


# ----------------------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------------------
def _text_block(c: _Ctx, t: Text) -> str:
    cls = {"p": "", "note": "note", "suppressed": "suppressed", "banner": "banner"}[t.style]
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{c.text_html(t)}</p>"


def _status_text(c: _Ctx, i: str) -> str:
    dec = c.d.decisions[i]
    if dec.shown:
        return ""
    m = c.d.policy.min_cell
    if dec.secondary:
        return i18n.t("pages.html.status.secondary", c.d.lang)
    return i18n.t("pages.html.status.fewer_than", c.d.lang, m=m)


def _table_block(c: _Ctx, t: Table) -> str:
    head = "".join(f"<th>{_esc(col.label)}</th>" for col in t.columns)
    body = []
    for row in t.rows:
        cells = []
        for col in t.columns:
            v = row.get(col.key, "")
            if isinstance(v, Ref):
                cells.append(f"<td>{c.html_number(v.id, short=True)}</td>")
            elif isinstance(v, Status):
                s = next((x for x in (_status_text(c, i) for i in (v.id, *v.also)) if x), "")
                cells.append(f'<td class="suppressed">{_esc(s)}</td>' if s else "<td></td>")
            elif isinstance(v, Text):
                cells.append(f"<td>{c.text_html(v)}</td>")
            else:
                cells.append(f"<td>{_esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{_esc(t.caption)}</caption>" if t.caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _keyfigures_block(c: _Ctx, ks: list[KeyFigure]) -> str:
    items = "".join(f"<div><strong>{c.text_html(k.value)}</strong>{_esc(k.label)}</div>" for k in ks)
    return f'<div class="keyfigures">{items}</div>'


def _figure_block(c: _Ctx, f: Figure) -> str:
    from evalkit.reports import figures

    alt = c.text_plain(f.alt)
    png = figures.draw(f, c.d, lambda i: c.plain_number(i) if i else "")
    b64 = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{_esc(f.caption)}</figcaption>" if f.caption else ""
    return f'<figure><img src="data:image/png;base64,{b64}" alt="{_esc(alt)}">{cap}</figure>'


#: Renderers for block types defined elsewhere (e.g. the overview's coalition table).
CUSTOM_BLOCKS: dict[type, Callable[[Any, Any], str]] = {}


def _block_html(c: _Ctx, b: Any) -> str:
    custom = CUSTOM_BLOCKS.get(type(b))
    if custom is not None:
        return custom(c, b)
    if isinstance(b, Text):
        return _text_block(c, b)
    if isinstance(b, Choose):  # only the presentation the disclosure layer chose
        return "\n".join(_block_html(c, x) for x in b.options[c.d.chosen.get(b.id, 0)])
    if isinstance(b, Table):
        return _table_block(c, b)
    if isinstance(b, Figure):
        return _figure_block(c, b)
    if isinstance(b, list):
        return _keyfigures_block(c, b)
    if isinstance(b, KeyFigure):
        return _keyfigures_block(c, [b])
    raise TypeError(f"unknown block {type(b).__name__}")


# ----------------------------------------------------------------------------------------
# page
# ----------------------------------------------------------------------------------------
_PAGE = None


def _template():
    global _PAGE
    if _PAGE is None:
        import jinja2

        env = jinja2.Environment(
            autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined
        )
        _PAGE = env.from_string(_PAGE_TEMPLATE)
    return _PAGE


_PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="evalkit {{ version }}">
<title>{{ title }}</title>
<style>{{ css | safe }}</style>
</head>
<body>
<main>
{% if heading %}<h1>{{ heading }}</h1>
{% endif %}
{% if banner %}{{ banner | safe }}
{% endif %}
{% for s in sections %}
<section id="{{ s.id }}" data-section="{{ s.id }}">
{% if s.title %}<h2>{{ s.title }}</h2>
{% endif %}
{{ s.body | safe }}
</section>
{% endfor %}
{{ extra | safe }}
</main>
</body>
</html>
"""


@dataclass
class RenderedPage:
    html: str
    displays: dict[str, list[str]]
    places: dict[str, list[str]]
    sections: dict[str, str]


def section_bodies(d: DisclosedPage, ctx: _Ctx | None = None) -> dict[str, str]:
    """The HTML of each section body (for the notebook view, which shows them one by one)."""
    c = ctx or _Ctx(d)
    out = {}
    for s in d.page.sections:
        parts = []
        for b in s.blocks:
            c.where = s.id
            parts.append(_block_html(c, b))
        out[s.id] = "\n".join(parts)
    return out


def page_shell(body: str, *, title: str, lang: str = "nl") -> str:
    """A complete, self-contained page around ready HTML (error pages, index)."""
    from evalkit.reports.files import html_page

    return html_page(body, title=title, lang=lang)


def render_page(
    d: DisclosedPage,
    *,
    numbered: bool = True,
    extra_html: str = "",
    section_hook: Callable[[str], str] | None = None,
) -> RenderedPage:
    """HTML of the whole page plus what the disclosure record needs (numbers as written,
    and where)."""
    from evalkit._version import __version__
    from evalkit.reports.files import CSP, REPORT_CSS

    c = _Ctx(d)
    banner = ""
    if d.page.banner is not None:
        c.where = "banner"
        banner = _text_block(c, d.page.banner)
    bodies = section_bodies(d, c)
    secs = []
    for k, s in enumerate(d.page.sections, start=1):
        title = f"{k}. {s.title}" if numbered and s.title else s.title
        secs.append({"id": s.id, "title": title, "body": bodies[s.id]})
    html = _template().render(
        lang=d.lang,
        csp=CSP,
        version=__version__,
        title=d.page.title,
        css=REPORT_CSS,
        heading=d.page.meta.get("heading", d.page.title),
        banner=banner,
        sections=secs,
        extra=extra_html,
    )
    return RenderedPage(html, c.displays, c.places, bodies)
