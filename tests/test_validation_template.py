"""The validation report template: a thin notebook over evalkit.reports.validation, run with
papermill through evalkit's renderer (the page is audited before it is written)."""

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "validation_report.ipynb"


def test_template_stored_without_outputs_and_has_parameters():
    nb = nbformat.read(TEMPLATE, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
    from evalkit.reports import render as report

    params = report.template_parameters(TEMPLATE)
    assert {"codebook", "data_path", "lang", "min_cell", "gold_standard", "content_validity"} <= set(params)
    assert params["data_path"] is None  # required
    assert params["gold_standard"] == ""  # criterion validity only against a named gold standard
    # thin: no analysis in the notebook, one cell per section of the page
    from evalkit.reports.validation import SECTIONS

    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "cosmin_table" not in code and "invariance(" not in code
    assert all(f'report.show("{s}")' in code for s in SECTIONS)


def test_template_renders_an_audited_page(tmp_path):
    import evalkit
    from evalkit.reports import disclosure
    from evalkit.reports.render import render

    data = evalkit.datasets.load("youth")
    path = tmp_path / "youth.csv"
    data.to_csv(path, index=False)
    out = render(
        TEMPLATE,
        {
            "data_path": str(path),
            "lang": "en",
            "n_boot": 0,
            "invariance_groups": ["gender"],
            "example_data": True,
        },
        tmp_path / "out",
        cwd=ROOT,
        execution_timeout=600,
        basename="validation",
    )
    html = out.html_path.read_text(encoding="utf-8")
    assert disclosure.audit_dir(tmp_path / "out") == {"validation.html": []}
    text = " ".join(html.split())
    assert "COSMIN summary" in text and "Measurement invariance (cross-cultural validity)" in text
    assert "gender: rejected at scalar" in text and "DIF: y07 (gender)" in text
    assert "not assessed (no gold standard named)" in text
    assert "Example data (synthetic" in text
    assert "J00001" not in html  # no participant rows
    assert "youth.csv" in text  # provenance: the data file and its hash
