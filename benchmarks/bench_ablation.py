"""What helped the model: each variant backtested on the same folds (origins 2020-2023, refit
every 26 weeks for speed), and the candidates on earlier origins (2017-2019, "validation_*"),
the weeks used to choose; the 2020-2023 test weeks only report.

Usage: .venv/bin/python benchmarks/bench_ablation.py [VARIANT ...]   (default: all; about 100 min)
       .venv/bin/python benchmarks/bench_ablation.py --compare VARIANT_A VARIANT_B
       .venv/bin/python benchmarks/bench_ablation.py --seeds N VARIANT ...
Prints a table and writes benchmarks/ablation.json; with --compare, also each metric's difference
(B - A) with its 95% interval from resampled whole weeks ("comparisons"); with --seeds, each variant
under N seeds (42, 43, ...), each metric's mean and spread over the seeds and each variant's mean
difference from the first, beside the seeds' own noise ("seed_study"): the week-resampled interval
holds one seed fixed, so it misses the noise of the method itself.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("ablation.json")

COMPACT = ["conflict_events_hl*", "conflict_fatalities_hl26w", "conflict_events_queen_*", "conflict_events_r50km_*",
           "conflict_events_r100km_52w", "conflict_country_events_*", "conflict_weeks_since_*",
           "conflict_events_onesided_52w", "conflict_events_state_52w", "conflict_events_260w"]
GEOGRAPHY = ["mining_gold_distance_km", "mining_gold_sites_r50km", "roads_distance_km", "roads_nearest_importance",
             "static_*", "displacement_country_idps", "displacement_adm1_idps"]
INTENSITY = ["intensity_*"]
ALL = ["conflict_*", "mining_*", "roads_*", "displacement_*", "static_*", "calendar_*"]  # the 81 columns before intensity
SMALL = {"neg_bagging_fraction": 0.1, "refit_full": True, "num_leaves": 7, "min_child_samples": 1000}
STUMPS = {"num_leaves": 2, "n_estimators": 1200}  # one split per tree: an additive model of the features
ACTORS = ["actor_*"]  # intensity columns of each actor family (see actor_columns)
STRATIFIED = {"negative_share": 0.3, "neg_bagging_fraction": 0.3, "quiet_column": "conflict_events_r100km_52w",
              "quiet_negative_share": 0.03}
BASE = {"n_estimators": 400, "learning_rate": 0.03, "num_leaves": 15, "min_child_samples": 200, "calibration_weeks": 52}
TEST, VALIDATION = ("2012-01-02", "2020-01-06", "2023-11-27"), ("2005-01-03", "2017-01-02", "2019-12-02")


def variant(period, params, patterns, kind="lgbm", **extra):
    start, first, last = period
    return {"train_start": start, "first": first, "last": last, "params": params, "patterns": patterns, "kind": kind,
            **extra}


# kind: lgbm (RiskModel), glm (IntensityGLM), blend (BlendedModel: lgbm on `patterns`, glm on
# `glm_patterns`, decay_neighbours), onset (one RiskModel for cells with an event in 52 weeks, one for quiet cells),
# seeds (three seeds averaged), glm_splines (the logistic model on splines of each column)
VARIANTS = {
    "all_features_2000": variant(("2000-01-03", *TEST[1:]), {**BASE, "neg_bagging_fraction": 0.1}, ALL),
    "all_features_2012": variant(TEST, {**BASE, "neg_bagging_fraction": 0.1}, ALL),
    "monotone": variant(TEST, {**BASE, "neg_bagging_fraction": 0.1, "monotone_history": True}, ALL),
    "history_only": variant(TEST, {**BASE, "neg_bagging_fraction": 0.1}, ["conflict_*"]),
    "refit_full": variant(TEST, {**BASE, "neg_bagging_fraction": 0.1, "refit_full": True}, ALL),
    "compact": variant(TEST, {**BASE, **SMALL}, COMPACT + GEOGRAPHY),
    "compact_history_only": variant(TEST, {**BASE, **SMALL}, COMPACT),
    "compact_monotone": variant(TEST, {**BASE, **SMALL, "monotone_history": True}, COMPACT + GEOGRAPHY),
    "compact_recency104": variant(TEST, {**BASE, **SMALL, "recency_half_life_weeks": 104}, COMPACT + GEOGRAPHY),
    "compact_lambdarank": variant(TEST, {**BASE, **SMALL, "objective": "lambdarank", "calibration": "sigmoid"},
                                  COMPACT + GEOGRAPHY),
    "compact_onset_split": variant(TEST, {**BASE, **SMALL}, COMPACT + GEOGRAPHY, kind="onset"),
    "compact_intensity": variant(TEST, {**BASE, **SMALL}, COMPACT + GEOGRAPHY + INTENSITY),
    "glm_compact": variant(TEST, {}, COMPACT + GEOGRAPHY, kind="glm"),
    "glm_intensity": variant(TEST, {}, COMPACT + GEOGRAPHY + INTENSITY, kind="glm"),
    "blend": variant(TEST, {**BASE, **SMALL}, COMPACT + GEOGRAPHY, kind="blend",
                     glm_patterns=COMPACT + GEOGRAPHY + INTENSITY),
    "compact_stumps": variant(TEST, {**BASE, **SMALL, **STUMPS}, COMPACT + GEOGRAPHY),
    "blend_stumps": variant(TEST, {**BASE, **SMALL, **STUMPS}, COMPACT + GEOGRAPHY, kind="blend",
                            glm_patterns=COMPACT + GEOGRAPHY + INTENSITY),
    "validation_all_features": variant(VALIDATION, {**BASE, "neg_bagging_fraction": 0.1, "refit_full": True}, ALL),
    "validation_compact": variant(VALIDATION, {**BASE, **SMALL}, COMPACT + GEOGRAPHY),
    "validation_compact_leaves15": variant(VALIDATION, {**BASE, **SMALL, "num_leaves": 15, "min_child_samples": 500},
                                           COMPACT + GEOGRAPHY),
    "validation_compact_leaves3": variant(VALIDATION, {**BASE, **SMALL, "num_leaves": 3, "n_estimators": 800},
                                          COMPACT + GEOGRAPHY),
    "validation_compact_stumps": variant(VALIDATION, {**BASE, **SMALL, **STUMPS}, COMPACT + GEOGRAPHY),
    "validation_compact_seeds3": variant(VALIDATION, {**BASE, **SMALL}, COMPACT + GEOGRAPHY, kind="seeds"),
    "validation_compact_recency104": variant(VALIDATION, {**BASE, **SMALL, "recency_half_life_weeks": 104},
                                             COMPACT + GEOGRAPHY),
    "validation_compact_lambdarank": variant(VALIDATION, {**BASE, **SMALL, "objective": "lambdarank",
                                                          "calibration": "sigmoid"}, COMPACT + GEOGRAPHY),
    "validation_compact_onset_split": variant(VALIDATION, {**BASE, **SMALL}, COMPACT + GEOGRAPHY, kind="onset"),
    "validation_compact_intensity": variant(VALIDATION, {**BASE, **SMALL}, COMPACT + GEOGRAPHY + INTENSITY),
    "validation_glm_intensity": variant(VALIDATION, {}, COMPACT + GEOGRAPHY + INTENSITY, kind="glm"),
    "validation_glm_splines": variant(VALIDATION, {}, COMPACT + GEOGRAPHY + INTENSITY, kind="glm_splines"),
    "validation_glm_actors": variant(VALIDATION, {}, COMPACT + GEOGRAPHY + INTENSITY + ACTORS, kind="glm"),
    "validation_blend": variant(VALIDATION, {**BASE, **SMALL}, COMPACT + GEOGRAPHY, kind="blend",
                                glm_patterns=COMPACT + GEOGRAPHY + INTENSITY),
    # issue 21: both members on every positive and 10% of the negatives (case-control), against the blend above
    "validation_blend_sampled": variant(VALIDATION, {**BASE, **SMALL, "negative_share": 0.1}, COMPACT + GEOGRAPHY,
                                        kind="blend", glm_patterns=COMPACT + GEOGRAPHY + INTENSITY,
                                        glm_negative_share=0.1),
    "validation_blend_trees_sampled": variant(VALIDATION, {**BASE, **SMALL, "negative_share": 0.1},
                                              COMPACT + GEOGRAPHY, kind="blend",
                                              glm_patterns=COMPACT + GEOGRAPHY + INTENSITY),
    "validation_blend_trees_sampled_20": variant(VALIDATION, {**BASE, **SMALL, "negative_share": 0.2},
                                                 COMPACT + GEOGRAPHY, kind="blend",
                                                 glm_patterns=COMPACT + GEOGRAPHY + INTENSITY),
    "validation_blend_seed43": variant(VALIDATION, {**BASE, **SMALL, "seed": 43}, COMPACT + GEOGRAPHY, kind="blend",
                                       glm_patterns=COMPACT + GEOGRAPHY + INTENSITY),
    "validation_blend_trees_sampled_30": variant(VALIDATION, {**BASE, **SMALL, "negative_share": 0.3},
                                                 COMPACT + GEOGRAPHY, kind="blend",
                                                 glm_patterns=COMPACT + GEOGRAPHY + INTENSITY, glm_negative_share=0.1),
    "validation_blend_trees_sampled_20_glm_10": variant(VALIDATION, {**BASE, **SMALL, "negative_share": 0.2},
                                                        COMPACT + GEOGRAPHY, kind="blend",
                                                        glm_patterns=COMPACT + GEOGRAPHY + INTENSITY,
                                                        glm_negative_share=0.1),
    # issue 21: the trees on a stratified sample (more negatives near recent violence, fewer in
    # structurally quiet cells, a log-odds offset per stratum), at about the shipped row count
    "validation_blend_stratified_30_3": variant(VALIDATION, {**BASE, **SMALL, **STRATIFIED}, COMPACT + GEOGRAPHY,
                                                kind="blend", glm_patterns=COMPACT + GEOGRAPHY + INTENSITY,
                                                glm_negative_share=0.1),
    "validation_blend_stratified_50_2": variant(VALIDATION, {**BASE, **SMALL, **STRATIFIED, "negative_share": 0.5,
                                                             "neg_bagging_fraction": 0.5, "quiet_negative_share": 0.02},
                                                COMPACT + GEOGRAPHY, kind="blend",
                                                glm_patterns=COMPACT + GEOGRAPHY + INTENSITY, glm_negative_share=0.1),
    # the shipped sample with leaves as fine as before it (min_child_samples counts sampled rows)
    "validation_blend_sampled_leaves100": variant(VALIDATION, {**BASE, **SMALL, "negative_share": 0.1,
                                                               "min_child_samples": 100},
                                                  COMPACT + GEOGRAPHY, kind="blend",
                                                  glm_patterns=COMPACT + GEOGRAPHY + INTENSITY, glm_negative_share=0.1),
    "validation_blend_stumps": variant(VALIDATION, {**BASE, **SMALL, **STUMPS}, COMPACT + GEOGRAPHY, kind="blend",
                                       glm_patterns=COMPACT + GEOGRAPHY + INTENSITY),
}

# UCDP actor names (side_a / side_b) of the main armed groups, grouped by family
ACTOR_FAMILIES = {
    "jnim": r"JNIM|AQIM|Ansar Dine|Murabitun|Ansaroul|FLM|MUJAO",
    "is": r"(?:^|\|)IS(?:$|\|)",
    "militia": r"Dozo|Dan na|Koglweogo|Fulani|Dogon|GATIA|MSA|CMA|VDP",
}


class OnsetSplit:
    """Two RiskModels: cells with an event in the last 52 weeks, and quiet cells (onsets)."""

    def __init__(self, params):
        self.params = params

    def fit(self, X, y, weeks=None):
        from sahelrisk.modeling.boosted import RiskModel
        quiet, y = (X["conflict_weeks_since_event"] > 52).to_numpy(), np.asarray(y, dtype=float)
        self.members_ = {q: RiskModel(**self.params).fit(X[quiet == q], y[quiet == q], weeks=weeks[quiet == q])
                         for q in (False, True)}
        return self

    def predict_proba(self, X):
        quiet, p = (X["conflict_weeks_since_event"] > 52).to_numpy(), np.empty(len(X))
        for q, model in self.members_.items():
            if (quiet == q).any():
                p[quiet == q] = model.predict_proba(X[quiet == q])[:, 1]
        return np.column_stack([1 - p, p])


class Seeds:
    """The mean of three RiskModels that differ only in their seed (bagging away the seed noise)."""

    def __init__(self, params):
        self.params = params

    def fit(self, X, y, weeks=None):
        from sahelrisk.modeling.boosted import RiskModel
        self.members_ = [RiskModel(**{**self.params, "seed": 42 + k}).fit(X, y, weeks=weeks) for k in range(3)]
        return self

    def predict_proba(self, X):
        p = np.mean([m.predict_proba(X)[:, 1] for m in self.members_], axis=0)
        return np.column_stack([1 - p, p])


def spline_glm():
    """IntensityGLM with a quadratic spline of each (log-scaled) column instead of a straight line."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer, StandardScaler

    from sahelrisk.modeling.logistic import IntensityGLM

    class SplineGLM(IntensityGLM):
        def _pipeline(self):
            (_, impute), (_, scale), (_, logistic) = super()._pipeline().steps
            splines = SplineTransformer(n_knots=4, degree=2, extrapolation="linear", knots="quantile")
            return make_pipeline(impute, scale, splines, StandardScaler(), logistic)

    return SplineGLM()


def actor_columns(spec, tf):
    """Space-time intensity columns (the intensity builder) of each actor family's events alone."""
    from sahelrisk.features.panel import compute_panel

    events = tf.inputs.events
    sides = events["actor1"].fillna("") + "|" + events["actor2"].fillna("")
    panel_spec = spec.features.with_period(tf.frame["week"].min(), tf.frame["week"].max())
    columns = {}
    for family, pattern in ACTOR_FAMILIES.items():
        mine = sides.str.contains(pattern, regex=True).to_numpy()
        panel = compute_panel(panel_spec, replace(tf.inputs, events=events[mine]), units=tf.units, themes=["intensity"])
        for column in [c for c in panel.columns if c.startswith("intensity_k")]:
            columns[column.replace("intensity_", f"actor_{family}_")] = panel[column].to_numpy()
    tf.frame = pd.concat([tf.frame, pd.DataFrame(columns, index=tf.frame.index)], axis=1)
    tf.feature_columns.extend(columns)


def factory(v, columns, glm_columns):
    from sahelrisk.modeling.blend import BlendedModel
    from sahelrisk.modeling.boosted import RiskModel
    from sahelrisk.modeling.logistic import IntensityGLM
    if v["kind"] == "glm":
        return lambda: IntensityGLM()
    if v["kind"] == "glm_splines":
        return spline_glm
    if v["kind"] == "seeds":
        return lambda: Seeds(v["params"])
    if v["kind"] == "onset":
        return lambda: OnsetSplit(v["params"])
    if v["kind"] == "blend":
        return lambda: BlendedModel(model_params=v["params"], model_columns=tuple(columns),
                                    glm_columns=tuple(glm_columns), glm_negative_share=v.get("glm_negative_share", 1.0))
    return lambda: RiskModel(**v["params"])


def run_variant(name, v, spec, tf):
    """Backtest one variant on its folds; its predictions and its row of the table."""
    from sahelrisk.evaluation.backtest import run_backtest
    from sahelrisk.evaluation.metrics import metrics_by
    from sahelrisk.modeling.baselines import BaselineModel, required_columns
    from sahelrisk.modeling.folds import RollingOrigin
    columns = replace(spec, model_features=tuple(v["patterns"])).select_features(tf.feature_columns)
    glm_columns = replace(spec, model_features=tuple(v.get("glm_patterns", ()))).select_features(tf.feature_columns)
    read = list(dict.fromkeys(columns + (glm_columns if v["kind"] == "blend" else [])
                              + (required_columns(4) if v["kind"] == "blend" else [])))
    splitter = RollingOrigin(first_origin=v["first"], last_origin=v["last"], horizon=4, train_start=v["train_start"],
                             refit_every_weeks=26)
    started = time.perf_counter()
    preds, _ = run_backtest(splitter, tf.frame, spec.target, {
        "model": (factory(v, columns, glm_columns), read),
        "decay_neighbours": ((lambda: BaselineModel("decay_neighbours", 4)), required_columns(4))})
    table = metrics_by(preds, spec.target, ["model", "decay_neighbours"]).set_index("model")
    row = {"train_start": v["train_start"], "origins": f"{v['first']}..{v['last']}", "kind": v["kind"],
           "params": v["params"], "features": len(read),
           **{k: round(float(table.loc["model", k]), 4) for k in ("ap", "roc_auc", "brier_skill", "top10_recall")},
           "baseline_ap": round(float(table.loc["decay_neighbours", "ap"]), 4),
           "seconds": round(time.perf_counter() - started)}
    print(f"{name:<32}{row['features']:>4} AP {row['ap']:.4f} (baseline {row['baseline_ap']:.4f}) "
          f"AUC {row['roc_auc']:.4f} BSS {row['brier_skill']:.4f} top10 {row['top10_recall']:.4f} "
          f"({row['seconds']} s)", flush=True)
    return preds, row


def _record(key, value):
    record = json.loads(OUT.read_text()) if OUT.exists() else {}
    record["benchmark"] = "model ablation on the real data, horizon 4 weeks"
    record[key] = value
    OUT.write_text(json.dumps(record, indent=2) + "\n")


def seed_study(names, seeds, spec, tf):
    """Each variant under ``seeds`` seeds: the metrics' mean and spread, and each mean's difference
    from the first variant's with a 95% interval from the seeds alone (Student's t)."""
    from bench_speed import METRICS, _metrics
    from scipy import stats
    runs = {}
    for name in names:
        for k in range(seeds):
            v = VARIANTS[name]
            v = {**v, "params": {**v["params"], "seed": 42 + k}}
            preds, _ = run_variant(f"{name} seed {42 + k}", v, spec, tf)
            got = _metrics(preds.rename(columns={"p_model": "p"}), spec.target)
            runs.setdefault(name, []).append({m: float(got[m]) for m in METRICS})
    study = {}
    first = pd.DataFrame(runs[names[0]])
    for name in names:
        table = pd.DataFrame(runs[name])
        study[name] = {"seeds": [42 + k for k in range(seeds)],
                       "mean": table.mean().round(4).to_dict(), "sd": table.std(ddof=1).round(4).to_dict()}
        if name != names[0]:
            diff = {}
            for m in METRICS:
                a, b = first[m], table[m]
                se = float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
                dof = max(len(a) + len(b) - 2, 1)
                half = float(stats.t.ppf(0.975, dof)) * se
                d = float(b.mean() - a.mean())
                diff[m] = {"difference": round(d, 4), "low_95": round(d - half, 4), "high_95": round(d + half, 4)}
            study[name][f"minus {names[0]}"] = diff
        print(f"{name}: " + ", ".join(f"{m} {study[name]['mean'][m]:.4f} (sd {study[name]['sd'][m]:.4f})"
                                       for m in METRICS), flush=True)
    for name in names[1:]:
        print(f"{name} - {names[0]}: " + ", ".join(
            f"{m} {d['difference']:+.4f} ({d['low_95']:+.4f}..{d['high_95']:+.4f})"
            for m, d in study[name][f"minus {names[0]}"].items()), flush=True)
    return study


def main() -> None:
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.modeling.frame import prepare_frame
    from sahelrisk.modeling.spec import load_training_spec

    compare = sys.argv[1:2] == ["--compare"]
    seeds = int(sys.argv[2]) if sys.argv[1:2] == ["--seeds"] else 0
    chosen = sys.argv[3:] if seeds else sys.argv[2:4] if compare else sys.argv[1:] or list(VARIANTS)
    unknown = [name for name in chosen if name not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {unknown}; choose from {sorted(VARIANTS)}")
    spec = load_training_spec(ROOT / "training/default.toml")
    spec = replace(spec.with_backtest(train_start="2000-01-03", first_origin="2020-01-06"), model_features=(),
                   blend=None)
    tf = prepare_frame(spec, resolve_data_dir(None, cwd=ROOT))
    if any(p in ACTORS for name in chosen for p in VARIANTS[name]["patterns"]):
        actor_columns(spec, tf)
    if seeds:
        study = seed_study(chosen, seeds, spec, tf)
        record = json.loads(OUT.read_text()) if OUT.exists() else {}
        _record("seed_study", {**record.get("seed_study", {}), **study})
        return
    predictions = {}
    results = json.loads(OUT.read_text()).get("variants", {}) if OUT.exists() else {}
    for name in chosen:
        predictions[name], results[name] = run_variant(name, VARIANTS[name], spec, tf)
        _record("variants", results)
    if compare:
        from bench_speed import _markdown, compare_backtests
        first, second = chosen
        table = compare_backtests(predictions[first], predictions[second], spec.target)
        print(f"\n{second} against {first} (difference and 95% interval over resampled weeks)\n{_markdown(table)}")
        record = json.loads(OUT.read_text())
        _record("comparisons", {**record.get("comparisons", {}), f"{second} - {first}": table.round(4).to_dict(orient="index")})


if __name__ == "__main__":
    main()
