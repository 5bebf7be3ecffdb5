"""Notebooks as the committee reads them: formulas offline, figures with alt text, screenshots.

- The offline HTML export (:mod:`evalkit.reports.notebook_export`, ``jupyter nbconvert --to
  evalkit_html``) turns every formula of the notebooks into MathML and loads nothing from
  any other host (no MathJax or require.js from a CDN).
- In a notebook, a matplotlib figure is shown as ``<img alt="...">`` with the figure's alt
  text (the IPython formatter that ``evalkit.plotting.set_style()`` installs).
- Screenshots (slow, needs Debian's Chromium): each committee notebook, executed (the copy
  ``tests/test_notebooks.py`` kept for the same sources, else executed here: see
  ``tests/notebook_support.py``; no order between the files is needed), exported offline and opened in
  Chromium with every request outside the page refused; the test asserts that no request
  was made, that formulas are laid out as MathML, that every figure has an alt text and is
  drawn, and keeps a screenshot of each figure and of the first formula in
  ``tests/artifacts/notebooks/`` (git-ignored, as the portal's screenshots).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import matplotlib
import nbformat
import pytest
from notebook_support import executed

from evalkit.reports.notebook_export import export_html, latex_to_mathml

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ARTIFACTS = ROOT / "tests" / "artifacts" / "notebooks"
CHROMIUM = Path("/usr/bin/chromium")

_URL_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
_CSS_URL = re.compile(r"""url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)
_FORMULA = re.compile(r"\$\$.+?\$\$|(?<![\\$\w])\$(?!\s)[^$\n]+?(?<![\s\\])\$(?![\w$])", re.S)


def _formulas(nb) -> int:
    return sum(len(_FORMULA.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")


def _assert_offline(html: str) -> None:
    assert not _URL_ATTR.search(html), _URL_ATTR.search(html).group(0)
    assert not _CSS_URL.search(html), _CSS_URL.search(html).group(0)
    assert "mathjax" not in html.lower()
    assert "<script src" not in html.lower()


def test_latex_to_mathml_has_no_namespace_url_and_keeps_the_source():
    out = latex_to_mathml(r"\hat\beta = \sum_i w_i \Delta_i", display=True)
    assert out.startswith("<math ") and 'display="block"' in out
    assert "http" not in out
    assert 'alttext="\\hat\\beta = \\sum_i w_i \\Delta_i"' in out
    assert "<msub>" in out and "&#x003B2;" in out  # beta, subscript: really converted


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if _formulas(nbformat.read(p, 4))], ids=lambda p: p.name
)
def test_offline_export_renders_every_formula_without_outside_requests(path):
    nb = nbformat.read(path, as_version=4)
    n = _formulas(nb)
    html = export_html(nb)
    _assert_offline(html)
    body = html[html.index("<body") :]
    assert body.count("<math ") == n, (body.count("<math "), n)
    # no formula left as raw LaTeX in the text (outside the alttext attributes)
    text = re.sub(r'alttext="[^"]*"', "", body)
    assert not re.search(r"\$[^$<>\n]{1,80}\$", text)


def test_a_small_notebook_exports_offline_with_formulas_as_mathml():
    nb = nbformat.v4.new_notebook()
    nb.cells.append(
        nbformat.v4.new_markdown_cell(
            "Price `$x$` and $y_i$ and\n\n$$ATT(g,t) = E[Y_t - Y_{g-1} \\mid G = g]$$\n\nand 5 $ or \\(a^2\\)."
        )
    )
    html = export_html(nb)
    _assert_offline(html)
    assert "<code>$x$</code>" in html  # code stays code
    assert html.count("<math ") == 3
    assert len(re.findall(r'<math[^>]*display="block"', html)) == 1
    assert "<msub><mi>y</mi><mi>i</mi></msub>" in html


def test_figures_in_a_notebook_are_shown_with_their_alt_text():
    from IPython.core.interactiveshell import InteractiveShell

    import evalkit
    from evalkit.core import plotting

    shell = InteractiveShell.instance()
    try:
        plotting.set_style()  # installs the formatter in the running IPython
        df = evalkit.datasets.load("interventions")
        df = df[df["participant_id"].isin(df["participant_id"].unique()[:40])]
        df = df.assign(total=evalkit.scales.score(df, "djg11")["total"])
        res = evalkit.prepost.paired(df, outcome="total", unit="participant_id", time="wave")
        ax = res.plot(lang="en")
        data, meta = shell.display_formatter.format(ax.figure)
        alt = plotting.alt_text(ax)
        assert alt and "Before and after" in alt
        html = data["text/html"]
        assert html.startswith("<img ") and 'src="data:image/png;base64,' in html
        assert re.search(r'alt="([^"]+)"', html).group(1) == alt.replace("'", "&#x27;")
        assert meta["image/png"]["alt"] == alt  # the PNG's metadata, for the offline export
        # a figure drawn by hand (no plot()) still gets a description from what is drawn
        import matplotlib.pyplot as plt

        fig, ax2 = plt.subplots()
        ax2.plot([2018, 2019], [1, 2], label="coalitie")
        ax2.set_title("Handgemaakt")
        ax2.set_xlabel("Jaar")
        ax2.legend()
        data2, _ = shell.display_formatter.format(fig)
        assert 'alt="Handgemaakt: horizontale as: Jaar; reeksen: coalitie."' in data2["text/html"]
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")
        InteractiveShell.clear_instance()


def test_offline_export_puts_the_alt_text_on_the_image():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
            metadata={"image/png": {"alt": 'Figuur: "a" & b'}},
        )
    ]
    nb.cells.append(cell)
    html = export_html(nb)
    from html.parser import HTMLParser

    imgs = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                imgs.append(dict(attrs))

    P().feed(html)
    assert imgs == [{"alt": 'Figuur: "a" & b', "src": "data:image/png;base64,iVBORw0KGgo="}]


# ---------------------------------------------------------------------------------- browser
@pytest.mark.slow
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_figures_and_formulas_in_chromium(path, tmp_path):
    from playwright import sync_api

    nb = executed(path)  # kept by test_notebooks.py for these sources, else run here
    html = export_html(nb)
    _assert_offline(html)
    page_file = tmp_path / (path.stem + ".html")
    page_file.write_text(html, encoding="utf-8")
    shots = ARTIFACTS / path.stem
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)

    outside: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})

            def guard(route):
                url = route.request.url
                if url.startswith(("file:", "data:", "about:")):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", guard)
            start = time.perf_counter()
            page.goto(page_file.as_uri(), wait_until="load")
            # formulas laid out by the browser (MathML Core): each has a box
            maths = page.locator("math")
            n_math = maths.count()
            assert n_math == _formulas(nb)
            for i in range(n_math):
                box = maths.nth(i).bounding_box()
                assert box and box["width"] > 2 and box["height"] > 5, (i, box)
            if n_math:
                first_block = page.locator('math[display="block"]').first
                target = first_block if first_block.count() else maths.first
                target.evaluate("e => e.closest('.jp-Cell').scrollIntoView()")
                page.locator(".jp-MarkdownCell", has=target).first.screenshot(path=str(shots / "formula.png"))
            # every figure: an alt text, decoded, screenshot kept
            imgs = page.locator(".jp-OutputArea-output img")
            n_img = imgs.count()
            assert n_img >= 3, f"{path.name}: {n_img} figures"
            for i in range(n_img):
                img = imgs.nth(i)
                alt = img.get_attribute("alt") or ""
                assert len(alt) > 20, (i, alt)
                assert img.evaluate("e => e.complete && e.naturalWidth > 0")
                img.screenshot(path=str(shots / f"figure_{i + 1:02d}.png"))
            elapsed = time.perf_counter() - start
        finally:
            browser.close()
    assert not outside, f"requests outside the page: {outside}"
    print(f"{path.name}: {n_math} formulas, {n_img} figures, {elapsed:.1f} s in the browser")


def test_show_displays_the_figure_with_its_alt_text_and_closes_it():
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell

    from evalkit.core import plotting

    shell = InteractiveShell.instance()
    shown = []
    try:
        shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append((data, metadata))
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        plotting.set_alt_text(ax, "Een rechte lijn van 0 naar 1.")
        plotting.show(ax)
        assert not plt.fignum_exists(fig.number)  # closed: the inline backend does not show it again
        (data, meta), *_ = shown
        assert 'alt="Een rechte lijn van 0 naar 1."' in data["text/html"]
        assert meta["image/png"]["alt"] == "Een rechte lijn van 0 naar 1."
    finally:
        plt.close("all")
        InteractiveShell.clear_instance()
