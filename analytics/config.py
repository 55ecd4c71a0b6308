"""Every tunable of the analytics pipeline, in one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass, replace

# Detector names, in the order the pipeline runs them.
ALL_DETECTORS = (
    "log_clear",
    "privilege_grant",
    "post_contract",
    "failed_logon_burst",
    "impossible_travel",
    "new_country",
    "account_sharing",
    "logon_as_other",
    "snooping",
    "peer_rare",
    "volume",
    "large_mail",
    "after_hours",
    "job_search",
    "low_and_slow",
    "isolation_forest",
)

# Score multipliers tuned on the synthetic organisation's tuning seeds: the
# Isolation Forest and job-site browsing alone flag many ordinary people, so
# they count as supporting evidence rather than as a reason by themselves.
DEFAULT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("isolation_forest", 0.5),
    ("job_search", 0.8),
)

# Detectors that need a baseline, for the trivial comparison runs.
BASELINE_NAMES = ("most_events", "zscore_only", "isolation_only")


@dataclass(frozen=True)
class AnalyticsConfig:
    """Thresholds, windows and weights of the detectors and the risk score.

    Times are UTC unless `utc_offset_hours` shifts them. Day counts are
    calendar days unless the name says active days (days with events).

    Attributes:
        detectors: names of the detectors to run (see ALL_DETECTORS).
        peer_key: directory column that forms peer groups.
        utc_offset_hours: shift applied to timestamps before taking the hour
            of day and the weekday, for an organisation in one time zone.
        work_start_hour, work_end_hour: the fixed working window, weekdays.
        baseline_days: active days in a user's rolling baseline.
        warmup_days: active days of history before a user is scored on their
            own baseline; before that the peer group is the baseline.
        min_peers: smallest peer group whose same-day statistics are used.
        z_threshold: peer-adjusted robust z-score at which a volume finding
            starts.
        z_score_slope: score points per unit of z above the threshold.
        min_volume: smallest daily count that can make a volume finding.
        ratio_threshold: smallest ratio to the usual daily value that can
            make a volume finding.
        max_multiple: a volume finding also needs this multiple of the
            highest value in the own baseline window.
        off_hours_min_events: off-hours events in a day before the
            after-hours detector looks at a user.
        travel_speed_kmh: speed between two logons above which travel is
            impossible.
        travel_min_km: distance below which two logons count as one place.
        sharing_window_minutes: gap within which logons from two distant
            places count as overlapping sessions.
        failed_logon_min: failed logons in a day before a burst is reported.
        low_slow_window_days: calendar days of the recent rolling sum.
        low_slow_history_days: calendar days before the recent window that
            form the low-and-slow baseline.
        low_slow_ratio: recent daily mean over baseline daily mean that
            starts a low-and-slow finding.
        low_slow_min_z: Poisson z-score of the recent sum that a low-and-slow
            finding also needs.
        low_slow_min_uploads: outside uploads in the recent window that a
            low-and-slow finding also needs.
        low_slow_upload_ratio: those uploads over the number the earlier
            days make expected (plus one), at least.
        low_slow_score: points of a low-and-slow finding at that z-score; it
            repeats daily, so the risk sums several days' worth.
        job_window_days: days after a job-board visit during which a volume
            rise is reported as job search followed by volume.
        forest_refit_days: days between Isolation Forest refits.
        forest_min_rows: training rows needed before the forest scores.
        forest_max_train_rows: rows sampled from history for each refit.
        forest_trees: trees in the forest.
        forest_calibration_rows: training rows scored to set the threshold.
        forest_quantile: training score quantile below which a row is
            anomalous.
        seed: random seed of the forest and its sampling.
        half_life_days: half-life of a finding's weight in the risk score.
        risk_window_days: days after a finding during which it can appear
            among the top reasons.
        alert_risk: risk at which an identity is at high risk: the level
            that raises an alert and enters the daily top-10 review.
        min_risk: smallest risk kept in the risk table; from here up to
            `alert_risk` the level is medium.
        large_mail_bytes: size from which one mail to an outside address
            is reported.
        large_mail_multiple: that mail must also be this many times the
            largest outside mail the identity sent before.
        benign_weight: weight of a finding triaged benign, and of later
            findings of the same identity and feature.
        confirmed_weight: weight of a finding triaged confirmed.
        detector_weights: per-detector multipliers of finding scores.
        evidence_cap: maximum event ids stored per finding.
        most_events_mode: the trivial baseline that ranks users by event
            count alone.
        corporate_domains: mail domains of the organisation, added to the
            domains of the directory's email addresses.
        skip_machine_accounts: leave out accounts ending in "$" (Windows
            computer accounts).
    """

    detectors: tuple[str, ...] = ALL_DETECTORS
    peer_key: str = "department"
    utc_offset_hours: int = 0
    work_start_hour: int = 7
    work_end_hour: int = 19
    baseline_days: int = 28
    warmup_days: int = 10
    min_peers: int = 4
    z_threshold: float = 4.0
    z_score_slope: float = 6.0
    min_volume: int = 5
    ratio_threshold: float = 3.0
    max_multiple: float = 1.5
    off_hours_min_events: int = 3
    travel_speed_kmh: float = 900.0
    travel_min_km: float = 300.0
    sharing_window_minutes: int = 60
    failed_logon_min: int = 10
    low_slow_window_days: int = 30
    low_slow_history_days: int = 60
    low_slow_ratio: float = 1.25
    low_slow_min_z: float = 3.0
    low_slow_min_uploads: int = 3
    low_slow_upload_ratio: float = 3.0
    low_slow_score: float = 30.0
    job_window_days: int = 30
    forest_refit_days: int = 28
    forest_min_rows: int = 500
    forest_max_train_rows: int = 20_000
    forest_trees: int = 64
    forest_calibration_rows: int = 5_000
    forest_quantile: float = 0.002
    seed: int = 0
    half_life_days: float = 7.0
    risk_window_days: int = 28
    alert_risk: float = 40.0
    min_risk: float = 15.0
    large_mail_bytes: int = 10_000_000
    large_mail_multiple: float = 4.0
    benign_weight: float = 0.1
    confirmed_weight: float = 1.0
    detector_weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS
    evidence_cap: int = 50
    most_events_mode: bool = False
    corporate_domains: tuple[str, ...] = ()
    skip_machine_accounts: bool = True

    def weight(self, detector: str) -> float:
        """Return the score multiplier of `detector` (1.0 unless configured)."""
        return dict(self.detector_weights).get(detector, 1.0)

    def with_changes(self, **changes: object) -> AnalyticsConfig:
        """Return a copy with the given fields replaced."""
        return replace(self, **changes)

    @classmethod
    def baseline(cls, name: str) -> AnalyticsConfig:
        """Return the configuration of a trivial comparison method.

        Args:
            name: "most_events" ranks users by their event count that day,
                "zscore_only" runs only the per-user volume z-scores without
                peer damping, "isolation_only" runs only the Isolation Forest.

        Raises:
            ValueError: for another name.
        """
        # A trivial method ranks everyone, with no weights and no floor.
        plain = {"detector_weights": (), "min_risk": 0.0, "alert_risk": 0.0}
        if name == "most_events":
            return cls(detectors=(), most_events_mode=True, **plain)
        if name == "zscore_only":
            return cls(detectors=("volume",), min_peers=10**9, **plain)
        if name == "isolation_only":
            return cls(detectors=("isolation_forest",), **plain)
        raise ValueError(
            f"unknown baseline {name!r}; expected one of {', '.join(BASELINE_NAMES)}"
        )
