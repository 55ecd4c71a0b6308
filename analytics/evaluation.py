"""Detection metrics of a risk table against the synthetic ground truth.

The analyst's budget is the top ten identities by risk score each day.
A scenario is detected when its person is in the top ten on some day from
its start to seven days after its end; days to detection count from the
start. Precision is the share of top-ten slots held by a person whose
scenario is active that day (start to end plus seven days). Benign users are
people with no scenario at all. A detection has correct reasons when one of
the person's top three features on the first detection day is among the
scenario's expected features.

Only rows at the high level count for the top ten when the risk table has
levels. A scenario that reached the medium level but never the top ten is
counted as "medium", which is where an accidental leak belongs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import polars as pl

TOP_K = 10
GRACE_DAYS = 7
# Scenarios reported but left out of the overall recall target: an accidental
# leak should rank medium, not top.
OUTSIDE_TARGET = ("accidental_leak",)
TARGETS = {
    "recall": 0.90,
    "recall_departing_employee": 0.70,
    "recall_low_and_slow": 0.70,
    "benign_per_1000_per_day": 2.0,
    "reasons_correct": 0.80,
}


def read_ground_truth(folder: Path | str) -> pl.DataFrame:
    """Read ground_truth.csv written by the synthetic generator."""
    truth = pl.read_csv(
        Path(folder) / "ground_truth.csv",
        schema_overrides={"start": pl.Date, "end": pl.Date, "user_id": pl.String},
    )
    return truth.with_columns(pl.col("user_id").str.to_lowercase())


def top_slots(risk: pl.DataFrame, k: int = TOP_K) -> pl.DataFrame:
    """Return the top `k` identities of each day: identity, day, rank, top_features.

    Ties in score go to the identity that sorts first, so the result is
    deterministic.
    """
    columns = ["identity", "day", "score"]
    if "top_features" in risk.columns:
        columns.append("top_features")
    if "level" in risk.columns:
        risk = risk.filter(pl.col("level") == "high")
    ranked = (
        risk.select(columns)
        .filter(pl.col("score") > 0)
        .sort(["day", "score", "identity"], descending=[False, True, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("day"))
        .filter(pl.col("rank") <= k)
    )
    if "top_features" not in ranked.columns:
        ranked = ranked.with_columns(top_features=pl.lit([], dtype=pl.List(pl.String)))
    return ranked.with_columns(pl.col("identity").str.to_lowercase())


@dataclass
class SeedMetrics:
    """Raw counts of one run, so that several runs can be pooled."""

    detections: pl.DataFrame  # one row per scenario
    slots: int = 0
    true_slots: int = 0
    benign_slots: int = 0
    user_days: float = 0.0  # users / 1000 * days


def evaluate_run(
    risk: pl.DataFrame, truth: pl.DataFrame, users: int, days: int
) -> SeedMetrics:
    """Score one risk table against its ground truth.

    Args:
        risk: columns identity, day (Date), score and top_features (list).
        truth: ground_truth.csv as read by `read_ground_truth`.
        users: people in the organisation.
        days: calendar days in the window.
    """
    slots = top_slots(risk)
    windows = truth.select(
        "scenario_id",
        "scenario",
        pl.col("user_id").alias("identity"),
        "start",
        (pl.col("end") + timedelta(days=GRACE_DAYS)).alias("until"),
        pl.col("expected_features").str.split(";").alias("expected"),
    )
    active = _in_windows(slots, windows)
    hits = active.sort("day")
    medium_rows = (
        risk.filter(pl.col("level") == "medium")
        if "level" in risk.columns
        else risk.clear()
    )
    medium_rows = medium_rows.select(pl.col("identity").str.to_lowercase(), "day")
    flagged = (
        _in_windows(medium_rows, windows)
        .select("scenario_id")
        .unique()
        .with_columns(flagged=pl.lit(True))
    )
    first = hits.group_by("scenario_id").agg(
        pl.col("day").first().alias("first_day"),
        pl.col("top_features").first().alias("features"),
        pl.col("expected").first(),
    )
    detections = (
        windows.select("scenario_id", "scenario", "start")
        .join(first, on="scenario_id", how="left")
        .join(flagged, on="scenario_id", how="left")
        .with_columns(
            detected=pl.col("first_day").is_not_null(),
            medium=pl.col("flagged").fill_null(False) & pl.col("first_day").is_null(),
            days_to_detection=(pl.col("first_day") - pl.col("start")).dt.total_days(),
            reason_ok=pl.col("features")
            .list.set_intersection(pl.col("expected"))
            .list.len()
            > 0,
        )
        .select(
            "scenario_id",
            "scenario",
            "detected",
            "medium",
            "days_to_detection",
            "reason_ok",
        )
    )
    true_slots = active.unique(["identity", "day"]).height
    insiders = set(truth.get_column("user_id").to_list())
    benign = slots.filter(~pl.col("identity").is_in(list(insiders))).height
    return SeedMetrics(
        detections=detections,
        slots=slots.height,
        true_slots=true_slots,
        benign_slots=benign,
        user_days=users / 1000 * days,
    )


def _in_windows(rows: pl.DataFrame, windows: pl.DataFrame) -> pl.DataFrame:
    """Join identity-day rows to the scenario windows that contain their day."""
    return rows.join(windows, on="identity", how="inner").filter(
        (pl.col("day") >= pl.col("start")) & (pl.col("day") <= pl.col("until"))
    )


@dataclass
class Summary:
    """Pooled metrics of one method over several runs."""

    recall: dict[str, float] = field(default_factory=dict)  # per scenario kind
    # per kind: share that reached the medium level but not the top ten
    medium: dict[str, float] = field(default_factory=dict)
    scenarios: dict[str, int] = field(default_factory=dict)
    overall_recall: float = 0.0
    precision: float = 0.0
    median_days: float | None = None
    p90_days: float | None = None
    benign_per_1000_per_day: float = 0.0
    reasons_correct: float = 0.0

    def targets(self) -> dict[str, bool | None]:
        """Return whether each target of TARGETS is met.

        A per-scenario target is None when the runs hold no such scenario.
        """

        def kind_met(kind: str) -> bool | None:
            if kind not in self.recall:
                return None
            return self.recall[kind] >= TARGETS[f"recall_{kind}"]

        return {
            "recall": self.overall_recall >= TARGETS["recall"],
            "recall_departing_employee": kind_met("departing_employee"),
            "recall_low_and_slow": kind_met("low_and_slow"),
            "benign_per_1000_per_day": self.benign_per_1000_per_day
            <= TARGETS["benign_per_1000_per_day"],
            "reasons_correct": self.reasons_correct >= TARGETS["reasons_correct"],
        }


def summarise(runs: list[SeedMetrics]) -> Summary:
    """Pool the scenarios and top-ten slots of several runs into one summary."""
    detections = pl.concat([run.detections for run in runs])
    summary = Summary()
    by_kind = detections.group_by("scenario").agg(
        pl.col("detected").mean().alias("recall"),
        pl.col("medium").mean().alias("medium"),
        pl.len().alias("count"),
    )
    for kind, recall, medium, count in by_kind.sort("scenario").iter_rows():
        summary.recall[kind] = float(recall)
        summary.medium[kind] = float(medium)
        summary.scenarios[kind] = int(count)
    targeted = detections.filter(~pl.col("scenario").is_in(OUTSIDE_TARGET))
    if targeted.height:
        summary.overall_recall = float(targeted.get_column("detected").mean())
    found = detections.filter(pl.col("detected"))
    if found.height:
        delays = found.get_column("days_to_detection")
        summary.median_days = float(delays.median())
        summary.p90_days = float(delays.quantile(0.9, interpolation="linear"))
        summary.reasons_correct = float(found.get_column("reason_ok").mean())
    slots = sum(run.slots for run in runs)
    if slots:
        summary.precision = sum(run.true_slots for run in runs) / slots
    user_days = sum(run.user_days for run in runs)
    if user_days:
        summary.benign_per_1000_per_day = (
            sum(run.benign_slots for run in runs) / user_days
        )
    return summary


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown_tables(title: str, summaries: dict[str, Summary]) -> str:
    """Render a headline table and a per-scenario recall table for one mode."""
    lines = [
        f"### {title}",
        "",
        "| method | recall (targeted) | departing | low and slow "
        "| accidental leak top 10 | accidental leak medium "
        "| precision top-10 | median days | p90 days | benign /1,000/day "
        "| reasons correct |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summaries.items():
        lines.append(
            f"| {name} | {s.overall_recall:.2f} "
            f"| {_number(s.recall.get('departing_employee'))} "
            f"| {_number(s.recall.get('low_and_slow'))} "
            f"| {_number(s.recall.get('accidental_leak'))} "
            f"| {_number(s.medium.get('accidental_leak'))} "
            f"| {s.precision:.2f} | {_number(s.median_days, 1)} "
            f"| {_number(s.p90_days, 1)} | {s.benign_per_1000_per_day:.2f} "
            f"| {s.reasons_correct:.2f} |"
        )
    kinds = sorted({k for s in summaries.values() for k in s.recall})
    lines += [
        "",
        "| scenario | scenarios | " + " | ".join(summaries) + " |",
        "|---|---|" + "---|" * len(summaries),
    ]
    for kind in kinds:
        count = max(s.scenarios.get(kind, 0) for s in summaries.values())
        note = " (not in the 0.90 target)" if kind in OUTSIDE_TARGET else ""
        values = " | ".join(_number(s.recall.get(kind)) for s in summaries.values())
        lines.append(f"| {kind}{note} | {count} | {values} |")
    return "\n".join(lines) + "\n"


TARGET_LABELS = {
    "recall": "recall >= 0.90",
    "recall_departing_employee": "departing-employee recall >= 0.70",
    "recall_low_and_slow": "low-and-slow recall >= 0.70",
    "benign_per_1000_per_day": "benign users <= 2 per 1,000 per day",
    "reasons_correct": "reasons correct >= 0.80",
}


def targets_line(summary: Summary) -> str:
    """List each target with its measured value and whether it is met."""
    values = {
        "recall": summary.overall_recall,
        "recall_departing_employee": summary.recall.get("departing_employee"),
        "recall_low_and_slow": summary.recall.get("low_and_slow"),
        "benign_per_1000_per_day": summary.benign_per_1000_per_day,
        "reasons_correct": summary.reasons_correct,
    }
    parts = []
    for name, ok in summary.targets().items():
        if ok is None:
            verdict = "not measured (no such scenario)"
        else:
            verdict = f"{'met' if ok else 'MISSED'} ({values[name]:.2f})"
        parts.append(f"{TARGET_LABELS[name]}: {verdict}")
    return "Targets: " + "; ".join(parts) + "."
