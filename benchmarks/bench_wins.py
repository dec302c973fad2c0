"""Where the model beats the history rule and where it loses (issue 24, docs/explanation/skill.md "What the model
knows that the rules do not").

Reads the test-origin forecasts ``bench_skill.py`` leaves in outputs/skill_test_predictions.parquet
(run it first) and compares the registered blend with the best rule, decay_neighbours, cell-week
by cell-week: the Brier score each earns (lower is better), so a positive "gain" is the model's.
Gains are summed over groups of cell-weeks (the situation at the origin, the country, the year,
the ADM1 region), each with a 95% interval from resampled whole weeks, and the largest single
wins and losses are listed with their place and week.

Prints tables and writes benchmarks/wins.json. Run from the repository root (under a minute):
.venv/bin/python benchmarks/bench_wins.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.evaluation.intervals import percentile_interval, resample_sums

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "outputs" / "skill_test_predictions.parquet"
OUT = Path(__file__).with_name("wins.json")
TARGET = "target_any_fatal_4w"
MODEL, RULE = "p_blend", "p_decay_neighbours"
RESAMPLES = 500


def situation(rows: pd.DataFrame) -> pd.Series:
    """The cell's state at the origin, from its weeks since the last fatal event."""
    since = rows["conflict_weeks_since_fatal"]
    return pd.Series(np.select([since < 4, since < 13, since < 52], ["fatal event in the last 4 weeks",
                                                                      "last fatal event 4-12 weeks ago",
                                                                      "last fatal event 13-51 weeks ago"],
                               "quiet for a year or more (onset)"), index=rows.index)


def grouped_gain(rows: pd.DataFrame, by: str, seed: int = 0) -> list[dict]:
    """Per group: cell-weeks, events, both mean Brier scores, the model's share of the total gain
    and the gain's 95% interval (resampled weeks)."""
    gain = (rows[RULE] - rows[TARGET]) ** 2 - (rows[MODEL] - rows[TARGET]) ** 2
    table = pd.DataFrame({"week": rows["week"], "group": rows[by], "gain": gain})
    per_week = table.pivot_table(index="week", columns="group", values="gain", aggfunc="sum", fill_value=0.0)
    resampled = resample_sums(per_week.to_numpy(), resamples=RESAMPLES, seed=seed)   # RESAMPLES x groups
    low, high = percentile_interval(resampled)
    out = []
    for k, group in enumerate(per_week.columns):
        part = rows[rows[by] == group]
        out.append({by: str(group), "cell_weeks": int(len(part)), "events": int(part[TARGET].sum()),
                    "brier_model": round(float(((part[MODEL] - part[TARGET]) ** 2).mean()), 5),
                    "brier_rule": round(float(((part[RULE] - part[TARGET]) ** 2).mean()), 5),
                    "gain": round(float(per_week[group].sum()), 2),
                    "gain_95": [round(float(low[k]), 2), round(float(high[k]), 2)]})
    return sorted(out, key=lambda r: -r["gain"])


def examples(rows: pd.DataFrame, n: int = 6) -> dict[str, list[dict]]:
    """The largest single differences: an attack the model saw coming and the rule did not, and the
    reverse; a warning the model raised for nothing."""
    def pick(frame, key):
        frame = frame.assign(key=key).sort_values("key", ascending=False)
        frame = frame.drop_duplicates("adm2_name").head(n)   # one example per place
        return [{"week": str(r.week.date()), "adm1": r.adm1_name, "adm2": r.adm2_name, "cell": int(r.unit_id),
                 "weeks_since_fatal": int(r.conflict_weeks_since_fatal), "model": round(float(r.p_blend), 3),
                 "rule": round(float(r.p_decay_neighbours), 3), "event": bool(getattr(r, TARGET))}
                for r in frame.itertuples()]
    hit, quiet = rows[rows[TARGET] == 1], rows[rows[TARGET] == 0]
    return {"model_saw_it_coming": pick(hit, hit[MODEL] - hit[RULE]),
            "rule_saw_it_coming": pick(hit, hit[RULE] - hit[MODEL]),
            "model_false_alarm": pick(quiet, quiet[MODEL] - quiet[RULE])}


def main() -> None:
    rows = pd.read_parquet(SOURCE)
    rows = rows.dropna(subset=[TARGET]).assign(
        situation=lambda r: situation(r), year=lambda r: r["week"].dt.year.astype(str),
        region=lambda r: r["country_iso3"] + " " + r["adm1_name"].fillna("?"))
    record = {"benchmark": "Brier score per cell-week, the blend against decay_neighbours, test origins (issue 24)",
              "weeks": f"{rows['week'].min().date()}..{rows['week'].max().date()}", "resamples": RESAMPLES,
              "total_gain": round(float(((rows[RULE] - rows[TARGET]) ** 2 - (rows[MODEL] - rows[TARGET]) ** 2).sum()), 2)}
    for by in ("situation", "country_iso3", "year", "region"):
        record[by] = grouped_gain(rows, by)
        print(f"\nBrier gain of the model over the rule by {by} (positive: the model is better)")
        for r in record[by]:
            print(f"  {r[by]:<36}{r['cell_weeks']:>8} rows {r['events']:>6} events  gain {r['gain']:>7.2f} "
                  f"({r['gain_95'][0]:+.2f}..{r['gain_95'][1]:+.2f})")
    record["examples"] = examples(rows)
    # the largest differences sit in the most violent cells; onsets show the other kind of win
    record["onset_examples"] = examples(rows[rows["situation"] == "quiet for a year or more (onset)"])
    for kind, items in [*record["examples"].items(), *[(f"onset: {k}", v) for k, v in record["onset_examples"].items()]]:
        print(f"\n{kind}")
        for e in items:
            print(f"  {e['week']} {e['adm1']} / {e['adm2']} (cell {e['cell']}, {e['weeks_since_fatal']} weeks quiet): "
                  f"model {e['model']:.3f}, rule {e['rule']:.3f}")
    OUT.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {OUT.relative_to(ROOT)} (total gain {record['total_gain']:.2f})")


if __name__ == "__main__":
    main()
