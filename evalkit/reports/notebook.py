"""The notebook view of a coalition report: a thin layer over the same typed objects.

``templates/coalition_report.ipynb`` calls :func:`load` once and
:meth:`CoalitionReport.show` once per section. The content is computed (or read from the
batch's cache), disclosed over the whole page and rendered by the same code as the
in-process renderer, so the notebook shows exactly what the HTML report shows; the last
cell hands the disclosure record to :func:`evalkit.reports.render.render`, which audits the
exported page before writing it.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from evalkit.core.errors import ParameterError

__all__ = ["RECORD_MIME", "CoalitionReport", "load"]

#: MIME type under which the notebook passes the disclosure record to the renderer.
RECORD_MIME = "application/vnd.evalkit.disclosure+json"


class CoalitionReport:
    """Sections of one disclosed coalition report (HTML per section)."""

    def __init__(self, page: Any, params: dict, snapshot: Any = None):
        from evalkit.reports import disclosure
        from evalkit.reports.coalition import _policy
        from evalkit.reports.compute import add_position
        from evalkit.reports.html import render_page

        add_position(page, snapshot)
        self.params = dict(params)
        self.disclosed = disclosure.apply(page, _policy(params))
        self.rendered = render_page(self.disclosed)
        self.section_ids = [s.id for s in page.sections]
        self._titles = {s.id: f"{k}. {s.title}" for k, s in enumerate(page.sections, start=1)}

    def section_html(self, section: str) -> str:
        if section not in self.section_ids:
            if section == "benchmark":  # left out: no benchmark figures were supplied
                return ""
            raise ParameterError(
                f"section={section!r} is not allowed; use one of: {', '.join(self.section_ids)}."
            )
        import html as _h

        head = ""
        if section == self.section_ids[0]:
            page = self.disclosed.page
            head = f"<h1>{_h.escape(page.meta.get('heading', page.title))}</h1>"
            if page.banner is not None:
                from evalkit.reports.html import _Ctx, _text_block

                head += _text_block(_Ctx(self.disclosed), page.banner)
        return (
            f'{head}<section id="{section}" data-section="{section}">'
            f"<h2>{_h.escape(self._titles[section])}</h2>"
            f"{self.rendered.sections[section]}</section>"
        )

    def show(self, section: str) -> None:
        from IPython.display import HTML, display

        html = self.section_html(section)
        if html:
            display(HTML(html))

    def record(self) -> dict:
        """The disclosure record of the sections shown (page hash set by the renderer)."""
        from evalkit.reports import disclosure

        return disclosure.record(
            self.disclosed, self.rendered.displays, page_html="", page_name="", places=self.rendered.places
        )

    def emit_record(self) -> None:
        """Pass the record to the renderer (an output the exported page does not show)."""
        from IPython.display import display

        display({RECORD_MIME: self.record()}, raw=True)


def load(
    *,
    coalition_code: str,
    coalition_name: str = "",
    data_path: str = "",
    results_cache: str = "",
    **params: Any,
) -> CoalitionReport:
    """What the template calls: the batch's cached page, or a fresh computation."""
    from evalkit.reports import coalition
    from evalkit.reports.overview import load_snapshot

    p = {"coalition_code": coalition_code, "coalition_name": coalition_name or coalition_code, **params}
    if results_cache:
        with open(Path(results_cache) / f"{coalition_code}.pkl", "rb") as fh:
            page, cached = pickle.load(fh)
        return CoalitionReport(page, cached, load_snapshot(results_cache))
    coalition.check_report_parameters({k: v for k, v in p.items()})
    df, errors = coalition.read_and_validate(
        Path(data_path), p.get("codebook") or "intervention", p.get("lang", "nl")
    )
    if errors is not None:
        from evalkit.core.errors import DataValidationError

        raise DataValidationError(
            f"het databestand {Path(data_path).name} heeft {len(errors)} "
            "fout(en); maak het rapport met evalkit report voor de "
            "foutpagina."
        )
    from evalkit.reports.files import file_sha256

    p["data_path"] = Path(data_path).name
    p["_data_sha256"] = file_sha256(data_path)
    page, _key = coalition.prepare_page(df, p)
    return CoalitionReport(page, p, None)
