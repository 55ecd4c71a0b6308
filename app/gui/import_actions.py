"""Import handlers of the main window: start, progress, outcome and file dialogs.

`ImportActions` is a mixin for MainWindow. It uses the window's `session`,
`imports` (ImportController), `import_progress`, `sources`, `histogram`,
`events_model` and status bar.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog

from app.gui.import_dialog import ImportOptionsDialog
from app.gui.import_worker import ImportOutcome
from importers.base import ImportOptions


class ImportActions:
    """Import methods of MainWindow, kept apart from the case and filter wiring."""

    def start_import(self, paths: list[Path], options: ImportOptions | None = None):
        """Import files or folders into the open case on a worker thread."""
        if self.session is None:
            self._show_error("No case open", "Open or create a case before importing.")
            return None
        return self.imports.start(self.session, paths, options or ImportOptions())

    def cancel_import(self) -> None:
        self.imports.cancel()

    def _on_import_started(self) -> None:
        self.import_progress.begin()
        self._update_actions()

    def _on_import_progress(self, fraction: float, index: int, count: int, events: int):
        files = self.imports.files
        name = files[index].name if index < len(files) else ""
        self.import_progress.update_progress(fraction, index, count, events, name)

    def _on_import_file_finished(self, _index: int) -> None:
        self.sources.refresh()
        self.refresh_summary()

    def _on_import_finished(self, outcome: ImportOutcome) -> None:
        self.import_progress.hide()
        self._update_actions()
        self.sources.refresh()
        self.refresh_summary()
        self.events_model.reload()
        self.histogram.refresh()
        self._request_count()
        self.statusBar().showMessage(_outcome_text(outcome), 15_000)
        if outcome.error or outcome.failed:
            failures = [outcome.error] if outcome.error else []
            failures += [f"{r.path.name}: {r.error}" for r in outcome.failed]
            self._show_error("Some files were not imported", "\n\n".join(failures))
        self.sig_import_finished.emit(outcome)

    def import_files_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Import log files")
        if names:
            self._ask_and_import([Path(name) for name in names])

    def import_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import every file in a folder")
        if folder:
            self._ask_and_import([Path(folder)])

    def _ask_and_import(self, paths: list[Path]) -> None:
        if self.session is None:
            self._show_error("No case open", "Open or create a case before importing.")
            return
        dialog = ImportOptionsDialog(paths, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.start_import(paths, dialog.options())


def _outcome_text(outcome: ImportOutcome) -> str:
    text = (
        f"Imported {len(outcome.imported)} of {len(outcome.files)} files, "
        f"{outcome.events:,} events"
    )
    if outcome.failed:
        text += f"; {len(outcome.failed)} failed"
    if outcome.cancelled:
        text += "; cancelled, the file in progress was rolled back"
    return text
