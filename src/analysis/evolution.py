"""The replay's evolution report: how each target's verdict, P(target met) and projection moved, quarter by quarter.

What a planner asks of a replay is "when did we learn what?": so every quarter of
the range is a column (also a quarter whose run failed, or where the target had
no P(met) because its figure was out), the quarter in which a new figure became
visible is marked and listed, and targets with nothing to draw in any quarter
are left out (counted on the first page) instead of filling pages with empty
axes. The first page is a heatmap of P(met) by target and quarter (heatmaps.py);
then one page per target with data, headline targets first. One PDF per
language: evolution.zh.pdf and evolution.en.pdf.

This module prepares the data (which targets, which figures arrived when);
evolution_pages.py draws the pages.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .config import Config
from .quarters import Quarter
from .wording import amount, period_words, status_words

# columns of an assessment row that carry something to draw; a target none of them is set for in any quarter
# has no data for the evolution report
DATA_COLUMNS = ("p_met", "projection_q50", "latest_value", "figure_value")
RELIABILITY_WORDS = {"official": ("官方", "official"), "secondary": ("转载", "secondary copy"),
                     "unverified": ("来源未核实", "unverified source"), "department": ("部门台账", "department return")}
ARRIVAL_COLUMNS = ["as_of", "indicator", "region", "period", "year", "value", "unit", "growth_pct", "status",
                   "reliability", "qualifier", "published_date", "figure_id", "source_title"]


def targets_with_data(history: pd.DataFrame) -> list[str]:
    """Targets that have something to draw in at least one quarter: headline targets first, then in plan order.

    history: the replay's evolution.csv (every quarter's assessment.csv, one row per target and quarter).
    """
    if history.empty:
        return []
    columns = [c for c in DATA_COLUMNS if c in history]
    has = history.groupby("target", sort=False)[columns].apply(lambda g: bool(g.notna().any().any()))
    order = list(dict.fromkeys(history["target"]))
    headline = history.groupby("target", sort=False)["headline"].any() if "headline" in history else pd.Series(dtype=bool)
    chosen = [t for t in order if has.get(t, False)]
    return sorted(chosen, key=lambda t: (not bool(headline.get(t, False)), order.index(t)))


def arrivals(observations: pd.DataFrame, quarters: list[str], region: str) -> pd.DataFrame:
    """The figures (raw rows) for region that first became visible in each quarter of the range.

    observations: rows with first_visible (clean.mark_visibility), as the replayed quarters read them:
    a row appears in the quarter whose inputs first contained it, so a figure published during 2024Q3
    after that quarter's reporting cut-off arrives in 2024Q4.
    """
    from .figures import figure_id

    obs = observations[observations["first_visible"].isin(quarters) & (observations["region"] == region)]
    obs = obs[obs["value"].notna() | obs["growth_pct"].notna()]
    out = obs.assign(as_of=obs["first_visible"], figure_id=[figure_id(o) for o in obs["obs_id"]])
    out = out.reindex(columns=ARRIVAL_COLUMNS)
    order = {q: i for i, q in enumerate(quarters)}
    return out.sort_values(["as_of", "indicator", "year"], key=lambda s: s.map(order) if s.name == "as_of" else s,
                           kind="mergesort").reset_index(drop=True)


def read_arrivals(raw_dir: Path, cfg: Config, quarters: list[str]) -> pd.DataFrame:
    """arrivals() from the raw files: every row's first visible quarter under the configured reporting cut-off."""
    from .clean import mark_visibility
    from .ingest import ingest

    obs, _ = ingest(Path(raw_dir), cfg)
    cutoff_days = int(cfg.settings["reporting_cutoff_days_after_quarter_end"])
    marked = mark_visibility(obs, Quarter.from_label(quarters[-1]), cutoff_days)
    return arrivals(marked, quarters, cfg.settings["home_region"])


def arrival_text(row: pd.Series, lang: str) -> str:
    """One arrived figure as a reader scans it: 2023年 521亿元 (预计数 · 官方) [Fxxxxxx] / 2023: 52.1 billion yuan ..."""
    period = period_words(row["period"], lang, row.get("year"))
    parts = []
    if pd.notna(row["value"]):
        parts.append(amount(float(row["value"]), str(row["unit"]), lang))
    if pd.notna(row.get("growth_pct")):
        g = float(row["growth_pct"])
        parts.append(f"增长 {g:.1f}%" if lang == "zh" else f"growth {g:+.1f}%")
    source = RELIABILITY_WORDS.get(str(row["reliability"]), (str(row["reliability"]),) * 2)
    tags = [status_words(str(row["status"]), lang), source[0] if lang == "zh" else source[1]]
    sep = " " if lang == "zh" else ": "
    value = "，".join(parts) if lang == "zh" else ", ".join(parts)
    ident = f" [{row['figure_id']}]" if isinstance(row.get("figure_id"), str) and row["figure_id"] else ""
    return f"{period}{sep}{value} ({' · '.join(tags)}){ident}"


def quarter_frame(g: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    """One target's rows indexed by every quarter of the range (a quarter without a row is all NaN)."""
    return g.drop_duplicates("as_of", keep="last").set_index("as_of").reindex(quarters)


def write_evolution(history: pd.DataFrame, quarters: list[str], raw_dir: Path, out_dir: Path,
                    langs: tuple[str, ...] = ("zh", "en"), cfg: Config | None = None,
                    submit: Callable | None = None) -> dict[str, list[str]]:
    """arrivals.csv and evolution.<lang>.pdf for each language in out_dir; returns lang -> the targets given a page.

    A raw folder that cannot be read (every quarter then failed, and outcomes.json says why) gives an
    empty arrivals table rather than a second error.
    submit (a replay's worker pool, `submit(fn, *args) -> Future`): the languages after the first are drawn
    there while this process draws the first. The pages are matplotlib's text layout with CJK fonts, on one
    core: drawn side by side, the replay's tail after its last quarter is about 2 s shorter.
    """
    from . import storage
    from .config import load_config
    from .errors import InputError
    from .evolution_pages import evolution_pdf

    cfg = cfg or load_config()
    try:
        arrived = read_arrivals(raw_dir, cfg, quarters)
    except InputError:
        arrived = pd.DataFrame(columns=ARRIVAL_COLUMNS)
    storage.write_csv(arrived, Path(out_dir) / "arrivals.csv")
    elsewhere = {lang: submit(evolution_pdf, history, quarters, arrived, Path(out_dir) / f"evolution.{lang}.pdf", cfg, lang)
                 for lang in (langs[1:] if submit else ())}
    try:
        here = {lang: evolution_pdf(history, quarters, arrived, Path(out_dir) / f"evolution.{lang}.pdf", cfg, lang)
                for lang in langs if lang not in elsewhere}
    except BaseException:
        from concurrent.futures import wait
        wait(elsewhere.values())     # out_dir is removed when this fails: nothing must still be writing in it
        raise
    return {lang: here[lang] if lang in here else elsewhere[lang].result() for lang in langs}
