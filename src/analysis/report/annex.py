"""The department annex (reports/<q>/departments.zh.pdf, .en.pdf): the quarterly round of returns at a glance.

Written only when data/returns/ exists (the shipped state has none: the
quarter's report is then exactly as before). Four parts, for the
development-and-reform bureau that runs the round: the chase list (lead
units whose return for the quarter is missing or incomplete), status by
lead unit, the milestones with the status their unit reported, and the
targets whose verdict rests on a department return. It is built as a
notebook of Markdown cells and rendered by the same route as the briefing
(render.render_notebook); every value from a return or the registry is
escaped once, by md_table / md_text.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from analysis.core.config import Config
from analysis.model.departments import chase_list, latest_returns, return_id, unit_status
from analysis.core.escape import md_text
from analysis.inputs.forms import form_due
from analysis.core.present import md_table
from analysis.core.quarters import Quarter
from analysis.inputs.responsible import lead_units, responsibilities, unit_en
from analysis.core.wording import L, amount, target_label

STATE_WORDS = {"missing": ("未报送", "missing"), "incomplete": ("未填完", "incomplete")}


def _unit(cfg: Config, unit: str, lang: str) -> str:
    return unit if lang == "zh" else f"{unit_en(cfg, unit)} ({unit})"


def chase_line(table_returns: pd.DataFrame | None, cfg: Config, as_of: Quarter, lang: str) -> str:
    """One sentence for the briefing's data notes: who has not returned (empty when there are no returns at all)."""
    if table_returns is None:
        return ""
    chase = chase_list(table_returns, cfg, as_of)
    if chase.empty:
        return md_text(L(lang, f"{as_of.label}各牵头单位台账均已报齐。", f"Every lead unit returned its {as_of.label} form in full."))
    units = L(lang, "、", "; ").join(L(lang, u, unit_en(cfg, u)) + L(lang, f"（{STATE_WORDS[s][0]}）", f" ({STATE_WORDS[s][1]})")
                                     for u, s in zip(chase["unit"], chase["state"]))
    return md_text(L(lang, f"{as_of.label}部门台账待催报：{units}；详见部门台账附件。",
                     f"Department returns to chase for {as_of.label}: {units}; see the department annex."))


def sections(table: pd.DataFrame, returns: pd.DataFrame, cfg: Config, as_of: Quarter, lang: str) -> list[str]:
    """The annex as Markdown sections (each one cell of the rendered notebook)."""
    resp = responsibilities(cfg)
    chase = chase_list(returns, cfg, as_of)
    n_units = len(lead_units(cfg))
    got = len(set(returns.loc[returns["quarter"] == as_of.label, "unit"])) if len(returns) else 0
    out = [L(lang, f"# 部门台账附件 · {as_of.label}", f"# Department returns annex · {as_of.label}"),
           md_text(L(lang, f"报送截止：{form_due(cfg, as_of).isoformat()}。{n_units}个牵头单位中{got}个已报送本季度台账。"
                           "部门报送数据可作为计数类目标和节点任务的依据，但不替代统计部门公布的数据；"
                           "以此为依据的结论标注“部门报送”。",
                     f"Returns were due on {form_due(cfg, as_of).isoformat()}. {got} of {n_units} lead units "
                     f"{'has' if got == 1 else 'have'} returned this quarter's form. A department return is evidence for counts and milestones that no statistics "
                     "bureau publishes; it never replaces a published statistic, and every verdict resting on one says "
                     "\"department return\"."))]
    out.append(L(lang, "## 催报清单", "## Chase list"))
    rows = [{"unit": _unit(cfg, r.unit, lang), "state": L(lang, *STATE_WORDS[r.state]), "filled": f"{r.filled}/{r.expected}"}
            for r in chase.itertuples()]
    out.append(md_table(pd.DataFrame(rows), {"unit": L(lang, "牵头单位", "Lead unit"), "state": L(lang, "状态", "State"),
                                             "filled": L(lang, "已填/应填", "Filled / expected")} if rows else None,
                        empty=L(lang, "各牵头单位均已报齐。", "Every lead unit has returned its form in full.")))
    out.append(L(lang, "## 分牵头单位进展", "## Status by lead unit"))
    status = unit_status(table, cfg)
    status["unit"] = [_unit(cfg, u, lang) for u in status["unit"]]
    out.append(md_table(status, {"unit": L(lang, "牵头单位", "Lead unit"), "targets": L(lang, "量化目标", "Targets"),
                                 "milestones": L(lang, "节点任务", "Milestones"), "achieved": L(lang, "已完成（含基本完成）", "Achieved (incl. broadly)"),
                                 "not_achieved": L(lang, "未完成", "Not achieved"), "open": L(lang, "待研判", "Open"),
                                 "on_return": L(lang, "依据部门报送", "On a return")}))
    latest = latest_returns(returns)
    out.append(L(lang, "## 节点任务", "## Milestones"))
    rows = []
    for _, r in table[table["type"] == "milestone"].iterrows():
        ret = latest.loc[r["target"]] if r["target"] in latest.index else None
        done = ret["completed"] if ret is not None and isinstance(ret["completed"], date) else None
        rows.append({"name": target_label(r, lang), "unit": _unit(cfg, resp[r["target"]].lead, lang), "due": int(r["target_year"]),
                     "progress": (ret["status_word"] if lang == "zh" else ret["progress"].replace("_", " ")) if ret is not None
                     else L(lang, "未报送", "not returned"),
                     "done": done.isoformat() if done else "", "verdict": r["verdict_zh"] if lang == "zh" else r["verdict_en"],
                     "id": return_id(ret) if ret is not None else ""})
    out.append(md_table(pd.DataFrame(rows), {"name": L(lang, "任务", "Milestone"), "unit": L(lang, "牵头单位", "Lead unit"),
                                             "due": L(lang, "时限", "Due"), "progress": L(lang, "报送状态", "Reported"),
                                             "done": L(lang, "完成日期", "Completed"), "verdict": L(lang, "结论", "Verdict"),
                                             "id": L(lang, "数据编号", "Figure id")}))
    out.append(L(lang, "## 以部门报送为依据的目标", "## Targets resting on a department return"))
    rows = []
    on_return = table[table["return_obs_id"].notna() & (table["type"] != "milestone")] if "return_obs_id" in table else table.iloc[0:0]
    for _, r in on_return.iterrows():
        rows.append({"name": target_label(r, lang), "unit": _unit(cfg, r["return_unit"], lang),
                     "value": amount(float(r["figure_value"]), str(r["unit"]), lang), "as_at": r["return_as_at"],
                     "verdict": r["verdict_zh"] if lang == "zh" else r["verdict_en"], "id": r["figure_ids"]})
    out.append(md_table(pd.DataFrame(rows), {"name": L(lang, "目标", "Target"), "unit": L(lang, "报送单位", "Unit"),
                                             "value": L(lang, "报送值", "Value"), "as_at": L(lang, "截至", "As at"),
                                             "verdict": L(lang, "结论", "Verdict"), "id": L(lang, "数据编号", "Figure id")}
                        if rows else None, empty=L(lang, "（无）", "(none)")))
    out.append(md_text(L(lang, "数据编号（R开头）为报告文件夹中 figures.csv 的一行：报送单位、文件、工作表、行号、佐证材料（文号）和联系人；"
                               "returns.csv 中同一编号为该行报送数据。",
                         "A figure id (R...) is a row of figures.csv in the report folder: the unit that returned it, file, "
                         "sheet, row, evidence (document number) and contact; returns.csv has the same id on the row read.")))
    return out


def write_annex(report_dir: Path, table: pd.DataFrame, returns: pd.DataFrame, cfg: Config, as_of: Quarter,
                langs: tuple[str, ...] = ("zh", "en"), engine: str = "auto") -> list[Path]:
    """departments.<lang>.pdf into report_dir (and its notebook into report_dir/notebooks/), per language."""
    import nbformat

    from analysis.report.render import render_notebook

    report_dir = Path(report_dir)
    (report_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    written = []
    for lang in langs:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in sections(table, returns, cfg, as_of, lang)])
        path = report_dir / "notebooks" / f"departments.{lang}.ipynb"
        nbformat.write(nb, path)
        pdf = report_dir / f"departments.{lang}.pdf"
        render_notebook(path, pdf, lang, engine, L(lang, "部门台账附件", "Department returns annex"))
        written.append(pdf)
    return written


def annex_for_report(report_dir: Path, returns_dir: Path, cfg: Config, as_of: Quarter, langs: tuple[str, ...],
                     engine: str) -> list[Path]:
    """The pipeline's step: the annex from the report's assessment.csv and the returns (nothing without returns)."""
    from analysis.inputs.returns import read_returns

    returns = read_returns(returns_dir, cfg, as_of)
    table = pd.read_csv(Path(report_dir) / "assessment.csv", encoding="utf-8-sig")
    return write_annex(report_dir, table, returns, cfg, as_of, langs, engine)


def chase_note(cfg: Config, as_of: Quarter, lang: str, returns_dir: Path | None = None) -> str:
    """The briefing's one line on the round (who to chase); empty when data/returns/ does not exist."""
    from analysis.core import paths
    from analysis.inputs.returns import read_returns

    returns_dir = Path(returns_dir or paths.RETURNS_DIR)
    if not returns_dir.is_dir():
        return ""
    return chase_line(read_returns(returns_dir, cfg, as_of), cfg, as_of, lang)
