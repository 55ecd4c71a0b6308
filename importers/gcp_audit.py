"""Google Cloud audit logs: LogEntry objects with an AuditLog protoPayload.

Cloud Logging exports (``gcloud logging read --format=json`` arrays, sinks
to Cloud Storage or Pub/Sub as JSON Lines) hold one LogEntry per record.
``timestamp`` is RFC 3339 UTC. The principal's e-mail is the user (the
principal subject for workload identities, which have no e-mail), the
status code decides the outcome (absent or 0 is success) and the method
name is the event code.
"""

from __future__ import annotations

import re

import polars as pl

from importers.base import (
    ImportBatch,
    ImportOptions,
    ImportReport,
)
from importers.cloudfields import (
    account,
    check_table,
    classify,
    clean,
    finish_batch,
    ip_address,
    message,
    outcome_from,
)
from importers.json_importer import (
    JsonDocumentImporter,
    decode_records,
    starts_like_json,
)
from importers.jsonfields import JsonFields
from importers.registry import register

BINDING_DELTAS = pl.List(
    pl.Struct({"action": pl.String, "role": pl.String, "member": pl.String})
)
ENTRY = JsonFields(
    {
        "timestamp": pl.String,
        "protoPayload.serviceName": pl.String,
        "protoPayload.methodName": pl.String,
        "protoPayload.resourceName": pl.String,
        "protoPayload.authenticationInfo.principalEmail": pl.String,
        "protoPayload.authenticationInfo.principalSubject": pl.String,
        "protoPayload.requestMetadata.callerIp": pl.String,
        "protoPayload.requestMetadata.callerSuppliedUserAgent": pl.String,
        "protoPayload.status.code": pl.String,
        "protoPayload.status.message": pl.String,
        "protoPayload.request.name": pl.String,
        "protoPayload.serviceData.policyDelta.bindingDeltas": BINDING_DELTAS,
    }
)

# Keyed by the full method name, or by its last dotted part for methods that
# several services share (SetIamPolicy) or that logs write without the
# package prefix (GenerateAccessToken).
METHODS = check_table(
    {
        "GenerateAccessToken": ("authentication", "logon-explicit"),
        "GenerateIdToken": ("authentication", "logon-explicit"),
        "SignBlob": ("authentication", "logon-explicit"),
        "SignJwt": ("authentication", "logon-explicit"),
        "google.login.LoginService.loginSuccess": ("authentication", "logon"),
        "google.login.LoginService.loginFailure": ("authentication", "logon-failed"),
        "CreateServiceAccount": ("iam", "user-created"),
        "DeleteServiceAccount": ("iam", "user-deleted"),
        "DisableServiceAccount": ("iam", "user-disabled"),
        "EnableServiceAccount": ("iam", "user-enabled"),
        "CreateServiceAccountKey": ("iam", "access-key-created"),
        "UploadServiceAccountKey": ("iam", "access-key-created"),
        "CreateHmacKey": ("iam", "access-key-created"),
        "SetIamPolicy": ("iam", "privilege-grant"),
        "storage.setIamPermissions": ("iam", "privilege-grant"),
        "storage.objects.get": ("file", "file-download"),
        "storage.objects.create": ("file", "file-upload"),
        "storage.objects.delete": ("file", "file-delete"),
        "storage.objects.list": ("file", "list"),
        "storage.buckets.list": ("file", "list"),
        "AccessSecretVersion": ("file", "file-read"),
        "DeleteSink": ("audit", "log-clear"),
        "DeleteLog": ("audit", "log-clear"),
        "UpdateSink": ("audit", "audit-policy-change"),
        "CreateExclusion": ("audit", "audit-policy-change"),
        "UpdateExclusion": ("audit", "audit-policy-change"),
    },
    "gcp_audit.METHODS",
)

# Category of the methods METHODS does not name, by serviceName.
SERVICE_CATEGORIES = {
    "storage.googleapis.com": "file",
    "iam.googleapis.com": "iam",
    "iamcredentials.googleapis.com": "iam",
    "cloudresourcemanager.googleapis.com": "iam",
    "logging.googleapis.com": "audit",
    "login.googleapis.com": "authentication",
}

MAPPING = {
    "timestamp": "timestamp",
    "event_code": "protoPayload.methodName",
    "user_name": "protoPayload.authenticationInfo.principalEmail (principalSubject)",
    "target_user": "serviceData.policyDelta.bindingDeltas member, or the "
    "service account in request.name",
    "source_ip": "protoPayload.requestMetadata.callerIp",
    "user_agent": "protoPayload.requestMetadata.callerSuppliedUserAgent",
    "object": "protoPayload.resourceName",
    "event_outcome": "protoPayload.status.code (absent or 0: success)",
}

_AUDIT_LOG = re.compile(r"type\.googleapis\.com/google\.cloud\.audit\.AuditLog")


@register
class GcpAuditImporter(JsonDocumentImporter):
    """Google Cloud audit log entries (Admin Activity, Data Access, System)."""

    mapping = MAPPING
    name = "gcp-audit"
    description = "Google Cloud audit logs (LogEntry JSON)"

    def sniff(self, head: bytes, text: str | None) -> float:
        if not starts_like_json(text):
            return 0.0
        if '"protoPayload"' in text and (
            _AUDIT_LOG.search(text) or "cloudaudit.googleapis.com" in text
        ):
            return 0.9
        return 0.0

    def events(
        self, records: pl.DataFrame, options: ImportOptions, report: ImportReport
    ) -> ImportBatch:
        return _events(records, options, report)


def _events(
    records: pl.DataFrame, options: ImportOptions, report: ImportReport
) -> ImportBatch:
    frame, errors = decode_records(ENTRY, records)
    time_raw = clean(pl.col("timestamp"))
    mapped = frame.select(
        "record_ref",
        "original",
        time_raw.alias("time_raw"),
        *_event_columns(),
    )
    return finish_batch(
        mapped,
        errors,
        report,
        time_field="timestamp",
        tz=options.tz,
        unmarked_is_utc=False,
        assumed_note="Google Cloud times without an offset were read in the tz option "
        "(UTC by default)",
    )


def _classified(method: pl.Expr, failed: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Return category and action, by full method name, then by its last part."""
    service = clean(pl.col("protoPayload.serviceName"))
    full_category, full_action = classify(method, METHODS)
    short = method.str.extract(r"([^.]+)$", 1)
    short_category, short_action = classify(short, METHODS)
    category = pl.coalesce(
        full_category,
        short_category,
        service.replace_strict(SERVICE_CATEGORIES, default="other"),
    )
    action = pl.coalesce(full_action, short_action, pl.lit("other"))

    # A policy change that only removes bindings takes privileges away.
    deltas = pl.col("protoPayload.serviceData.policyDelta.bindingDeltas")
    element = pl.element()
    added = deltas.list.eval(element.struct.field("action") == "ADD").list.any()
    removed = deltas.list.eval(element.struct.field("action") == "REMOVE").list.any()
    action = (
        pl.when((action == "privilege-grant") & removed & ~added)
        .then(pl.lit("privilege-revoke"))
        .when(failed & (action == "logon"))
        .then(pl.lit("logon-failed"))
        .otherwise(action)
    )
    return category, action


def _target_user() -> pl.Expr:
    """Return the first policy member, or the impersonated service account."""
    deltas = pl.col("protoPayload.serviceData.policyDelta.bindingDeltas")
    member = deltas.list.first().struct.field("member")
    # Members are written "user:ann@example.com", "serviceAccount:...".
    request_name = pl.col("protoPayload.request.name")
    target = pl.coalesce(
        member.str.replace(r"^[A-Za-z]+:", ""),
        request_name.str.extract(r"serviceAccounts/([^/@]+@[^/]+)$", 1),
    )
    return account(target)[0]


def _event_columns() -> list[pl.Expr]:
    col = pl.col
    method = clean(col("protoPayload.methodName"))
    code = clean(col("protoPayload.status.code"))
    failed = code.is_not_null() & (code != "0")
    category, action = _classified(method, failed)
    user_name, user_domain = account(
        pl.coalesce(
            clean(col("protoPayload.authenticationInfo.principalEmail")),
            clean(col("protoPayload.authenticationInfo.principalSubject")),
        )
    )
    object_ = clean(col("protoPayload.resourceName"))
    failure = pl.concat_str(
        pl.lit("failed:"),
        clean(col("protoPayload.status.message")).fill_null(code),
        separator=" ",
    )

    return [
        method.alias("event_code"),
        category.alias("event_category"),
        action.alias("event_action"),
        outcome_from(pl.lit(True), failed).alias("event_outcome"),
        user_name.alias("user_name"),
        user_domain.alias("user_domain"),
        _target_user().alias("target_user"),
        ip_address(col("protoPayload.requestMetadata.callerIp")).alias("source_ip"),
        clean(col("protoPayload.requestMetadata.callerSuppliedUserAgent")).alias(
            "user_agent"
        ),
        object_.alias("object"),
        message(method, object_, pl.when(failed).then(failure)).alias("message"),
    ]
