"""The package as users meet it: public names resolve, the packaging lists every
subpackage, and the console command starts."""

import subprocess
import sys
import tomllib
from pathlib import Path

import evalkit

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves():
    for name in evalkit.__all__:
        assert getattr(evalkit, name) is not None, name
    import evalkit.methods.validation as v

    for name in v.__all__:
        assert callable(getattr(v, name)), name


def test_promised_entry_points_exist():
    # names the issues promise to users and to checks outside this repo
    from evalkit.data import datasets, scales
    from evalkit.methods import did, meta, prepost, validation

    for obj, names in [
        (evalkit, ["read", "validate", "DataValidationError"]),
        (scales, ["score"]),
        (datasets, ["load", "names"]),
        (prepost, ["paired", "proportion_change", "reliable_change", "attrition", "by_group"]),
        (meta, ["random_effects"]),
        (did, ["two_by_two", "twfe", "event_study", "staggered", "bacon"]),
        (
            validation,
            [
                "cfa",
                "invariance",
                "reliability",
                "icc",
                "polychoric",
                "dif",
                "graded_response",
                "cosmin_table",
            ],
        ),
    ]:
        for n in names:
            assert callable(getattr(obj, n)), f"{obj.__name__}.{n}"
    from evalkit.reports import batch
    from evalkit.reports import render as report

    assert callable(report.render) and callable(batch.run)


def test_pyproject_lists_every_subpackage_and_version():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(conf["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "evalkit").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject [tool.setuptools] packages: {found - listed}"
    assert conf["project"]["version"] == evalkit.__version__


def test_console_command_lists_its_subcommands():
    out = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for cmd in ("validate", "template", "codebook", "demo", "report", "batch"):
        assert cmd in out, cmd
