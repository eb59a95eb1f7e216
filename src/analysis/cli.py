"""Command line: `python -m analysis <command>`.

Input problems (a mistyped raw file, a bad as_of) are printed as a numbered
list naming file, row, column and fix, with exit status 2 and no traceback.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import paths
from .errors import InputError, Problem


def _summarise_clean(result, out_dir: Path) -> str:
    obs = result.observations
    roles = obs["role"].value_counts().to_dict()
    lines = [
        f"Clean step for as_of {result.as_of.label}: wrote {paths.relative(out_dir)}/",
        f"  observations.parquet/.csv  {len(obs)} published figures from {len(result.input_hashes)} raw files "
        f"(selected {roles.get('selected', 0)}, superseded {roles.get('superseded', 0)}, "
        f"unverified excluded {roles.get('excluded', 0)}, growth only {roles.get('growth_only', 0)}, "
        f"not yet visible {roles.get('not_visible', 0)})",
        f"  annual.parquet/.csv        {len(result.annual)} indicator-region-years "
        f"({int(result.annual['derived'].sum())} derived from printed growth)",
        f"  ytd.parquet/.csv           {len(result.ytd)} year-to-date figures",
        "  manifest.json              as_of, input file SHA-256, counts",
    ]
    return "\n".join(lines)


def cmd_clean(args: argparse.Namespace) -> None:
    from .clean import run_clean

    start = time.perf_counter()
    out_dir = Path(args.out) if args.out else paths.CLEAN_DIR
    result = run_clean(args.as_of, raw_dir=Path(args.raw) if args.raw else paths.RAW_DIR, out_dir=out_dir,
                       include_unverified=args.include_unverified or None)
    print(_summarise_clean(result, out_dir))
    print(f"  ({time.perf_counter() - start:.1f} s)")


def cmd_validate(args: argparse.Namespace) -> None:
    from .pipeline import validate_quarter

    start = time.perf_counter()
    results = validate_quarter(args.as_of, engine=args.engine)
    s = results["summary"]
    folder = paths.relative(paths.REPORTS_DIR / results["as_of"] / "validation")
    print(f"Validation for as_of {results['as_of']}: {s['checks']} checks, {s['passed']} passed, "
          f"{s['warnings']} warnings, {s['errors']} errors ({time.perf_counter() - start:.1f} s)")
    print(f"  {folder}/validation.pdf, {folder}/data_docs/index.html, {folder}/results.json")
    for check in results["checks"]:
        if not check["success"]:
            print(f"  warning: {check['check']}: {check['title_en']} ({check['rows_failing']} rows)")


def cmd_run(args: argparse.Namespace) -> None:
    from .pipeline import run_quarter

    start = time.perf_counter()
    langs = tuple(x.strip() for x in args.lang.split(",") if x.strip())
    if not set(langs) <= {"zh", "en"}:
        raise InputError([Problem("--lang", f"unknown language in {args.lang!r}", "use zh, en or zh,en")])
    print(f"Quarterly pipeline ({'latest quarter with data' if not args.as_of else args.as_of}):")
    folder = run_quarter(args.as_of, langs=langs, engine=args.engine)
    print(f"Done in {time.perf_counter() - start:.1f} s. Reports in {paths.relative(folder)}/:")
    for name in [*(f"briefing.{lang}.pdf" for lang in langs), "validation/validation.pdf", "validation/data_docs/index.html",
                 "assessment.csv", "manifest.json", "notebooks/"]:
        print(f"  {name}")
    from .changes import report_summary
    print(report_summary(folder))


def cmd_replay(args: argparse.Namespace) -> None:
    from .pipeline import replay
    from .quarters import Quarter

    for q in (args.first, args.last):
        Quarter.parse(q)
    start = time.perf_counter()
    print(f"Replaying {args.first} to {args.last} (Chinese briefings):")
    out = replay(args.first, args.last, workers=args.workers, engine=args.engine)
    print(f"Done in {time.perf_counter() - start:.0f} s: {paths.relative(out)}/evolution.pdf, evolution.csv, "
          f"and one folder per quarter in {paths.relative(out)}/")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis",
                                     description="Haimen modern service industry plan monitor (2022-2024)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, text in (("clean", cmd_clean, "read data/raw, choose best values, write data/clean"),
                             ("validate", cmd_validate, "clean, then check the data and write reports/<as_of>/validation"),
                             ("run", cmd_run, "the whole quarterly pipeline: raw files to PDF briefings"),
                             ("briefing", cmd_run, "the same as run (what `make briefing` calls)")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--as-of", help="quarter such as 2025Q2 (default: the latest quarter with data)")
        p.add_argument("--raw", help=argparse.SUPPRESS)
        p.add_argument("--out", help=argparse.SUPPRESS)
        p.add_argument("--include-unverified", action="store_true",
                       help="let unverified figures win the best-value choice (default: excluded)")
        p.add_argument("--lang", default="zh,en", help="briefing languages: zh, en or zh,en (default)")
        p.add_argument("--engine", choices=["auto", "quarto", "typst"], default="auto",
                       help="PDF route: Quarto when on PATH (auto), or nbconvert + Pandoc + Typst")
        p.set_defaults(func=func)
    rp = sub.add_parser("replay", help="rerun past quarters and chart how the verdicts evolved")
    rp.add_argument("--from", dest="first", required=True, help="first quarter, e.g. 2022Q1")
    rp.add_argument("--to", dest="last", required=True, help="last quarter, e.g. 2025Q2")
    rp.add_argument("--workers", type=int, default=None, help="quarters run at once (default: one per core)")
    rp.add_argument("--engine", choices=["auto", "quarto", "typst"], default="auto")
    rp.set_defaults(func=cmd_replay, as_of=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.as_of is not None:
            from .quarters import Quarter
            Quarter.parse(args.as_of)
        args.func(args)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ValueError as exc:
        if "as_of" not in str(exc):
            raise
        print(InputError([Problem("--as-of", str(exc), "give the quarter as YYYYQn, e.g. --as-of 2025Q2")]), file=sys.stderr)
        return 2
    return 0
