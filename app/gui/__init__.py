"""The Vigil desktop window: PySide6 widgets over the case workspace.

Widgets never query DuckDB themselves: every query runs on a worker thread
through `app.gui.background.CaseSession` and the result comes back as a Qt
signal on the GUI thread.
"""
