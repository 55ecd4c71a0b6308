"""Case notes: write a note, optionally about the selected event, and list them.

Each note is stored with its audit-log entry in one transaction by
`workspace.risk_queries.add_note`, on the window's single write thread.
"""

from __future__ import annotations

import polars as pl
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.background import CaseSession
from app.gui.case_writer import CaseWriter
from app.gui.rows_model import RowsModel, TextColumn, configure_table
from workspace.risk_queries import add_note, list_notes

NOTE_COLUMNS = (
    TextColumn("Written (UTC)", 140),
    TextColumn("Author", 90),
    TextColumn("Subject", 140),
    TextColumn("Event", 150),
    TextColumn("Note", 400),
)


def note_rows(notes: pl.DataFrame) -> list[tuple[str, ...]]:
    """Format list_notes rows for NOTE_COLUMNS, one line per note."""
    return (
        notes.select(
            pl.col("created").dt.to_string("%Y-%m-%d %H:%M:%S"),
            "author",
            "subject",
            "event_id",
            pl.col("body").str.replace_all(r"\s+", " "),
        )
        .fill_null("")
        .rows()
    )


class NotesPanel(QWidget):
    """Note editor on the left, the case's notes (newest first) on the right."""

    sig_notes_loaded = Signal(int)
    """Emitted with the number of notes after each reload."""

    sig_note_saved = Signal(int)
    """Emitted with the new note's id once it is stored."""

    sig_note_failed = Signal(str)
    """Emitted with the error text when a note cannot be stored."""

    def __init__(self, writer: CaseWriter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session: CaseSession | None = None
        self._writer = writer
        self._event_id: str | None = None

        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText("Subject, e.g. the identity (optional)")
        self.body_edit = QPlainTextEdit()
        self.body_edit.setPlaceholderText("Note text")
        self.attach_check = QCheckBox("Attach to the selected event")
        self.add_button = QPushButton("Add note")
        self.status_label = QLabel()
        self.model = RowsModel(NOTE_COLUMNS, self)
        self.table = QTableView()
        configure_table(self.table, self.model)
        self._layout_widgets()

        self.add_button.clicked.connect(self.save_note)
        self.body_edit.textChanged.connect(self._update_controls)
        self._update_controls()

    def _layout_widgets(self) -> None:
        editor = QWidget()
        form = QVBoxLayout(editor)
        form.setContentsMargins(0, 0, 0, 0)
        form.addWidget(self.subject_edit)
        form.addWidget(self.body_edit, 1)
        form.addWidget(self.attach_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.add_button)
        form.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(editor)
        splitter.addWidget(self.table)
        splitter.setSizes([380, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(splitter)

    def set_session(self, session: CaseSession | None) -> None:
        self._session = session
        self.set_event(None)
        self.status_label.clear()
        self.model.clear()
        self._update_controls()
        self.refresh()

    def set_event(self, event_id: str | None) -> None:
        """Offer to attach the next note to `event_id` (None: no event selected)."""
        self._event_id = event_id
        if event_id is None:
            self.attach_check.setText("Attach to the selected event (none selected)")
            self.attach_check.setChecked(False)
        else:
            self.attach_check.setText(f"Attach to event {event_id}")
        self.attach_check.setEnabled(event_id is not None)

    def refresh(self) -> None:
        if self._session is not None:
            self._session.query("notes", list_notes, self._on_notes)

    def save_note(self) -> None:
        """Store the note in the editor on the write thread."""
        body = self.body_edit.toPlainText()
        if not body.strip() or self._session is None:
            return
        subject = self.subject_edit.text()
        event_id = self._event_id if self.attach_check.isChecked() else None
        self.add_button.setEnabled(False)
        self.status_label.setText("Saving…")
        self._writer.submit(
            lambda workspace: add_note(workspace, body, subject, event_id),
            self._on_saved,
            self._on_save_failed,
        )

    def _on_saved(self, note_id: int) -> None:
        self.body_edit.clear()
        self.subject_edit.clear()
        self.status_label.setText(f"Note {note_id} saved and logged")
        self._update_controls()
        self.refresh()
        self.sig_note_saved.emit(note_id)

    def _on_save_failed(self, error: str) -> None:
        self.status_label.setText(f"Not saved: {error}")
        self._update_controls()
        self.sig_note_failed.emit(error)

    def _on_notes(self, notes: pl.DataFrame) -> None:
        self.model.set_rows(
            [str(note_id) for note_id in notes.get_column("note_id")],
            note_rows(notes),
        )
        self.sig_notes_loaded.emit(notes.height)

    def _update_controls(self) -> None:
        has_case = self._session is not None
        self.add_button.setEnabled(
            has_case and bool(self.body_edit.toPlainText().strip())
        )
        for widget in (self.subject_edit, self.body_edit):
            widget.setEnabled(has_case)
