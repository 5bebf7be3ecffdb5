"""``evalkit demo``: the main job on the bundled example data.

Writes one data file per example coalition (the bundled ``interventions`` data, or with
``--all`` a generated evaluation for every one of the 345 municipalities), runs the report
batch over them and prints where ``index.html`` is::

    evalkit demo                      # 14 example coalitions -> reports/index.html
    evalkit demo --all --workers 2    # one report per municipality (345)
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from evalkit.core.i18n import LANGS
from evalkit.reports.render import DEFAULT_TEMPLATE, atomic_write, safe_filename

__all__ = ["cli_demo", "run_demo", "write_example_coalitions"]


def write_example_coalitions(
    directory, *, all_municipalities: bool = False, seed: int | None = None
) -> pd.DataFrame:
    """Write one CSV per example coalition into ``directory``; return the coalition list.

    Parameters
    ----------
    directory : path
        Folder for the files (``GM0363-amsterdam.csv`` ...); unchanged files are not
        rewritten, so a second batch run skips them.
    all_municipalities : bool
        False: the bundled ``interventions`` data (14 coalitions). True: a generated
        evaluation for each of the 345 municipalities (``generate_interventions(345)``).
    seed : int, optional
        Seed of the generator (default: the bundled seed).

    Returns
    -------
    DataFrame
        ``coalition_code, coalition_name, data_path`` -- the ``coalitions`` argument of
        :func:`evalkit.batch.run`.
    """
    from evalkit.core.errors import ParameterError
    from evalkit.data import datasets

    if not isinstance(all_municipalities, bool):
        raise ParameterError(f"all_municipalities must be True or False, got {all_municipalities!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ParameterError(f"seed must be a whole number or None, got {seed!r}.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if all_municipalities:
        df = datasets.generate_interventions(
            345, seed if seed is not None else datasets.SEEDS["interventions"]
        )
    elif seed is not None:
        df = datasets.generate_interventions(len(datasets.FEATURED_MUNICIPALITIES), seed)
    else:
        df = datasets.load("interventions")
    rows = []
    for code, sub in df.groupby("municipality_code", sort=True):
        name = str(sub["municipality_name"].iloc[0])
        path = directory / f"{code}-{safe_filename(name)}.csv"
        data = datasets.to_csv_bytes(sub.reset_index(drop=True))
        if not path.is_file() or path.read_bytes() != data:
            atomic_write(path, data)
        rows.append({"coalition_code": str(code), "coalition_name": name, "data_path": str(path.resolve())})
    return pd.DataFrame(rows)


def default_data_dir(out) -> Path:
    """Where the demo keeps its example input files: ``voorbeelddata/`` beside the reports
    folder (never inside it: the reports folder holds no participant-level files)."""
    return Path(out).resolve().parent / "voorbeelddata"


def run_demo(
    out="reports",
    *,
    workers=None,
    all_municipalities=False,
    rerun="changed",
    progress=True,
    lang="nl",
    data_dir=None,
):
    """Write the example data to ``data_dir`` (default: ``voorbeelddata/`` beside ``out``)
    and run the batch into ``out``; every page says "voorbeeldgegevens"."""
    from evalkit.core.checks import check_option, check_positive_int
    from evalkit.core.errors import ParameterError
    from evalkit.reports import batch

    # refused before any file is written or any kernel starts
    if workers is not None:
        check_positive_int(workers, "workers")
    check_option("rerun", rerun, ("changed", "failed", "all"))
    check_option("lang", lang, LANGS)
    out = Path(out)
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir(out)
    if data_dir.resolve() == out.resolve() or out.resolve() in data_dir.resolve().parents:
        raise ParameterError(
            "de voorbeelddata mogen niet in de map met rapporten staan "
            f"({data_dir}); kies een andere map met --data."
        )
    stale = out / "data"  # older demos wrote participant-level files into the reports
    if stale.is_dir() and all(f.suffix == ".csv" for f in stale.iterdir()):
        for f in stale.iterdir():
            f.unlink()
        stale.rmdir()
    coalitions = write_example_coalitions(data_dir, all_municipalities=all_municipalities)
    res = batch.run(
        DEFAULT_TEMPLATE,
        coalitions,
        out,
        workers=workers,
        rerun=rerun,
        progress=progress,
        parameters={"lang": lang, "example_data": True},
        cwd=data_dir.parent,
    )
    res.data_dir = data_dir
    return res


def _cmd_demo(args) -> int:
    t0 = time.perf_counter()
    res = run_demo(
        args.out,
        workers=args.workers,
        all_municipalities=args.all,
        rerun=args.rerun,
        progress=not args.quiet,
        lang=args.lang,
        data_dir=args.data,
    )
    skipped = int((res.table["status"] == "skipped").sum())
    print(
        f"{res.n_ok} {'rapport' if res.n_ok == 1 else 'rapporten'} gemaakt, {skipped} "
        f"ongewijzigd, {res.n_failed} niet gemaakt in {time.perf_counter() - t0:.1f} s."
    )
    print(f"Voorbeelddata (verzonnen deelnemers): {res.data_dir}")
    print(f"Overzicht: {res.index_path}")
    return 0 if res.n_failed == 0 else 1


def cli_demo(subparsers) -> None:
    """``evalkit demo [--out DIR] [--workers N] [--all]``"""
    p = subparsers.add_parser(
        "demo",
        help="run the coalition reports on the bundled example data",
        description="Writes the example coalitions' data files (invented participants) to "
        "voorbeelddata/ beside OUT (or --data DIR), renders one report per "
        "coalition into OUT, each marked 'voorbeeldgegevens', and prints where "
        "index.html is.",
    )
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    p.add_argument(
        "--data", default=None, help="folder for the example input files (default: voorbeelddata/ beside OUT)"
    )
    p.add_argument("--all", action="store_true", help="a generated evaluation for all 345 municipalities")
    p.add_argument("--rerun", choices=("changed", "failed", "all"), default="changed")
    p.add_argument("--lang", choices=LANGS, default="nl")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_cmd_demo)
