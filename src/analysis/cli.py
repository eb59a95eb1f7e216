"""Command line: `python -m analysis <command>`.

Input problems (a mistyped raw file, a bad as_of) are printed as a numbered
list naming file, row, column and fix, with exit status 2 and no traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from analysis.core import paths, storage
from analysis.core.errors import OPTION_NOTE, InputError, Problem


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
    from analysis.inputs.clean import run_clean

    start = time.perf_counter()
    out_dir = Path(args.out) if args.out else paths.CLEAN_DIR
    storage.clean_leftovers(out_dir.parent)
    storage.check_writable(out_dir)
    result = run_clean(args.as_of, raw_dir=Path(args.raw) if args.raw else paths.RAW_DIR, out_dir=out_dir,
                       include_unverified=args.include_unverified or None)
    print(_summarise_clean(result, out_dir))
    print(f"  ({time.perf_counter() - start:.1f} s)")
    _say_ignored(Path(args.raw) if args.raw else paths.RAW_DIR)


def _say_ignored(raw_dir: Path) -> None:
    """The files in the raw folder that no run reads, named on the console (inputs/rawfolder.py)."""
    from analysis.inputs.rawfolder import ignored_note

    note = ignored_note(raw_dir)
    if note:
        print(f"  {note}")


def cmd_validate(args: argparse.Namespace) -> None:
    from analysis.run.pipeline import validate_quarter

    start = time.perf_counter()
    results = validate_quarter(args.as_of, engine=args.engine)
    s = results["summary"]
    folder = paths.relative(Path(results["report_dir"]))
    print(f"Validation for as_of {results['as_of']}: {s['checks']} checks, {s['passed']} passed, "
          f"{s['warnings']} warnings, {s['errors']} errors ({time.perf_counter() - start:.1f} s)")
    print(f"  {folder}/validation.pdf, {folder}/data_docs/index.html, {folder}/results.json")
    print(f"  clean data: {paths.relative(paths.CLEAN_DIR)}/ (published reports are not touched: `run` publishes)")
    for check in results["checks"]:
        if not check["success"]:
            print(f"  warning: {check['check']}: {check['title_en']} ({check['rows_failing']} rows)")
    _say_ignored(paths.RAW_DIR)


def parse_langs(text: str) -> tuple[str, ...]:
    """zh, en or zh,en; empty lists, unknown codes and repeats are refused before anything is written."""
    parts = [x.strip() for x in str(text).split(",")]
    problems = []
    if not any(parts):
        problems.append("no language given / 未指定语言")
    elif "" in parts:
        problems.append("an empty entry in the list / 列表中有空项")
    unknown = [x for x in parts if x and x not in ("zh", "en")]
    if unknown:
        problems.append(f"unknown language {', '.join(map(repr, unknown))} / 未知语言")
    repeated = sorted({x for x in parts if x and parts.count(x) > 1})
    if repeated:
        problems.append(f"{', '.join(repeated)} given more than once / 语言重复")
    if problems:
        raise InputError([Problem("--lang", f"{'; '.join(problems)} in {text!r}", "use zh, en or zh,en (the default)")],
                         note=OPTION_NOTE)
    return tuple(parts)


def cmd_run(args: argparse.Namespace) -> None:
    from analysis.run.pipeline import run_quarter

    start = time.perf_counter()
    langs = parse_langs(args.lang)
    print(f"Quarterly pipeline ({'latest quarter with data' if not args.as_of else args.as_of}):")
    folder = run_quarter(args.as_of, langs=langs, engine=args.engine, cache_dir=None if args.no_cache else paths.CACHE_DIR)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    version = manifest.get("version") or {}
    replaced = version.get("replaces")
    print(f"Done in {time.perf_counter() - start:.1f} s. Reports in {paths.relative(folder)}/ "
          f"(version {version.get('number')}, {version.get('published')}"
          + (f"; version {replaced['number']} kept in {paths.relative(folder)}/{replaced['kept_in']}" if replaced else "")
          + "):")
    for name, what in [*((f"briefing.{lang}.pdf", "briefing / 简报") for lang in langs),
                       *((f"briefing.{lang}.docx", "editable briefing (Word) / 可编辑简报") for lang in langs),
                       ("validation/validation.pdf", "data validation / 数据验证"),
                       ("validation/data_docs/index.html", "Great Expectations Data Docs"),
                       ("assessment.csv, assessment.xlsx", "every target's verdict / 各目标判断"),
                       ("figures.csv", "every figure with its source, raw file and row / 数据来源"),
                       ("changes.csv", "what changed since the previous quarter (and the replaced version) / 本季度变化"),
                       ("manifest.json", "version, hashes of inputs, config and outputs"), ("notebooks/", "executed notebooks")]:
        print(f"  {name:34s} {what}")
    for name, what in [(", ".join(f"departments.{lang}.pdf" for lang in langs), "department returns annex / 部门台账附件"),
                       ("returns.csv", "every department return read / 部门报送数据"), ("forms/", "return forms sent / 台账填报表"),
                       ("previous_quarter/", "the previous quarter rebuilt from the data (it has no report) / 上季度数据重建")]:
        if (folder / name.split(",")[0]).exists():     # only once a round of returns has started / no report of last quarter
            print(f"  {name:34s} {what}")
    from analysis.report.changes_words import report_summary
    print(report_summary(folder))
    _say_ignored(paths.RAW_DIR)


def cmd_forms(args: argparse.Namespace) -> None:
    from analysis.core.config import load_config
    from analysis.inputs.forms import form_due, last_verdicts, write_forms
    from analysis.core.quarters import Quarter
    from analysis.inputs.returns import read_returns

    cfg = load_config()
    quarter = Quarter.from_label(args.as_of) if args.as_of else Quarter.containing(date.today()).previous()
    # last values come from the returns of earlier quarters (a mistyped return stops here, with its message)
    previous = read_returns(paths.RETURNS_DIR, cfg, quarter.previous())
    out_dir = paths.REPORTS_DIR / quarter.label / "forms"
    written = write_forms(cfg, quarter, out_dir, previous, last_verdicts(paths.REPORTS_DIR, quarter))
    print(f"Return forms for {quarter.label} (due {form_due(cfg, quarter).isoformat()}): {len(written)} workbooks in "
          f"{paths.relative(out_dir)}/")
    for path in written:
        print(f"  {path.name}")
    print(f"Filled returns go, unchanged, into {paths.relative(paths.RETURNS_DIR / quarter.label)}/; then run "
          f"`python -m analysis run --as-of {quarter.label}`.")


def workers_count(text: str) -> int:
    """--workers: a whole number of at least 1 (argparse prints the message, no traceback)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number / 须为正整数") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is not a number of processes: give 1 or more / 须为正整数")
    return n


def cmd_replay(args: argparse.Namespace) -> None:
    from analysis.run.replay import quarter_range, replay

    quarters = quarter_range(args.first, args.last)
    start = time.perf_counter()
    print(f"Replaying {quarters[0]} to {quarters[-1]} ({len(quarters)} quarters, Chinese briefings):")
    out = replay(quarters[0], quarters[-1], workers=args.workers, engine=args.engine,
                 cache_dir=None if args.no_cache else paths.CACHE_DIR, full=args.full)
    print(f"Done in {time.perf_counter() - start:.0f} s: {paths.relative(out)}/evolution.zh.pdf and evolution.en.pdf, "
          f"evolution.csv, arrivals.csv, and one folder per quarter in {paths.relative(out)}/")


AS_OF_HELP = "quarter such as 2025Q2 or 2025q2, one that has ended (default: the latest ended quarter with data)"
ENGINE_HELP = "PDF route: Quarto when on PATH (auto), or nbconvert + Pandoc + Typst"
COMMANDS = {
    "clean": ("read data/raw, choose best values, write data/clean",
              "Writes data/clean/ (observations, annual, ytd as parquet and csv, manifest.json). "
              "Nothing is written when a raw file has a problem."),
    "validate": ("clean, then check the data; does not publish",
                 "Passing: the report goes to reports/scratch/<as_of>/validation/ and the clean data to data/clean/. "
                 "Failing: the report goes to reports/<as_of>.failed/validation/ and nothing else changes. "
                 "Published reports/<as_of>/ folders are never touched."),
    "run": ("the whole quarterly pipeline: raw files to PDF and Word briefings",
            "Publishes reports/<as_of>/ (briefings, validation/, assessment.csv, manifest.json, notebooks/) and "
            "data/clean/, only when every step succeeded; the version it replaces moves to "
            "reports/<as_of>/history/<timestamp>/. A failed run changes nothing but reports/<as_of>.failed/."),
    "briefing": ("the same as run (what `make briefing` calls)", None),
    "forms": ("write the quarterly return forms (台账), one workbook per lead unit",
              "Writes reports/<as_of>/forms/: one .xlsx per lead unit named by the plan, its targets and milestones "
              "pre-filled and protected, the cells to fill unlocked, instructions in Chinese on the first sheet."),
    "replay": ("rerun past quarters and chart how the verdicts evolved",
               "Runs every quarter from --from to --to as it would have been briefed then (Chinese briefing only) "
               "and writes reports/replay_<from>_<to>/: one folder per quarter (briefing PDF, assessment, figures, check "
               "results, executed notebooks; --full adds validation.pdf, Data Docs and the Word file), evolution.zh.pdf and evolution.en.pdf "
               "(P(target met), verdict and projection quarter by quarter), evolution.csv, arrivals.csv, "
               "outcomes.json. data/clean/ and reports/<quarter>/ are left alone."),
}
# Ctrl-C in a command run in its own process (__main__): what it leaves, in place of a traceback
INTERRUPTED_HERE = ("interrupted (Ctrl-C): nothing half-written is published. `run` publishes the quarter's report "
                    "folder and data/clean/ whole or not at all (a Ctrl-C while it publishes waits for the end; the "
                    "report's manifest.json says which version is published); `replay` publishes its replay_ folder "
                    "in reports/ only when it finishes / 已中断：不会发布不完整的结果。`run` 的季度报告和 data/clean/ "
                    "要么整体发布，要么不发布（发布过程中按 Ctrl-C 会等发布完成，以报告的 manifest.json 为准）；"
                    "`replay` 只在全部完成时才发布 reports/ 下的回放文件夹")
NO_CACHE_HELP = ("draw every chart again (default: reuse a chart drawn before from the same inputs and code, kept in "
                 "data/cache/figures/; the outputs are the same either way)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis",
                                     description="Haimen modern service industry plan monitor (2022-2024)")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func) -> argparse.ArgumentParser:
        text, where = COMMANDS[name]
        where = where or COMMANDS["run"][1]
        p = sub.add_parser(name, help=text, description=f"{text}. {where}")
        p.set_defaults(func=func)
        return p

    p = command("clean", cmd_clean)
    p.add_argument("--as-of", help=AS_OF_HELP)
    p.add_argument("--raw", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--include-unverified", action="store_true",
                   help="let unverified figures win the best-value choice (default: excluded)")
    p = command("validate", cmd_validate)
    p.add_argument("--as-of", help=AS_OF_HELP)
    p.add_argument("--engine", choices=["auto", "quarto", "typst"], default="auto", help=ENGINE_HELP)
    for name in ("run", "briefing"):
        p = command(name, cmd_run)
        p.add_argument("--as-of", help=AS_OF_HELP)
        p.add_argument("--lang", default="zh,en", help="briefing languages: zh, en or zh,en (default)")
        p.add_argument("--engine", choices=["auto", "quarto", "typst"], default="auto", help=ENGINE_HELP)
        p.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    p = command("forms", cmd_forms)
    p.add_argument("--as-of", help="the quarter the returns report on, e.g. 2025Q4 (default: the last ended quarter)")
    rp = command("replay", cmd_replay)
    rp.add_argument("--from", dest="first", required=True, help="first quarter, e.g. 2022Q1")
    rp.add_argument("--to", dest="last", required=True, help="last quarter (ended), e.g. 2025Q2")
    rp.add_argument("--workers", type=workers_count, default=None,
                    help="quarters run at once, 1 or more (default: one per core, at most one per quarter)")
    rp.add_argument("--engine", choices=["auto", "quarto", "typst"], default="auto", help=ENGINE_HELP)
    rp.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    rp.add_argument("--full", action="store_true",
                    help="also write each quarter's validation.pdf, Data Docs site, coverage chart and Word briefing (default: "
                         "left out, they restate the executed notebooks and results.json; what they cost: "
                         "benchmarks/results/pipeline_notes.md)")
    rp.set_defaults(as_of=None)
    return parser


def _problems_shown() -> int | None:
    """limits.problems_shown from config/settings.yaml; None (the default) when the config itself is what failed."""
    try:
        from analysis.core.config import load_config
        return load_config().limit("problems_shown")
    except Exception:      # noqa: BLE001 - the message being printed matters more than its length setting
        return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.as_of is not None:
            from analysis.core.quarters import Quarter
            args.as_of = Quarter.parse(args.as_of).label
        args.func(args)
    except InputError as exc:
        if exc.shown is None:
            exc.shown = _problems_shown()
        print(exc, file=sys.stderr)
        return 2
    except ValueError as exc:
        if "as_of" not in str(exc):
            raise
        print(InputError([Problem("--as-of", str(exc), "give an ended quarter as YYYYQn, e.g. --as-of 2025Q2")],
                         note=OPTION_NOTE),
              file=sys.stderr)
        return 2
    return 0
