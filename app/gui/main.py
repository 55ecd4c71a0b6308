"""The Vigil main window: menus, case lifecycle, imports and the panels' wiring.

Panels own their widgets and models; this window only passes the open case
and the current filter between them. Opening a case, queries and imports
all run on worker threads.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QWidget,
)

from app.gui.background import CaseSession, TaskRunner
from app.gui.detail import DetailPanel
from app.gui.events_model import EventsModel
from app.gui.events_view import EventsPanel
from app.gui.histogram import HistogramPanel
from app.gui.import_actions import ImportActions
from app.gui.import_worker import ImportController, ImportProgressPanel
from app.gui.notes import NotesPanel
from app.gui.risk_view import RiskPanel
from app.gui.sources import SourcesPanel
from workspace import Workspace
from workspace.case import DB_NAME
from workspace.queries import EventFilter, count_events

logger = logging.getLogger(__name__)

CASE_SUFFIX = ".vigil"


class MainWindow(ImportActions, QMainWindow):
    """Events table, histogram, detail pane and sources of one open case."""

    sig_case_opened = Signal(str)
    """Emitted with the case folder once its session is ready."""

    sig_open_failed = Signal(str)
    """Emitted with the error text when a case cannot be opened or created."""

    sig_count_loaded = Signal(int)
    """Emitted with the number of events matching the current filter."""

    sig_summary_loaded = Signal(dict)
    """Emitted with Workspace.summary() after each refresh."""

    sig_import_finished = Signal(object)
    """Emitted with the ImportOutcome after the window has taken it in."""

    def __init__(self) -> None:
        super().__init__()
        self.session: CaseSession | None = None
        self._opener = TaskRunner(self, max_threads=1)
        self._opening = False
        self._text = ""
        self._range: tuple[datetime | None, datetime | None] = (None, None)
        self._identity = ""
        self._users: tuple[str, ...] = ()

        self.events_model = EventsModel(self)
        self.events = EventsPanel(self.events_model)
        self.histogram = HistogramPanel()
        self.detail = DetailPanel()
        self.sources = SourcesPanel()
        self.risk = RiskPanel()
        self.notes = NotesPanel(self.risk.writer)
        self.imports = ImportController(self)
        self.import_progress = ImportProgressPanel()
        self.summary_label = QLabel("No case open: File > Open case folder or New case")

        self._build_layout()
        self._build_menus()
        self._connect()
        self.setAcceptDrops(True)
        self._update_title(None)

    # Construction ---------------------------------------------------------------

    def _build_layout(self) -> None:
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.histogram)
        splitter.addWidget(self.events)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([300, 450])
        splitter.setChildrenCollapsible(False)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(splitter, "Events")
        self.tabs.addTab(self.risk, "Risk")
        self.setCentralWidget(self.tabs)

        # The table gets the full width; detail and sources share the bottom
        # area as tabs, and either can be dragged to a side or floated.
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.detail_dock = self._dock("Event detail", "detail", self.detail)
        self.sources_dock = self._dock("Sources", "sources", self.sources)
        self.notes_dock = self._dock("Notes", "notes", self.notes)
        self.addDockWidget(bottom, self.detail_dock)
        self.addDockWidget(bottom, self.sources_dock)
        self.addDockWidget(bottom, self.notes_dock)
        self.tabifyDockWidget(self.detail_dock, self.sources_dock)
        self.tabifyDockWidget(self.sources_dock, self.notes_dock)
        self.detail_dock.raise_()
        self.resizeDocks([self.detail_dock], [260], Qt.Orientation.Vertical)

        self.statusBar().addWidget(self.summary_label, 1)
        self.statusBar().addPermanentWidget(self.import_progress)

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{name}-dock")
        dock.setWidget(widget)
        dock.dockLocationChanged.connect(self._on_dock_moved)
        return dock

    def _on_dock_moved(self, area: Qt.DockWidgetArea) -> None:
        side = area in (
            Qt.DockWidgetArea.LeftDockWidgetArea,
            Qt.DockWidgetArea.RightDockWidgetArea,
        )
        self.detail.set_orientation(
            Qt.Orientation.Vertical if side else Qt.Orientation.Horizontal
        )

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action(file_menu, "&New case…", self.new_case_dialog)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.open_action = self._action(
            file_menu, "&Open case folder…", self.open_case_dialog
        )
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        file_menu.addSeparator()
        self.import_action = self._action(
            file_menu, "&Import files…", self.import_files_dialog
        )
        self.import_action.setShortcut("Ctrl+I")
        self.import_folder_action = self._action(
            file_menu, "Import &folder…", self.import_folder_dialog
        )
        file_menu.addSeparator()
        self.close_action = self._action(file_menu, "&Close case", self.close_case)
        self._action(file_menu, "&Quit", self.close).setShortcut(
            QKeySequence.StandardKey.Quit
        )

        view_menu = self.menuBar().addMenu("&View")
        focus = self._action(
            view_menu, "Filter events", self.events.filter_edit.setFocus
        )
        focus.setShortcut(QKeySequence.StandardKey.Find)
        self._action(view_menu, "Clear time range", self.histogram.clear_range)
        view_menu.addSeparator()
        view_menu.addAction(self.detail_dock.toggleViewAction())
        view_menu.addAction(self.sources_dock.toggleViewAction())
        view_menu.addAction(self.notes_dock.toggleViewAction())
        self._action(
            view_menu,
            "Show every user's events",
            lambda: self._on_identity_users("", []),
        )

        analysis_menu = self.menuBar().addMenu("&Analysis")
        self.analyze_action = self._action(
            analysis_menu, "&Analyze case", self.risk.start_analysis
        )
        self.analyze_action.setShortcut("Ctrl+R")
        self._action(analysis_menu, "Show risk view", self.show_risk_view)

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About Vigil", self._show_about)
        self._update_actions()

    def _action(self, menu, text: str, slot) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _connect(self) -> None:
        self.events.sig_filter_text_changed.connect(self._on_filter_text)
        self.events.sig_event_selected.connect(self.detail.show_event)
        self.events_model.sig_load_failed.connect(self._on_query_failed)
        self.histogram.sig_range_changed.connect(self._on_range_changed)
        self.imports.sig_started.connect(self._on_import_started)
        self.imports.sig_progress.connect(self._on_import_progress)
        self.imports.sig_file_finished.connect(self._on_import_file_finished)
        self.imports.sig_finished.connect(self._on_import_finished)
        self.import_progress.sig_cancel.connect(self.imports.cancel)
        self.events.sig_event_selected.connect(self.notes.set_event)
        self.risk.sig_identity_users.connect(self._on_identity_users)
        self.risk.sig_event_selected.connect(self._show_event)
        self.risk.sig_busy_changed.connect(lambda _busy: self._update_actions())
        self.risk.sig_message.connect(lambda text: self.statusBar().showMessage(text))
        self.sig_import_finished.connect(lambda _outcome: self.risk.refresh())

    # Case lifecycle -------------------------------------------------------------

    def open_case(self, root: Path) -> None:
        """Open the case in `root` on a worker thread."""
        self._load_workspace(lambda: Workspace.open(root), f"Opening {root}…")

    def create_case(self, root: Path) -> None:
        """Create a new, empty case in `root` on a worker thread and open it."""
        self._load_workspace(lambda: Workspace.create(root), f"Creating {root}…")

    def _load_workspace(self, load, message: str) -> None:
        if self._opening:
            return
        if self.imports.is_running():
            self._show_error("Import running", "Cancel the running import first.")
            return
        self._opening = True
        self._update_actions()
        self.statusBar().showMessage(message)
        self._opener.submit(
            "open", load, self._on_workspace_ready, self._on_open_failed
        )

    def _on_workspace_ready(self, workspace: Workspace) -> None:
        self._opening = False
        self.statusBar().clearMessage()
        self.close_case()
        self.session = CaseSession(workspace, self)
        self.session.runner.sig_error.connect(self._on_background_error)
        self._text, self._range = "", (None, None)
        self.events.filter_edit.blockSignals(True)
        self.events.filter_edit.clear()
        self.events.filter_edit.blockSignals(False)
        self.events_model.set_filter(EventFilter())
        self._identity, self._users = "", ()
        for panel in self._panels():
            panel.set_session(self.session)
        self._request_count()
        self.refresh_summary()
        self._update_actions()
        self.sig_case_opened.emit(str(workspace.root))

    def _on_open_failed(self, error: str) -> None:
        self._opening = False
        self.statusBar().clearMessage()
        self._update_actions()
        self._show_error("Cannot open case", error)
        self.sig_open_failed.emit(error)

    def close_case(self) -> None:
        """Close the open case after its import and queries have stopped."""
        if self.session is None:
            return
        self.imports.wait()
        session, self.session = self.session, None
        for panel in self._panels():
            panel.set_session(None)
        session.close()
        session.deleteLater()
        self.events.set_count_text("No case open")
        self.summary_label.setText("No case open")
        self._update_title(None)
        self._update_actions()

    def _panels(self) -> tuple:
        return (
            self.events_model,
            self.histogram,
            self.detail,
            self.sources,
            self.risk,
            self.notes,
        )

    def refresh_summary(self) -> None:
        if self.session is not None:
            self.session.query(
                "summary", lambda workspace: workspace.summary(), self._on_summary
            )

    def _on_summary(self, summary: dict) -> None:
        first, last = summary["first"], summary["last"]
        span = f" · {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC" if first else ""
        self.summary_label.setText(
            f"Case <b>{summary['case']}</b> · {summary['sources']:,} sources · "
            f"{summary['events']:,} events · {summary['quarantined']:,} quarantined · "
            f"{summary['users']:,} users · {summary['hosts']:,} hosts{span}"
        )
        self._update_title(summary["case"])
        self.sig_summary_loaded.emit(summary)

    def _update_title(self, case_name: str | None) -> None:
        self.setWindowTitle(f"Vigil — {case_name}" if case_name else "Vigil")

    def _update_actions(self) -> None:
        has_case = self.session is not None
        importing = self.imports.is_running()
        busy = importing or self.risk.is_analysing()
        for action in (self.new_action, self.open_action):
            action.setEnabled(not self._opening and not busy)
        for action in (self.import_action, self.import_folder_action):
            action.setEnabled(has_case and not busy)
        self.close_action.setEnabled(has_case and not busy)
        self.risk.set_can_analyze(has_case and not importing and not self._opening)
        self.analyze_action.setEnabled(has_case and not busy)

    # Filter ---------------------------------------------------------------------

    def current_filter(self) -> EventFilter:
        start, end = self._range
        return EventFilter(text=self._text, start=start, end=end, users=self._users)

    def _on_identity_users(self, identity: str, users: list[str]) -> None:
        # An identity without events keeps the current filter rather than
        # showing every user's events under its name.
        if identity and not users:
            return
        self._identity, self._users = identity, tuple(users)
        self._apply_filter()

    def _on_filter_text(self, text: str) -> None:
        self._text = text
        self._apply_filter()

    def _on_range_changed(self, start: datetime | None, end: datetime | None) -> None:
        self._range = (start, end)
        self._apply_filter()

    def _apply_filter(self) -> None:
        event_filter = self.current_filter()
        self.events_model.set_filter(event_filter)
        self.histogram.set_filter(replace(event_filter, start=None, end=None))
        self._request_count()

    def _request_count(self) -> None:
        if self.session is None:
            return
        event_filter = self.current_filter()
        self.events.set_count_text("Counting…")
        self.session.query(
            "count",
            lambda workspace: count_events(workspace.con, event_filter),
            self._on_count,
        )

    def _on_count(self, count: int) -> None:
        noun = "event matches" if count == 1 else "events match"
        scope = " in the selected range" if self._range[0] is not None else ""
        if self._users:
            scope += f" for {self._identity}"
        self.events.set_count_text(f"{count:,} {noun}{scope}")
        self.sig_count_loaded.emit(count)

    def show_risk_view(self) -> None:
        self.tabs.setCurrentWidget(self.risk)

    def _show_event(self, event_id: str) -> None:
        self.detail.show_event(event_id)
        self.notes.set_event(event_id)
        self.detail_dock.raise_()

    # Menu dialogs and drops -----------------------------------------------------

    def new_case_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "New case folder", "", f"Vigil case (*{CASE_SUFFIX})"
        )
        if name:
            root = Path(name)
            if not root.suffix:
                root = root.with_suffix(CASE_SUFFIX)
            self.create_case(root)

    def open_case_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open case folder")
        if folder:
            self.open_case(Path(folder))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls()]
        event.acceptProposedAction()
        if len(paths) == 1 and (paths[0] / DB_NAME).is_file():
            self.open_case(paths[0])
        else:
            self._ask_and_import(paths)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.imports.wait()
        self.close_case()
        self._opener.shutdown()
        super().closeEvent(event)

    # Messages -------------------------------------------------------------------

    def _on_query_failed(self, error: str) -> None:
        self.statusBar().showMessage(f"Query failed: {error}", 15_000)

    def _on_background_error(self, key: str, error: str) -> None:
        logger.warning("background %s job failed: %s", key, error)
        self.statusBar().showMessage(f"{key} failed: {error}", 15_000)

    def _show_error(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Vigil",
            "Vigil: offline insider-threat investigation workbench.\n"
            "Cases are DuckDB files; imports keep every record or quarantine it.",
        )


def run_gui(case_dir: Path | None) -> int:
    """Show the main window, open `case_dir` when given, and run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Vigil")
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    if case_dir is not None:
        window.open_case(Path(case_dir))
    return app.exec()
