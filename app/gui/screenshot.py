"""Save a picture of the main window on a case, for the documentation.

Run it on a display (a real one or Xvfb), for example::

    xvfb-run -s "-screen 0 1600x1000x24" python -m app.gui.screenshot \
        docs/screenshot-main.png

Without --case it builds the demo case from the bundled samples in a
temporary folder; with --synthetic it builds a seeded synthetic organisation
instead. --risk runs Analyze in the window and shows the Risk tab with the
riskiest identity, its first finding and that finding's first event selected::

    xvfb-run -a -s "-screen 0 1600x1000x24" python -m app.gui.screenshot \\
        --synthetic --risk --as-of 2024-02-09 --size 1600x1000 \\
        docs/screenshot-risk.png

The window is grabbed once every background query has delivered and the
debounce timers have fired.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from app.demo import build_demo_case
from app.evaluation_run import import_logs
from app.gui.histogram import to_epoch
from app.gui.main import MainWindow
from workspace import Workspace
from workspace.directory import import_directory

logger = logging.getLogger(__name__)

# Longer than every debounce interval in the window (at most 300 ms).
QUIET_S = 0.8


def settle(app: QApplication, window: MainWindow, timeout_s: float = 30.0) -> None:
    """Process events until no query has been pending for QUIET_S seconds.

    Raises TimeoutError when the window is still busy after `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        busy = window.session is None or not window.session.runner.is_idle()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_S:
            return
    raise TimeoutError(f"window still busy after {timeout_s:.0f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="PNG file to write")
    parser.add_argument("--case", type=Path, help="case folder (default: demo case)")
    parser.add_argument("--size", default="1400x900", help="window size, WxH pixels")
    parser.add_argument("--filter", default="", help="text typed in the filter box")
    parser.add_argument(
        "--range",
        nargs=2,
        metavar=("START", "END"),
        help="time range to select in UTC, e.g. 2020-09-14T00:40 2020-09-14T01:20",
    )
    parser.add_argument("--row", type=int, default=0, help="events table row to select")
    parser.add_argument(
        "--source-row", type=int, default=0, help="sources table row to select"
    )
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="build a seeded synthetic organisation (60 people, 60 days) as the case",
    )
    parser.add_argument(
        "--risk",
        action="store_true",
        help="run Analyze and show the Risk tab with the top identity selected",
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="with --risk, the as-of day, YYYY-MM-DD (default: the case's last day)",
    )
    parser.add_argument(
        "--show-sources",
        action="store_true",
        help="bring the Sources tab to the front instead of Event detail",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    width, height = (int(part) for part in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="vigil-shot-") as scratch:
        if args.case:
            case_dir = args.case
        elif args.synthetic:
            case_dir = build_synthetic_case(Path(scratch))
        else:
            case_dir = build_demo_case(Path(scratch) / "demo.vigil")
        app = QApplication.instance() or QApplication(sys.argv[:1])
        window = MainWindow()
        window.resize(width, height)
        window.show()
        window.open_case(case_dir)
        settle(app, window)
        stage(app, window, args)
        if args.risk:
            stage_risk(app, window, args.as_of)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(args.output)):
            raise OSError(f"could not write {args.output}")
        window.close()
    print(f"saved {args.output} ({width}x{height})")
    return 0


def stage(app: QApplication, window: MainWindow, args: argparse.Namespace) -> None:
    """Apply the filter, range and selections asked for, settling after each."""
    if args.filter:
        window.events.filter_edit.setText(args.filter)
        settle(app, window)
    if args.range:
        start, end = (datetime.fromisoformat(text) for text in args.range)
        window.histogram.set_range(start, end)
        settle(app, window)
        window.histogram.plot.setXRange(
            *_padded(to_epoch(start), to_epoch(end)), padding=0
        )
        settle(app, window)
    if window.events_model.rowCount() > args.row:
        window.events.table.selectRow(args.row)
    if window.sources.model.rowCount() > args.source_row:
        window.sources.select_row(args.source_row)
    if args.show_sources:
        window.sources_dock.raise_()
    settle(app, window)


def build_synthetic_case(folder: Path) -> Path:
    """Generate a seeded organisation, import its logs and directory, unanalysed."""
    from analytics.synthetic import LOG_FOLDER, generate

    generate(folder / "org", users=60, days=60, seed=5, insider_rate=0.1)
    root = folder / "synthetic.vigil"
    with Workspace.create(root, name="Synthetic organisation") as workspace:
        import_logs(workspace, folder / "org" / LOG_FOLDER)
        import_directory(workspace, folder / "org" / "directory.csv")
    return root


def stage_risk(app: QApplication, window: MainWindow, as_of: date | None) -> None:
    """Analyse in the window, then select the top identity, finding and event."""
    risk = window.risk
    window.show_risk_view()
    finished = []
    risk.sig_analysis_finished.connect(finished.append)
    window.analyze_action.trigger()
    deadline = time.monotonic() + 120
    while not finished and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    if not finished or finished[0].error:
        raise RuntimeError(f"analysis did not finish: {finished}")
    settle(app, window)
    if as_of is not None:
        risk.set_as_of(as_of)
        settle(app, window)
    if risk.identities_model.rowCount():
        risk.identities_table.selectRow(0)
        settle(app, window)
    if risk.findings.model.rowCount():
        risk.findings.table.selectRow(0)
        settle(app, window)
    if risk.finding_events.model.rowCount():
        risk.finding_events.table.selectRow(0)
        risk.sig_event_selected.emit(risk.finding_events.model.key(0))
        settle(app, window)


def _padded(start: float, end: float) -> tuple[float, float]:
    margin = (end - start) * 1.5
    return start - margin, end + margin


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main())
