"""Importer registration and format detection by content."""

from __future__ import annotations

import logging

from importers.base import Importer, SourceError, SourceFile, decode_head

logger = logging.getLogger(__name__)

_IMPORTERS: dict[str, Importer] = {}


def register(cls: type[Importer]) -> type[Importer]:
    """Class decorator that makes an importer available by its name."""
    instance = cls()
    if instance.name in _IMPORTERS:
        raise ValueError(f"importer name {instance.name!r} registered twice")
    _IMPORTERS[instance.name] = instance
    return cls


def importers() -> dict[str, Importer]:
    return dict(_IMPORTERS)


def get(name: str) -> Importer:
    try:
        return _IMPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(_IMPORTERS))
        raise SourceError(f"unknown format {name!r}; known formats: {known}") from None


def detect(source: SourceFile) -> Importer:
    """Pick the importer whose content check scores the file highest.

    Raises SourceError naming the file when no importer recognises it.
    """
    head = source.head()
    if not head:
        raise SourceError(f"{source.path}: file is empty or unreadable")
    text = decode_head(head)
    scores = []
    for importer in _IMPORTERS.values():
        try:
            score = importer.sniff(head, text)
        except Exception:  # a faulty sniff must not hide the other formats
            logger.exception("content check of %s failed on %s", importer.name, source)
            score = 0.0
        if score > 0:
            scores.append((score, importer.name))
    if not scores:
        kind = "binary data" if text is None else "text"
        raise SourceError(
            f"{source.path}: no importer recognises this {kind}; "
            "pass --format to choose one or check that the file is a log export"
        )
    scores.sort(reverse=True)
    logger.debug("format scores for %s: %s", source, scores)
    return _IMPORTERS[scores[0][1]]
