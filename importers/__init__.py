"""Log importers, one module per format, registered by name on import."""

from importers import registry  # noqa: F401
