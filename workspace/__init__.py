"""Case workspaces: the DuckDB store, atomic imports and the action log."""

from workspace.case import CaseError, Workspace

__all__ = ["CaseError", "Workspace"]
