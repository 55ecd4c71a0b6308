"""The `vigil` command line: cases, imports, summaries, the demo and the window."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from app import cli_analytics
from importers import registry
from importers.base import ImportOptions, SourceError
from workspace import CaseError, Workspace
from workspace.importing import FileResult, import_paths

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except (CaseError, SourceError) as exc:
        print(f"vigil: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "vigil: interrupted; the file being imported, if any, was rolled back",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`); nothing to report.
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigil", description="Offline insider-threat investigation workbench."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(metavar="COMMAND")

    new = commands.add_parser("new", help="create an empty case folder")
    new.add_argument("case", type=Path, help="case folder to create, e.g. leaver.vigil")
    new.add_argument("--name", help="case name shown in reports (default: folder)")
    new.set_defaults(handler=cmd_new)

    imp = commands.add_parser(
        "import",
        help="import log files or folders into a case",
        description="Import log files (plain or gzip) into an existing case. The "
        "format is detected from the content. Inside folders, hidden files and "
        "case folders are skipped and listed.",
    )
    imp.add_argument("case", type=Path, help="case folder made with 'vigil new'")
    imp.add_argument("paths", type=Path, nargs="+", help="files or folders to import")
    add_import_options(imp)
    imp.set_defaults(handler=cmd_import)

    info = commands.add_parser("info", help="print a case summary and its sources")
    info.add_argument("case", type=Path, help="case folder")
    info.set_defaults(handler=cmd_info)

    gui = commands.add_parser("gui", help="open the desktop window")
    gui.add_argument("case", type=Path, nargs="?", help="case folder to open")
    gui.set_defaults(handler=cmd_gui)

    demo = commands.add_parser(
        "demo", help="build a case from the bundled sample logs and open it"
    )
    demo.add_argument(
        "--case",
        type=Path,
        help="where to build the demo case (default: a folder in the user data dir)",
    )
    demo.add_argument(
        "--no-gui", action="store_true", help="print the case summary only"
    )
    demo.set_defaults(handler=cmd_demo)
    cli_analytics.add_synth_commands(commands)
    cli_analytics.add_analysis_commands(commands)
    return parser


def add_import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--year",
        type=four_digit_year,
        help="four-digit year of the first line of logs whose lines carry none "
        "(RFC 3164 syslog, auth.log, Proxifier); later lines roll over at Dec-Jan",
    )
    parser.add_argument(
        "--tz",
        help="IANA time zone of logs whose times carry no offset, e.g. Europe/London "
        "(default: UTC, reported as an assumption)",
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        help='JSON file mapping CSV/JSON fields to columns, e.g. {"columns": '
        '{"timestamp": "When", "user_name": "Who"}}; see the README',
    )
    parser.add_argument(
        "--format",
        choices=sorted(registry.importers()),
        help="importer to use instead of content detection",
    )


def four_digit_year(text: str) -> int:
    year = int(text)
    if not 1970 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"{text} is not a four-digit year (1970-2100)")
    return year


def import_options(args: argparse.Namespace) -> ImportOptions:
    return ImportOptions(
        year=args.year, tz=args.tz, mapping_file=args.mapping, format=args.format
    )


def cmd_new(args: argparse.Namespace) -> int:
    workspace = Workspace.create(args.case, name=args.name)
    print(f"created case {workspace.name!r} in {args.case}")
    workspace.close()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with Workspace.open(args.case) as workspace:
        results = run_import(workspace, args.paths, import_options(args))
    failed = [r for r in results if r.error and not r.skipped]
    empty = [r for r in results if r.report is not None and r.report.status == "empty"]
    return 0 if not failed and not empty else 1


def run_import(
    workspace: Workspace, paths: list[Path], options: ImportOptions
) -> list[FileResult]:
    """Import with a progress bar on stderr and print a report per file."""
    bar = ProgressBar(sys.stderr)
    results = import_paths(workspace, paths, options, progress=bar.update)
    bar.finish()
    for result in results:
        print(format_result(result))
        if result.report is not None and result.report.quarantined:
            print(format_quarantine(workspace, result.report.source_id))
    return results


def format_result(result: FileResult) -> str:
    if result.skipped:
        return f"SKIPPED {result.path} ({result.error})"
    if result.report is None:
        return f"FAILED  {result.path}\n        {result.error}"
    r = result.report
    lines = [
        f"{r.status.upper():7} {r.path}",
        f"        format {r.format}; {r.events} events, {r.quarantined} quarantined, "
        f"{r.duplicates} duplicates skipped",
        f"        time range {r.first or '-'} .. {r.last or '-'} UTC",
        f"        SHA-256 {r.sha256}",
    ]
    if r.partial_at:
        lines.append(f"        partial: {r.partial_at}")
    lines += [f"        assumed: {text}" for text in r.assumptions]
    lines += [f"        note: {text}" for text in r.notes if text != r.partial_at]
    if r.status == "empty":
        lines.append(
            "        no events read: every record was quarantined; "
            "check the format (--format) and the options"
        )
    if r.mapping:
        mapped = ", ".join(f"{k}<-{v}" for k, v in r.mapping.items())
        lines.append(f"        mapping: {mapped}")
    return "\n".join(lines)


def format_quarantine(workspace: Workspace, source_id: int | None, limit: int = 5):
    """List the first quarantined records of a source with their reference."""
    rows = workspace.con.execute(
        "SELECT record_ref, error FROM quarantine WHERE source_id = ? "
        "ORDER BY try_cast(record_ref AS BIGINT) NULLS LAST, record_ref LIMIT ?",
        [source_id, limit],
    ).fetchall()
    lines = [f"        quarantined {ref}: {error}" for ref, error in rows]
    return "\n".join(lines)


class ProgressBar:
    """A one-line text progress bar that redraws in place on a terminal."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.active = stream.isatty()
        self.last = ""

    def update(self, fraction: float, index: int, count: int, events: int) -> None:
        if not self.active:
            return
        width = 30
        filled = int(width * fraction)
        text = (
            f"\r[{'#' * filled}{'.' * (width - filled)}] file {index + 1}/{count} "
            f"{fraction:4.0%} {events} events"
        )
        if text != self.last:
            self.stream.write(text)
            self.stream.flush()
            self.last = text

    def finish(self) -> None:
        if self.active and self.last:
            self.stream.write("\n")


def print_summary(workspace: Workspace) -> None:
    summary = workspace.summary()
    print(f"case      {summary['case']} ({summary['path']})")
    print(f"sources   {summary['sources']}")
    print(f"events    {summary['events']}")
    print(f"quarantine {summary['quarantined']}")
    print(f"range     {summary['first']} .. {summary['last']} UTC")
    print(f"users     {summary['users']}   hosts {summary['hosts']}")
    sources = workspace.sources()
    if sources.height:
        print()
        print(f"{'id':>3} {'status':8} {'format':12} {'events':>8} {'quar.':>6}  file")
        for row in sources.iter_rows(named=True):
            print(
                f"{row['source_id']:>3} {row['status']:8} {row['format']:12} "
                f"{row['events']:>8} {row['quarantined']:>6}  {row['name']}"
            )


def cmd_info(args: argparse.Namespace) -> int:
    with Workspace.open(args.case, read_only=True) as workspace:
        print_summary(workspace)
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from app.gui.main import run_gui

    return run_gui(args.case)


def cmd_demo(args: argparse.Namespace) -> int:
    from app.cli_analytics import print_top_risk
    from app.demo import build_demo_case

    case_dir = build_demo_case(args.case)
    if args.no_gui or not has_display():
        if not args.no_gui:
            print("no display found: printing the case summary instead of a window")
        with Workspace.open(case_dir, read_only=True) as workspace:
            print_summary(workspace)
            print()
            print_top_risk(workspace, None, 5)
        return 0
    from app.gui.main import run_gui

    return run_gui(case_dir)


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


if __name__ == "__main__":
    sys.exit(main())
