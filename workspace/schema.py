"""DDL of a case database and its version."""

from __future__ import annotations

SCHEMA_VERSION = 1

EVENT_COLUMNS_DDL = """
    event_id       VARCHAR NOT NULL,
    source_id      INTEGER NOT NULL,
    timestamp      TIMESTAMP NOT NULL,
    timestamp_raw  VARCHAR,
    tz_offset_min  SMALLINT,
    tz_assumed     BOOLEAN,
    record_ref     VARCHAR NOT NULL,
    event_code     VARCHAR,
    event_category VARCHAR,
    event_action   VARCHAR,
    event_outcome  VARCHAR,
    user_name      VARCHAR,
    user_domain    VARCHAR,
    target_user    VARCHAR,
    source_ip      VARCHAR,
    source_country VARCHAR,
    source_city    VARCHAR,
    host_name      VARCHAR,
    object         VARCHAR,
    bytes          BIGINT,
    user_agent     VARCHAR,
    message        VARCHAR,
    original       VARCHAR
"""

DDL = [
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE sources (
        source_id      INTEGER PRIMARY KEY,
        path           VARCHAR NOT NULL,
        name           VARCHAR NOT NULL,
        size           BIGINT,
        sha256         VARCHAR NOT NULL,
        format         VARCHAR,
        importer_version VARCHAR,
        imported_at    TIMESTAMP,
        status         VARCHAR,
        events         BIGINT,
        quarantined    BIGINT,
        duplicates     BIGINT,
        first_ts       TIMESTAMP,
        last_ts        TIMESTAMP,
        report         VARCHAR
    )""",
    f"CREATE TABLE events ({EVENT_COLUMNS_DDL})",
    """CREATE TABLE quarantine (
        source_id  INTEGER NOT NULL,
        record_ref VARCHAR,
        raw        VARCHAR,
        error      VARCHAR
    )""",
    """CREATE TABLE notes (
        note_id   INTEGER PRIMARY KEY,
        created   TIMESTAMP NOT NULL,
        author    VARCHAR,
        event_id  VARCHAR,
        subject   VARCHAR,
        body      VARCHAR
    )""",
    """CREATE TABLE tags (
        event_id VARCHAR NOT NULL,
        tag      VARCHAR NOT NULL,
        created  TIMESTAMP NOT NULL,
        PRIMARY KEY (event_id, tag)
    )""",
    """CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY,
        ts        TIMESTAMP NOT NULL,
        actor     VARCHAR,
        action    VARCHAR NOT NULL,
        detail    VARCHAR,
        prev_hash VARCHAR NOT NULL,
        hash      VARCHAR NOT NULL
    )""",
    "CREATE SEQUENCE source_ids START 1",
    "CREATE SEQUENCE note_ids START 1",
]
