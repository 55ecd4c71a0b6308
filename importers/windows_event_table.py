"""The table that maps Windows event ids onto categories, actions and fields.

EVENT_SPECS contains one EventSpec per event id. `windows_events` joins it (as
SPEC_TABLE) onto a batch of events; ids missing from it get GENERIC_SPEC.
Field names in a spec are input columns, named as in the event XML, or the
derived columns defined here (MEMBER, GROUP, ...).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

from importers.vocabulary import ACTIONS, CATEGORIES

# Columns the mapping reads; any of them may be missing from the input. The
# first seven are System fields (UserID is System/Security/@UserID), the rest
# EventData or UserData fields. "Data.Channel" is the Channel field in the
# event data of a log-cleared event (the log that was cleared), renamed
# because System/Channel has that name.
INPUT_FIELDS = (
    "EventID",
    "Computer",
    "Channel",
    "Provider",
    "Keywords",
    "Task",
    "UserID",
    "Data.Channel",
    "SubjectUserName",
    "SubjectDomainName",
    "TargetUserName",
    "TargetDomainName",
    "AccountName",
    "AccountDomain",
    "IpAddress",
    "ClientAddress",
    "WorkstationName",
    "Workstation",
    "ClientName",
    "LogonType",
    "Status",
    "SubStatus",
    "ObjectName",
    "ShareName",
    "RelativeTargetName",
    "AccessMask",
    "MemberName",
    "MemberSid",
    "PrivilegeList",
    "ServiceName",
    "ServiceFileName",
    "ImagePath",
    "NewProcessName",
    "CommandLine",
    "ProcessName",
    "TargetServerName",
    "SessionName",
    "DeviceDescription",
    "DeviceId",
    "ClassName",
)

# Columns derived from the input before the mapping picks its fields.
MEMBER = "_member"  # group member: CN of MemberName, else MemberSid
GROUP = "_group"  # TargetDomainName\TargetUserName of a group change
SHARE_PATH = "_share_path"  # ShareName joined with RelativeTargetName
PRIVILEGES = "_privileges"  # PrivilegeList on one line
CLEARED_LOG = "_cleared_log"  # the log a log-cleared event names
DEVICE = "_device"  # DeviceDescription, else DeviceId
GENERIC_USER = "_generic_user"  # subject, else target, else AccountName
GENERIC_DOMAIN = "_generic_domain"  # the domain that goes with GENERIC_USER

STATUS = "status"  # outcome read from the Status field: 0x0 is success

# Task of Security-Auditing events in the Removable Storage audit subcategory.
# NOTE: 12812 is inferred from the order of the Object Access tasks. Real logs
# show 12810 (Filtering Platform Connection) and 12811 (Detailed File Share),
# and Microsoft's event 4818 example shows 12813 (Central Policy Staging). No
# Removable Storage event was at hand to confirm the value.
REMOVABLE_STORAGE_TASK = "12812"

# Bits of System/Keywords that Security events carry.
AUDIT_FAILURE = 0x10000000000000
AUDIT_SUCCESS = 0x20000000000000

# Bits of AccessMask for files (ReadData, WriteData, AppendData, DELETE).
READ_DATA = 0x1
WRITE_DATA = 0x2 | 0x4
DELETE = 0x10000


@dataclass(frozen=True)
class EventSpec:
    """Mapping of one event id onto the schema.

    Field names refer to input columns or to the derived columns above.

    Attributes:
        category: event_category value.
        action: event_action value.
        phrase: start of the message, such as "created user".
        outcome: "success", "failure", "unknown" or STATUS. The Keywords
            audit bits, when present, take precedence over all but STATUS.
        user: field naming the acting account.
        domain: field naming the domain of the acting account.
        target: field naming the account acted on.
        object: field naming the object acted on.
        object_label: word before the object in the message.
        user_label: word before the acting account in the message.
        detail: field shown in brackets at the end of the message.
        detail_label: word before the detail.
        provider: provider name the event must come from, for ids that
            other providers reuse; rows from another provider stay generic.
        access_mask: whether AccessMask refines the action to a read, write
            or delete.
    """

    category: str
    action: str
    phrase: str
    outcome: str = "success"
    user: str | None = "SubjectUserName"
    domain: str | None = "SubjectDomainName"
    target: str | None = None
    object: str | None = None
    object_label: str = ""
    user_label: str = "by"
    detail: str | None = None
    detail_label: str = ""
    provider: str | None = None
    access_mask: bool = False


def _logon(action: str, phrase: str, outcome: str = "success") -> EventSpec:
    return EventSpec(
        "authentication",
        action,
        phrase,
        outcome,
        user="TargetUserName",
        domain="TargetDomainName",
    )


def _account_change(action: str, phrase: str) -> EventSpec:
    return EventSpec("iam", action, phrase, target="TargetUserName")


def _group_change(action: str, phrase: str, label: str) -> EventSpec:
    return EventSpec(
        "iam", action, phrase, target=MEMBER, object=GROUP, object_label=label
    )


def _session(action: str, phrase: str) -> EventSpec:
    return EventSpec(
        "authentication",
        action,
        phrase,
        user="AccountName",
        domain="AccountDomain",
        object="SessionName",
    )


def _kerberos(phrase: str, outcome: str, **fields: str | None) -> EventSpec:
    return EventSpec(
        "authentication",
        "credential-validation",
        phrase,
        outcome,
        user="TargetUserName",
        **fields,
    )


EVENT_SPECS: dict[str, EventSpec] = {
    # Logons, logoffs and credential checks.
    "4624": _logon("logon", "logon"),
    "4625": _logon("logon-failed", "failed logon", "failure"),
    "4634": _logon("logoff", "logoff"),
    "4647": _logon("logoff", "user-initiated logoff"),
    "4648": EventSpec(
        "authentication",
        "logon-explicit",
        "logon with explicit credentials of",
        target="TargetUserName",
        object="TargetServerName",
        object_label="to",
    ),
    "4672": EventSpec(
        "authentication",
        "privileged-logon",
        "special privileges",
        object=PRIVILEGES,
        user_label="for",
    ),
    "4776": _kerberos(
        "NTLM credential validation", STATUS, domain=None, user_label="for"
    ),
    "4771": _kerberos(
        "Kerberos pre-authentication failed", "failure", domain=None, user_label="for"
    ),
    "4768": _kerberos(
        "Kerberos TGT request", STATUS, domain="TargetDomainName", user_label="for"
    ),
    "4769": _kerberos(
        "Kerberos service ticket request",
        STATUS,
        domain="TargetDomainName",
        object="ServiceName",
        object_label="for service",
    ),
    "4778": _session("session-reconnect", "reconnected session"),
    "4779": _session("logoff", "disconnected session"),
    "4740": EventSpec(
        "authentication",
        "account-locked",
        "account locked out",
        user="TargetUserName",
        domain=None,
        user_label="for",
        detail="TargetDomainName",
        detail_label="caller computer",
    ),
    # Accounts and groups: the subject acts on the target account.
    "4720": _account_change("user-created", "created user"),
    "4722": _account_change("user-enabled", "enabled user"),
    "4723": _account_change("password-change", "changed password of"),
    "4724": _account_change("password-reset", "reset password of"),
    "4725": _account_change("user-disabled", "disabled user"),
    "4726": _account_change("user-deleted", "deleted user"),
    "4738": _account_change("user-changed", "changed user"),
    "4727": EventSpec("iam", "group-created", "created group", object=GROUP),
    "4731": EventSpec("iam", "group-created", "created group", object=GROUP),
    "4754": EventSpec("iam", "group-created", "created group", object=GROUP),
    "4728": _group_change("group-member-added", "added", "to group"),
    "4732": _group_change("group-member-added", "added", "to group"),
    "4756": _group_change("group-member-added", "added", "to group"),
    "4729": _group_change("group-member-removed", "removed", "from group"),
    "4733": _group_change("group-member-removed", "removed", "from group"),
    "4757": _group_change("group-member-removed", "removed", "from group"),
    # Object access.
    "4663": EventSpec(
        "file",
        "file-access",
        "accessed",
        object="ObjectName",
        detail="ProcessName",
        detail_label="process",
        access_mask=True,
    ),
    "5140": EventSpec("file", "share-access", "accessed share", object="ShareName"),
    "5145": EventSpec(
        "file", "share-access", "accessed", object=SHARE_PATH, access_mask=True
    ),
    # The audit trail itself.
    "1102": EventSpec(
        "audit",
        "log-clear",
        "cleared log",
        object=CLEARED_LOG,
        provider="Microsoft-Windows-Eventlog",
    ),
    "104": EventSpec(
        "audit",
        "log-clear",
        "cleared log",
        object=CLEARED_LOG,
        provider="Microsoft-Windows-Eventlog",
    ),
    # Processes, services and devices.
    "4688": EventSpec(
        "process",
        "process-start",
        "started process",
        object="NewProcessName",
        detail="CommandLine",
        detail_label="command line",
    ),
    "4697": EventSpec(
        "process",
        "service-install",
        "installed service",
        object="ServiceName",
        detail="ServiceFileName",
        detail_label="image",
    ),
    "7045": EventSpec(
        "process",
        "service-install",
        "installed service",
        user="UserID",
        domain=None,
        object="ServiceName",
        detail="ImagePath",
        detail_label="image",
        provider="Service Control Manager",
    ),
    "6416": EventSpec(
        "device",
        "usb-mount",
        "new external device",
        object=DEVICE,
        detail="ClassName",
        detail_label="class",
    ),
}

# Mapping of events missing from EVENT_SPECS: the account is the subject,
# else the target, else AccountName.
GENERIC_SPEC = EventSpec(
    "other", "other", "", "unknown", user=GENERIC_USER, domain=GENERIC_DOMAIN
)

# Message verbs of the actions that AccessMask selects.
ACCESS_PHRASES = {
    "file-read": "read",
    "file-write": "wrote",
    "file-delete": "deleted",
    "usb-copy": "wrote to removable storage",
}


def check_vocabulary() -> None:
    """Raise ValueError if a spec uses a category or action outside the vocabulary."""
    for code, spec in {**EVENT_SPECS, "generic": GENERIC_SPEC}.items():
        if spec.category not in CATEGORIES:
            raise ValueError(f"event {code}: unknown category {spec.category!r}")
        allowed = ACTIONS.get(spec.category, ()) + ("other",)
        if spec.action not in allowed:
            raise ValueError(f"event {code}: unknown action {spec.action!r}")


check_vocabulary()


def _spec_table() -> pl.DataFrame:
    rows = [
        {"event_code": code, **{f"spec_{k}": v for k, v in asdict(spec).items()}}
        for code, spec in EVENT_SPECS.items()
    ]
    schema = {"event_code": pl.String}
    for name, value in asdict(GENERIC_SPEC).items():
        schema[f"spec_{name}"] = pl.Boolean if isinstance(value, bool) else pl.String
    return pl.DataFrame(rows, schema=schema)


SPEC_TABLE = _spec_table()
SPEC_COLUMNS = [name for name in SPEC_TABLE.columns if name != "event_code"]


def field_names(attribute: str) -> list[str]:
    """List the field names that specs use for `attribute` ("user", "object", ...)."""
    specs = [*EVENT_SPECS.values(), GENERIC_SPEC]
    return sorted({getattr(spec, attribute) for spec in specs} - {None})
