"""Export an executed notebook to one self-contained HTML file that works offline.

``jupyter nbconvert --to html`` loads MathJax and require.js from a CDN: offline (and for a
reader on a closed network) the formulas stay raw LaTeX and the page makes outside
requests. This exporter does neither:

- formulas in Markdown cells (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) are
  converted to MathML with `latex2mathml <https://pypi.org/project/latex2mathml/>`_ when
  the page is written; every current browser renders MathML itself (MathML Core), so no
  script is needed;
- the page has no ``<script src=...>``, no MathJax, require.js or mermaid loader and no
  link to any other host (the lab theme's CSS is inlined, as nbconvert does);
- figures keep their alt text: a PNG output whose metadata has ``alt`` (what
  :mod:`evalkit.core.plotting` writes in a notebook) gets ``<img alt="...">``.

Use::

    from evalkit.reports.notebook_export import export_html
    html = export_html("notebooks/01_programme_effect.ipynb")       # executed notebook

or from the shell (the exporter is registered with nbconvert)::

    jupyter nbconvert --to evalkit_html notebooks/01_programme_effect.ipynb
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor

__all__ = ["OfflineHTMLExporter", "MathMLPreprocessor", "latex_to_mathml", "export_html"]

#: Display math first ($$, \[ \]), then inline ($, \( \)); a ``$`` preceded by a backslash
#: or a digit-dollar amount ("$5") is left alone.
_MATH = re.compile(
    r"\$\$(?P<d1>.+?)\$\$"
    r"|\\\[(?P<d2>.+?)\\\]"
    r"|(?<![\\$\w])\$(?!\s)(?P<i1>[^$\n]+?)(?<![\s\\])\$(?![\w$])"
    r"|\\\((?P<i2>.+?)\\\)",
    re.S,
)
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
_XMLNS = ' xmlns="http://www.w3.org/1998/Math/MathML"'


def latex_to_mathml(latex: str, *, display: bool = False) -> str:
    """One formula as MathML (``<math>``), with the LaTeX kept as its annotation for screen
    readers and copy-paste. Raises ValueError for LaTeX the converter cannot read."""
    import html

    from latex2mathml import exceptions as latex_errors
    from latex2mathml.converter import convert

    # latex2mathml's own errors (each a bare Exception subclass) and the lookups and indexing
    # that fail inside it on malformed LaTeX
    meant = tuple(
        c for c in vars(latex_errors).values() if isinstance(c, type) and issubclass(c, Exception)
    ) + (ValueError, IndexError, KeyError, TypeError, AttributeError)
    try:
        out = convert(latex.strip(), display="block" if display else "inline")
    except meant as exc:
        raise ValueError(f"cannot convert formula {latex!r}: {exc}") from exc
    out = out.replace(_XMLNS, "")
    # the source as alttext: read aloud by screen readers that do not speak MathML
    return out.replace("<math ", f'<math alttext="{html.escape(latex.strip(), quote=True)}" ', 1)


def _convert_markdown(source: str) -> str:
    """Markdown with every formula replaced by MathML (code spans and blocks untouched)."""
    parts = _CODE.split(source)
    for i in range(0, len(parts), 2):  # even parts are outside code

        def repl(m: re.Match) -> str:
            display = m.group("d1") is not None or m.group("d2") is not None
            latex = next(g for g in m.group("d1", "d2", "i1", "i2") if g is not None)
            try:
                mathml = latex_to_mathml(latex, display=display)
            except ValueError:
                return m.group(0)  # left as written: better raw LaTeX than nothing
            return f"\n\n{mathml}\n\n" if display else mathml

        parts[i] = _MATH.sub(repl, parts[i])
    return "".join(parts)


class MathMLPreprocessor(Preprocessor):
    """nbconvert preprocessor: formulas of Markdown cells to MathML."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = _convert_markdown(cell.source)
        return cell, resources


_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block extra_css -%}
<style type="text/css">
math[display="block"] { display: block math; margin: 0.6em 0; font-size: 1.1em; }
math { font-size: 1.05em; }
</style>
{%- endblock extra_css -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img alt="{{ ((output | get_metadata('alt', 'image/png')) or '') | escape_html }}" src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}">
</div>
{%- endblock data_png %}
"""


class OfflineHTMLExporter(HTMLExporter):
    """HTML export without any outside request: MathML formulas, no CDN scripts, alt texts
    on figures (``jupyter nbconvert --to evalkit_html``)."""

    export_from_notebook = "HTML (offline, evalkit)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from jinja2 import DictLoader

        kwargs.setdefault("template_name", "lab")
        super().__init__(*args, **kwargs)
        self.extra_loaders = [DictLoader({"evalkit_offline.html.j2": _TEMPLATE})]
        self.template_file = "evalkit_offline.html.j2"
        self.register_preprocessor(MathMLPreprocessor, enabled=True)

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        resources["mathjax_url"] = ""
        resources["require_js_url"] = ""
        return resources


def export_html(notebook: str | Path | Any, *, exclude_input: bool = False) -> str:
    """The notebook (a path or a ``nbformat`` node, executed or not) as offline HTML."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, (str, Path)) else notebook
    exporter = OfflineHTMLExporter(exclude_input=exclude_input)
    body, _ = exporter.from_notebook_node(nb)
    return body
