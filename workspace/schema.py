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

# Analytics tables. IF NOT EXISTS lets workspace.analysis add them to a case
# created before they existed.
ANALYTICS_DDL = [
    """CREATE TABLE IF NOT EXISTS directory (
        user_id      VARCHAR PRIMARY KEY,
        display_name VARCHAR,
        email        VARCHAR,
        department   VARCHAR,
        role         VARCHAR,
        manager      VARCHAR,
        start_date   DATE,
        end_date     DATE,
        watch_list   BOOLEAN,
        accounts     VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS identities (
        account  VARCHAR PRIMARY KEY,
        identity VARCHAR NOT NULL,
        rule     VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS identity_overrides (
        account  VARCHAR PRIMARY KEY,
        identity VARCHAR NOT NULL,
        created  TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS findings (
        finding_id VARCHAR PRIMARY KEY,
        identity   VARCHAR NOT NULL,
        day        DATE NOT NULL,
        detector   VARCHAR NOT NULL,
        feature    VARCHAR NOT NULL,
        score      DOUBLE NOT NULL,
        reason     VARCHAR,
        event_ids  VARCHAR[]
    )""",
    """CREATE TABLE IF NOT EXISTS risk (
        identity     VARCHAR NOT NULL,
        day          DATE NOT NULL,
        score        DOUBLE NOT NULL,
        top_reasons  VARCHAR[],
        top_features VARCHAR[],
        level        VARCHAR,
        PRIMARY KEY (identity, day)
    )""",
    """CREATE TABLE IF NOT EXISTS triage (
        finding_id VARCHAR PRIMARY KEY,
        state      VARCHAR NOT NULL,
        note       VARCHAR,
        updated    TIMESTAMP NOT NULL
    )""",
]
DDL += ANALYTICS_DDL
