"""Withdraw or correct a figure already committed, without editing a raw file (issue 24 point 3).

Raw files are append-only: a wrong figure is never edited out, because the
reports already published cite it by id and an auditor must still find it. A
planner adds a *correction row* instead, to any later release file (or to a
file of corrections, e.g. data/raw/2025-09-01_corrections.csv, with the usual
header), with two more columns:

- `corrects` (更正对象): the id of the figure, as the briefing and figures.csv
  print it (Fk4q7zm);
- `correction` (更正类型): 撤回 / withdraw or 更正 / correct;
- `notes` (备注): why, required (it is quoted wherever the change is shown).

A 撤回 row needs nothing else (a `published` date says from when it applies;
without one it applies wherever the figure is seen). A 更正 row is the right
figure itself, a complete raw row with its source (the same publication when
the slip was ours), and replaces the one it names.

The named figure keeps its row in observations and figures.csv, with role
`withdrawn` or `corrected` and the reason, and never competes for a best value
again; a 撤回 row itself has role `withdrawal`. The changes of the quarter
(report/changes.py) list both. A correction is applied at the quarters that
can see the correction row (its publication date and the report cut-off),
so a replay of an earlier quarter shows what was known then.
"""
from __future__ import annotations

import re

import pandas as pd

from analysis.core.errors import Problem
from analysis.inputs.figures import figure_id

ACTIONS = {"withdraw": ("撤回", "withdraw", "withdrawn", "撤销", "删除"), "correct": ("更正", "correct", "corrected", "修正", "订正")}
ID_FORMAT = re.compile(r"^F[a-z2-7]{6}$")
ROLES = {"withdraw": "withdrawn", "correct": "corrected"}
HOW = ("name the figure by its id as figures.csv and the briefing print it (F and six letters or digits, e.g. Fk4q7zm); "
       "请填写 figures.csv 或简报中方括号内的数据编号")


def action_for(word: str) -> str | None:
    """withdraw / correct for a word as typed (撤回, 更正, withdraw, correct, ...), None when it is none of them."""
    key = str(word).strip().lower()
    return next((code for code, words in ACTIONS.items() if key in words), None)


def correction_problems(obs: pd.DataFrame) -> list[Problem]:
    """Correction rows that name no figure of the raw files, or themselves, or a figure another row corrects too."""
    if not _marked(obs).any():
        return []
    ids = {figure_id(o): o for o in obs["obs_id"]}
    problems, seen = [], {}
    for r in obs[_marked(obs)].itertuples(index=False):
        target = str(r.corrects).strip()
        where = dict(row=int(r.row), column="corrects", value=target)
        if target not in ids:
            known = [i for i in ids if i[:3] == target[:3]][:3]
            problems.append(Problem(r.file, f"names figure {target}, which no raw file holds", HOW
                                    + (f"; ids that begin alike: {', '.join(known)}" if known else ""), **where))
        elif ids[target] == r.obs_id:
            problems.append(Problem(r.file, "names its own row: a correction corrects another figure", HOW, **where))
        elif target in seen:
            problems.append(Problem(r.file, f"corrects {target}, which {seen[target]} corrects already",
                                    "keep one correction per figure: to correct a correction, name the correcting row's id; "
                                    "每个数据只能更正一次，如需再次更正请填写更正行的编号", **where))
        else:
            seen[target] = r.obs_id
    return problems


def _marked(obs: pd.DataFrame) -> pd.Series:
    return obs["corrects"].fillna("").astype(str).str.strip() != "" if "corrects" in obs else pd.Series(False, index=obs.index)


def complete_withdrawals(obs: pd.DataFrame) -> pd.DataFrame:
    """A 撤回 row with what it is about: the named figure's indicator, region, period and unit, and its publication
    date when the row gives none (the withdrawal then applies wherever the figure is seen)."""
    withdrawals = _marked(obs) & (obs["correction"].map(action_for) == "withdraw")
    if not withdrawals.any():
        return obs
    out = obs.copy()
    index = {figure_id(o): i for i, o in zip(out.index, out["obs_id"])}
    for i in out.index[withdrawals]:
        j = index.get(str(out.at[i, "corrects"]).strip())
        if j is None:
            continue
        for col in ("indicator", "region", "year", "period_kind", "month_to", "period", "period_end", "unit"):
            out.at[i, col] = out.at[j, col]
        if pd.isna(out.at[i, "published_date"]) or out.at[i, "published_date"] is None:
            out.at[i, "published_date"] = out.at[j, "published_date"]
    for col in ("year", "month_to"):     # a withdrawal row's empty cells made them floats: whole numbers again
        if out[col].notna().all():
            out[col] = out[col].astype(int)
    return out


def involved(obs: pd.DataFrame) -> pd.Series:
    """Rows that correct a figure or are corrected: the same-publication-twice check (ingest) leaves these pairs alone."""
    named = set(obs.loc[_marked(obs), "corrects"].astype(str).str.strip())
    return _marked(obs) | obs["obs_id"].map(lambda o: figure_id(o) in named)


def apply_corrections(obs: pd.DataFrame) -> pd.DataFrame:
    """obs (with `visible`) plus `correction_role` / `correction_reason`: what each visible correction row does.

    The named figure gets `withdrawn` or `corrected` and why; a 撤回 row gets `withdrawal` and the named
    figure's indicator, region and period already (complete_withdrawals, at ingest). select_best gives these rows those roles and keeps them out of the best values."""
    out = obs.copy()
    out["correction_role"], out["correction_reason"] = "", ""
    if not _marked(out).any():
        return out
    index = {figure_id(o): i for i, o in zip(out.index, out["obs_id"])}
    rows = out[_marked(out) & out["visible"].astype(bool)]
    for i, r in rows.iterrows():
        j = index.get(str(r["corrects"]).strip())
        if j is None:
            continue                      # correction_problems stopped the run already
        action = action_for(r["correction"]) or "correct"
        why = str(r.get("notes") or "").strip()
        own = figure_id(r["obs_id"])
        if action == "withdraw":
            out.at[j, "correction_reason"] = f"撤回 withdrawn by {r['obs_id']} [{own}]: {why}"
            out.at[i, "correction_role"] = "withdrawal"
            out.at[i, "correction_reason"] = f"撤回 {r['corrects']}: {why}"
        else:
            out.at[j, "correction_reason"] = f"更正 corrected by {r['obs_id']} [{own}]: {why}"
        out.at[j, "correction_role"] = ROLES[action]
    return out
