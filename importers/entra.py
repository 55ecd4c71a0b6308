"""Microsoft Entra ID (Azure AD) sign-in logs and audit logs as JSON.

Each record is read in whichever of three shapes it comes:

- Azure Monitor diagnostic settings (storage account, Event Hub): ``time``,
  ``category`` (SignInLogs, NonInteractiveUserSignInLogs,
  ServicePrincipalSignInLogs, ..., AuditLogs) and the details under
  ``properties``;
- Log Analytics tables exported as JSON (SigninLogs, AuditLogs):
  TimeGenerated, OperationName, and InitiatedBy or TargetResources as JSON
  text;
- Microsoft Graph ``signIns`` and ``directoryAudits`` objects, alone or in
  a ``{"value": [...]}`` page.

Sign-ins become authentication logon or logon-failed events (error code
other than 0); audit records become iam events named by their activity.
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
    clean,
    finish_batch,
    first_text,
    ip_address,
    message,
    outcome_from,
)
from importers.entra_audit import AUDIT_PATHS, audit_columns, with_audit_details
from importers.json_importer import (
    JsonDocumentImporter,
    decode_records,
    starts_like_json,
)
from importers.jsonfields import JsonFields
from importers.registry import register

# Sign-in fields: diagnostic settings (properties.*), Graph (top level) and
# Log Analytics (capitalised top level). "location" is text in diagnostic
# settings ("FR") and an object in Graph, so it is read as text here.
SIGN_IN_PATHS = (
    "time",
    "category",
    "operationName",
    "resultType",
    "resultDescription",
    "callerIpAddress",
    "identity",
    "location",
    "createdDateTime",
    "userPrincipalName",
    "servicePrincipalName",
    "appDisplayName",
    "ipAddress",
    "userAgent",
    "status.errorCode",
    "status.failureReason",
    "deviceDetail.displayName",
    "deviceDetail.browser",
    "deviceDetail.operatingSystem",
    "properties.createdDateTime",
    "properties.userPrincipalName",
    "properties.servicePrincipalName",
    "properties.appDisplayName",
    "properties.ipAddress",
    "properties.userAgent",
    "properties.status.errorCode",
    "properties.status.failureReason",
    "properties.location.countryOrRegion",
    "properties.location.city",
    "properties.deviceDetail.displayName",
    "properties.deviceDetail.browser",
    "properties.deviceDetail.operatingSystem",
    "TimeGenerated",
    "Category",
    "OperationName",
    "UserPrincipalName",
    "AppDisplayName",
    "IPAddress",
    "ResultType",
    "ResultDescription",
    "Location",
    "LocationDetails",
    "UserAgent",
)
RECORD = JsonFields(SIGN_IN_PATHS + AUDIT_PATHS)


MAPPING = {
    "timestamp": "time (TimeGenerated, createdDateTime, activityDateTime)",
    "event_code": "sign-in error code (0 is success); audit activity name",
    "user_name": "userPrincipalName or servicePrincipalName; audit: initiatedBy",
    "target_user": "audit: targetResources of type User",
    "source_ip": "ipAddress (callerIpAddress); audit: initiatedBy.user.ipAddress",
    "source_country": "location.countryOrRegion (code as written)",
    "source_city": "location.city",
    "host_name": "deviceDetail.displayName",
    "user_agent": "userAgent, else deviceDetail browser and operating system",
    "object": "appDisplayName; audit: targetResources displayName",
}

_SIGN_IN = re.compile(
    r'"(?:category|Category)"\s*:\s*"\w*SignInLogs"'
    r'|"operationName"\s*:\s*"Sign-in activity"'
    r'|"@odata\.context"\s*:\s*"[^"]*auditLogs/signIns'
)
_AUDIT = re.compile(
    r'"(?:Type|category|Category)"\s*:\s*"AuditLogs"'
    r'|"@odata\.context"\s*:\s*"[^"]*auditLogs/directoryAudits'
)


@register
class EntraImporter(JsonDocumentImporter):
    """Entra ID sign-in and audit records from Azure Monitor, Log Analytics, Graph."""

    mapping = MAPPING
    name = "entra"
    description = "Microsoft Entra ID (Azure AD) sign-in and audit logs (JSON)"

    def sniff(self, head: bytes, text: str | None) -> float:
        if not starts_like_json(text):
            return 0.0
        if _SIGN_IN.search(text) or _AUDIT.search(text):
            return 0.9
        if re.search(r'"(?:InitiatedBy|initiatedBy)"', text) and re.search(
            r'"(?:TargetResources|targetResources)"', text
        ):
            return 0.85
        return 0.0

    def events(
        self, records: pl.DataFrame, options: ImportOptions, report: ImportReport
    ) -> ImportBatch:
        return _events(records, options, report)


def _events(
    records: pl.DataFrame, options: ImportOptions, report: ImportReport
) -> ImportBatch:
    frame, errors = decode_records(RECORD, records)
    frame = with_audit_details(frame)
    time_raw = first_text(
        "time",
        "TimeGenerated",
        "properties.createdDateTime",
        "createdDateTime",
        "properties.activityDateTime",
        "activityDateTime",
        "ActivityDateTime",
    )
    category = first_text("category", "Category")
    operation = first_text("operationName", "OperationName")
    is_sign_in = (
        category.str.ends_with("SignInLogs").fill_null(False)
        | (operation == "Sign-in activity").fill_null(False)
        | (category.is_null() & first_text("createdDateTime").is_not_null())
    )
    sign_in = _sign_in_columns()
    audit = audit_columns()
    mapped = frame.select(
        "record_ref",
        "original",
        time_raw.alias("time_raw"),
        *(
            pl.when(is_sign_in).then(sign_in[name]).otherwise(audit[name]).alias(name)
            for name in sign_in
        ),
    )
    return finish_batch(
        mapped,
        errors,
        report,
        time_field="time",
        tz=options.tz,
        unmarked_is_utc=False,
        assumed_note="Entra ID times without an offset were read in the tz option "
        "(UTC by default)",
    )


def _sign_in_columns() -> dict[str, pl.Expr]:
    code = first_text(
        "properties.status.errorCode", "status.errorCode", "resultType", "ResultType"
    )
    failed = code.is_not_null() & (code != "0")
    user_name, user_domain = account(
        first_text(
            "properties.userPrincipalName",
            "userPrincipalName",
            "UserPrincipalName",
            "properties.servicePrincipalName",
            "servicePrincipalName",
            "identity",
        )
    )
    location = first_text("location")
    location_object = pl.when(location.str.starts_with("{")).then(location)
    country = pl.coalesce(
        clean(pl.col("properties.location.countryOrRegion")),
        clean(location_object.str.json_path_match("$.countryOrRegion")),
        pl.when(~location.str.starts_with("{")).then(location),
        first_text("Location"),
    )
    city = pl.coalesce(
        clean(pl.col("properties.location.city")),
        clean(location_object.str.json_path_match("$.city")),
        clean(first_text("LocationDetails").str.json_path_match("$.city")),
    )
    device = pl.concat_str(
        first_text("properties.deviceDetail.browser", "deviceDetail.browser"),
        first_text(
            "properties.deviceDetail.operatingSystem", "deviceDetail.operatingSystem"
        ),
        separator="; ",
        ignore_nulls=True,
    )
    app = first_text("properties.appDisplayName", "appDisplayName", "AppDisplayName")
    reason = first_text(
        "properties.status.failureReason",
        "status.failureReason",
        "resultDescription",
        "ResultDescription",
    )
    return {
        "event_code": code,
        "event_category": pl.lit("authentication"),
        "event_action": pl.when(failed)
        .then(pl.lit("logon-failed"))
        .otherwise(pl.lit("logon")),
        "event_outcome": outcome_from(code.is_not_null(), failed),
        "user_name": user_name,
        "user_domain": user_domain,
        "target_user": pl.lit(None, dtype=pl.String),
        "source_ip": pl.coalesce(
            ip_address(first_text("properties.ipAddress", "ipAddress", "IPAddress")),
            ip_address(pl.col("callerIpAddress")),
        ),
        "source_country": country,
        "source_city": city,
        "host_name": first_text(
            "properties.deviceDetail.displayName", "deviceDetail.displayName"
        ),
        "user_agent": pl.coalesce(
            first_text("properties.userAgent", "userAgent", "UserAgent"), clean(device)
        ),
        "object": app,
        "message": message(
            first_text("category", "Category").fill_null(pl.lit("sign-in")),
            app,
            pl.when(failed).then(
                pl.concat_str(pl.lit("failed:"), reason, separator=" ")
            ),
        ),
    }
