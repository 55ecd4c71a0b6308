"""Command-line commands for analytics: synthetic data, evaluation and analysis."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import date
from pathlib import Path

logger = logging.getLogger(__name__)


# Smallest organisation the generator builds: enough people for peer groups
# and enough days for the scenarios' baselines.
MIN_SYNTH_USERS = 20
MIN_SYNTH_DAYS = 14


def _at_least(low: int, option: str):
    """Return an argparse type that accepts integers from `low` up."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {option}: {text!r}") from None
        if value < low:
            message = f"{option} must be {low} or more, not {value}"
            raise argparse.ArgumentTypeError(message)
        return value

    return parse


def _rate(text: str) -> float:
    """Parse a share between 0 and 1 for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid rate: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"rate must be from 0 to 1, not {value}")
    return value


def _seeds(text: str) -> list[int]:
    """Parse "201-210" or "201,205" into seeds for argparse."""
    from app.evaluation_run import parse_seeds

    try:
        return parse_seeds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_synth_commands(commands: argparse._SubParsersAction) -> None:
    """Add the `synth` and `evaluate` commands to the `vigil` parser."""
    synth = commands.add_parser(
        "synth", help="write a seeded synthetic organisation's logs and ground truth"
    )
    synth.add_argument(
        "out_dir", type=Path, help="folder to write (created if missing)"
    )
    synth.add_argument(
        "--users",
        type=_at_least(MIN_SYNTH_USERS, "--users"),
        default=1000,
        help=f"people, {MIN_SYNTH_USERS} or more (default 1000)",
    )
    synth.add_argument(
        "--days",
        type=_at_least(MIN_SYNTH_DAYS, "--days"),
        default=180,
        help=f"calendar days, {MIN_SYNTH_DAYS} or more (default 180)",
    )
    synth.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    synth.add_argument(
        "--insider-rate",
        type=_rate,
        default=0.03,
        help="share of people given an insider scenario, 0 to 1 (default 0.03)",
    )
    synth.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2024, 1, 1),
        help="first day, YYYY-MM-DD (default 2024-01-01)",
    )
    synth.set_defaults(handler=cmd_synth)

    evaluate = commands.add_parser(
        "evaluate",
        help="measure detection on synthetic organisations through the real importers",
    )
    evaluate.add_argument(
        "--seeds",
        type=_seeds,
        default="201-210",
        help="report seeds, e.g. 201-210 or 201,205 (default 201-210)",
    )
    evaluate.add_argument(
        "--users",
        type=_at_least(MIN_SYNTH_USERS, "--users"),
        default=1000,
        help="people per organisation (default 1000)",
    )
    evaluate.add_argument(
        "--days",
        type=_at_least(MIN_SYNTH_DAYS, "--days"),
        default=180,
        help="calendar days per organisation (default 180)",
    )
    evaluate.add_argument(
        "--insider-rate",
        type=_rate,
        default=0.03,
        help="share of insiders in the dense mode (default 0.03)",
    )
    evaluate.add_argument(
        "--sparse-rate",
        type=_rate,
        help="also run a sparse mode at this share of insiders, e.g. 0.004",
    )
    evaluate.add_argument(
        "--tune",
        action="store_true",
        help="run the tuning seeds instead and print the tables without writing --out",
    )
    evaluate.add_argument(
        "--jobs",
        type=_at_least(1, "--jobs"),
        default=1,
        help="seeds run at once, each in its own process (default 1)",
    )
    evaluate.add_argument("--out", type=Path, help="Markdown file to write")
    evaluate.add_argument(
        "--workdir", type=Path, help="folder for temporary cases (default: system temp)"
    )
    evaluate.set_defaults(handler=cmd_evaluate)


def cmd_synth(args: argparse.Namespace) -> int:
    from analytics.synthetic import generate

    result = generate(
        args.out_dir, args.users, args.days, args.seed, args.insider_rate, args.start
    )
    print(
        f"wrote {result.records:,} records for {result.users:,} people over "
        f"{result.days} days, {result.scenarios} insider scenarios, "
        f"{len(result.files)} log files under {result.out_dir}"
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from app import evaluation_run as run

    if args.tune:
        seeds = list(run.TUNING_SEEDS)
    else:
        seeds = args.seeds
        overlap = sorted(set(seeds) & set(run.TUNING_SEEDS))
        if overlap:
            print(
                f"vigil: error: seeds {overlap} are tuning seeds; report on other "
                "seeds or pass --tune",
                file=sys.stderr,
            )
            return 2
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    modes = {"Dense": args.insider_rate}
    if args.sparse_rate:
        modes["Sparse"] = args.sparse_rate

    def progress(mode: str, seed_run) -> None:
        timings = ", ".join(f"{k} {v:.1f} s" for k, v in seed_run.seconds.items())
        print(
            f"{mode} seed {seed_run.seed}: {seed_run.events:,} events, "
            f"{seed_run.quarantined} quarantined; {timings}",
            file=sys.stderr,
        )

    started = time.perf_counter()
    try:
        results = run.run_modes(
            modes, seeds, args.users, args.days, args.jobs, args.workdir, progress
        )
    except RuntimeError as exc:
        print(f"vigil: error: {exc}", file=sys.stderr)
        return 1
    text = run.report_markdown(
        results, args.users, args.days, time.perf_counter() - started, args.jobs
    )
    print(text)
    if args.out and not args.tune:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


def add_analysis_commands(commands: argparse._SubParsersAction) -> None:
    """Add the `directory`, `analyze` and `triage` commands to the `vigil` parser."""
    directory = commands.add_parser(
        "directory", help="import a directory CSV (users, departments, dates)"
    )
    directory.add_argument("case", type=Path, help="case folder")
    directory.add_argument("file", type=Path, help="directory CSV file")
    directory.set_defaults(handler=cmd_directory)

    analyze = commands.add_parser(
        "analyze", help="run the detectors and print the riskiest identities"
    )
    analyze.add_argument("case", type=Path, help="case folder")
    analyze.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="day to rank identities on, YYYY-MM-DD (default: the last day)",
    )
    analyze.add_argument(
        "--top",
        type=_at_least(1, "--top"),
        default=10,
        help="identities to print (default 10)",
    )
    analyze.add_argument(
        "--full",
        action="store_true",
        help="recompute everything, not only the days after the last run",
    )
    analyze.set_defaults(handler=cmd_analyze)

    triage = commands.add_parser(
        "triage", help="mark a finding confirmed, benign or needs_review"
    )
    triage.add_argument("case", type=Path, help="case folder")
    triage.add_argument("finding_id", help="finding id as printed by 'vigil analyze'")
    triage.add_argument("state", choices=("confirmed", "benign", "needs_review"))
    triage.add_argument("--note", help="why, in a sentence")
    triage.set_defaults(handler=cmd_triage)

    identities = commands.add_parser(
        "identities", help="list which accounts were linked to which person, and why"
    )
    identities.add_argument("case", type=Path, help="case folder")
    identities.add_argument("--identity", help="only this person's accounts")
    identities.set_defaults(handler=cmd_identities)

    link = commands.add_parser(
        "link",
        help="link an account to a person (or unlink it with --remove); "
        "takes effect at the next 'vigil analyze'",
    )
    link.add_argument("case", type=Path, help="case folder")
    link.add_argument("account", help="account as 'vigil identities' lists it")
    link.add_argument("identity", nargs="?", help="person (identity) to link it to")
    link.add_argument(
        "--remove", action="store_true", help="drop the investigator's link instead"
    )
    link.set_defaults(handler=cmd_link)


def cmd_directory(args: argparse.Namespace) -> int:
    from workspace import Workspace
    from workspace.directory import import_directory

    with Workspace.open(args.case) as workspace:
        rows = import_directory(workspace, args.file)
    print(f"imported {rows} directory rows into {args.case}")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from workspace import Workspace
    from workspace.analysis import run_analysis

    with Workspace.open(args.case) as workspace:
        result = run_analysis(workspace, full=args.full)
        people = result.identities["identity"].n_unique()
        if result.mode == "risk":
            rows = result.risk.height
            print(f"{result.mode_reason}: risk recomputed, {rows} risk rows")
        elif result.mode == "incremental":
            print(
                f"incremental run from {result.since}, because {result.mode_reason}: "
                f"{people} identities, {result.findings.height} findings and "
                f"{result.risk.height} risk rows from that day on"
            )
        else:
            print(
                f"full run, because {result.mode_reason}: {people} identities, "
                f"{result.findings.height} findings, {result.risk.height} risk rows"
            )
        print_top_risk(workspace, args.as_of, args.top)
    return 0


def print_top_risk(workspace, day: date | None, limit: int) -> None:
    """Print the riskiest identities on `day` with the findings behind them."""
    from analytics.config import AnalyticsConfig
    from workspace.analysis import findings_of, top_risk
    from workspace.risk_queries import analysis_status

    day, top = top_risk(workspace, day, limit)
    config = AnalyticsConfig()
    status = analysis_status(workspace)
    first, last = status.first_day, status.last_day
    if first is None:
        print("the case has no events yet: import logs with 'vigil import'")
        return
    if day is None:
        print(f"no identity has a risk score of {config.min_risk:g} or more on any day")
        return
    if not first <= day <= last:
        print(f"{day} is outside the events, which run from {first} to {last}")
        return
    if top.height == 0:
        print(f"no identity has a risk score of {config.min_risk:g} or more on {day}")
        return
    print(
        f"riskiest identities on {day} (high from {config.alert_risk:g}, medium "
        f"from {config.min_risk:g}, lower not listed; pass --as-of for another day):"
    )
    for row in top.iter_rows(named=True):
        print(f"{row['score']:7.1f}  {row['level'] or '':6}  {row['identity']}")
        findings = findings_of(workspace, row["identity"], day)
        shown = findings.filter(findings["feature"].is_in(row["top_features"])).unique(
            "feature", keep="first", maintain_order=True
        )
        for finding in shown.iter_rows(named=True):
            print(
                f"         {finding['finding_id']} {finding['day']} "
                f"{finding['feature']}: {finding['reason']}"
            )


def cmd_triage(args: argparse.Namespace) -> int:
    from workspace import Workspace
    from workspace.analysis import AnalysisError, set_triage

    with Workspace.open(args.case) as workspace:
        try:
            set_triage(workspace, args.finding_id, args.state, args.note)
        except AnalysisError as exc:
            print(f"vigil: error: {exc}", file=sys.stderr)
            return 1
    print(f"finding {args.finding_id} marked {args.state}; run 'vigil analyze' again")
    return 0


def cmd_identities(args: argparse.Namespace) -> int:
    from workspace import Workspace
    from workspace.analysis import list_identities

    with Workspace.open(args.case) as workspace:
        rows = list_identities(workspace, args.identity)
    if rows.height == 0:
        print("no identities: run 'vigil analyze' first, or check --identity")
        return 1
    print(f"{'identity':24} {'rule':16} account")
    for row in rows.iter_rows(named=True):
        print(f"{row['identity']:24} {row['rule']:16} {row['account']}")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from workspace import Workspace
    from workspace.analysis import list_identities, set_identity_override

    if args.remove == (args.identity is not None):
        print(
            "vigil: error: give an identity to link to, or --remove, not both",
            file=sys.stderr,
        )
        return 2
    with Workspace.open(args.case) as workspace:
        known = list_identities(workspace)
        linked = set_identity_override(workspace, args.account, args.identity)
    account = args.account.strip().lower()
    if args.remove and not linked:
        print(f"account {args.account} had no investigator link; nothing changed")
        return 0
    if known.height and account not in set(known["account"].to_list()):
        print(
            f"note: account {args.account} is not among the case's accounts; "
            "check the spelling with 'vigil identities'"
        )
    if (
        args.identity
        and known.height
        and args.identity not in set(known["identity"].to_list())
    ):
        print(f"note: {args.identity} is a new identity; no account was linked to it")
    action = "unlinked" if args.remove else f"linked to {args.identity}"
    print(f"account {args.account} {action}; run 'vigil analyze' again")
    return 0
