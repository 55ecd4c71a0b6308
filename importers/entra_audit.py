"""Entra ID audit records: activity names and the nested initiatedBy,
targetResources and additionalDetails values, mapped onto the event schema."""

from __future__ import annotations

import polars as pl

from importers.cloudfields import (
    account,
    check_table,
    classify,
    clean,
    first_text,
    first_where,
    ip_address,
    message,
    outcome_from,
)
from importers.jsonfields import JsonFields

AUDIT_PATHS = (
    "ActivityDisplayName",
    "ActivityDateTime",
    "Result",
    "InitiatedBy",
    "TargetResources",
    "AdditionalDetails",
    "InitiatingUserOrApp",
    "activityDisplayName",
    "activityDateTime",
    "result",
    "initiatedBy",
    "targetResources",
    "additionalDetails",
    "properties.activityDisplayName",
    "properties.activityDateTime",
    "properties.result",
    "properties.initiatedBy",
    "properties.targetResources",
    "properties.additionalDetails",
)
INITIATED_BY = JsonFields(
    (
        "user.userPrincipalName",
        "user.ipAddress",
        "app.servicePrincipalName",
        "app.displayName",
    )
)
TARGETS = JsonFields(
    {
        "items": pl.List(
            pl.Struct(
                {
                    "type": pl.String,
                    "displayName": pl.String,
                    "userPrincipalName": pl.String,
                }
            )
        )
    }
)
DETAILS = JsonFields(
    {"items": pl.List(pl.Struct({"key": pl.String, "value": pl.String}))}
)

# Audit activities, with any en dash written as "-" and spaces trimmed.
ACTIVITIES = check_table(
    {
        "Add member to role": ("iam", "privilege-grant"),
        "Add eligible member to role": ("iam", "privilege-grant"),
        "Add scoped member to role": ("iam", "privilege-grant"),
        "Add member to role completed (PIM activation)": ("iam", "privilege-grant"),
        "Remove member from role": ("iam", "privilege-revoke"),
        "Remove eligible member from role": ("iam", "privilege-revoke"),
        "Add delegated permission grant": ("iam", "privilege-grant"),
        "Add app role assignment to service principal": ("iam", "privilege-grant"),
        "Add app role assignment grant to user": ("iam", "privilege-grant"),
        "Consent to application": ("iam", "privilege-grant"),
        "Add owner to application": ("iam", "privilege-grant"),
        "Add owner to service principal": ("iam", "privilege-grant"),
        "Update application - Certificates and secrets management": (
            "iam",
            "access-key-created",
        ),
        "Add service principal credentials": ("iam", "access-key-created"),
        "Add user": ("iam", "user-created"),
        "Invite external user": ("iam", "user-created"),
        "Delete user": ("iam", "user-deleted"),
        "Update user": ("iam", "user-changed"),
        "Disable account": ("iam", "user-disabled"),
        "Enable account": ("iam", "user-enabled"),
        "Reset user password": ("iam", "password-reset"),
        "Reset password (by admin)": ("iam", "password-reset"),
        "Change user password": ("iam", "password-change"),
        "Change password (self-service)": ("iam", "password-change"),
        "Add group": ("iam", "group-created"),
        "Add member to group": ("iam", "group-member-added"),
        "Remove member from group": ("iam", "group-member-removed"),
        "Add conditional access policy": ("configuration", "policy-change"),
        "Update conditional access policy": ("configuration", "policy-change"),
        "Delete conditional access policy": ("configuration", "policy-change"),
    },
    "entra.ACTIVITIES",
)


def with_audit_details(frame: pl.DataFrame) -> pl.DataFrame:
    """Decode initiatedBy, targetResources and additionalDetails, which come
    as JSON text (Log Analytics) or as JSON values (the other shapes)."""

    def decode(fields: JsonFields, names: tuple[str, ...], wrap: bool) -> pl.DataFrame:
        text = first_text(*names)
        if wrap:
            text = pl.format('{{"items": {}}}', text)
        texts = frame.select(text.fill_null("{}")).to_series()
        return fields.decode(texts)[0]

    initiated = decode(
        INITIATED_BY, ("InitiatedBy", "properties.initiatedBy", "initiatedBy"), False
    )
    targets = decode(
        TARGETS,
        ("TargetResources", "properties.targetResources", "targetResources"),
        True,
    )
    details = decode(
        DETAILS,
        ("AdditionalDetails", "properties.additionalDetails", "additionalDetails"),
        True,
    )
    return pl.concat(
        [
            frame,
            initiated.rename(lambda name: f"initiated.{name}"),
            targets.rename({"items": "targets"}),
            details.rename({"items": "details"}),
        ],
        how="horizontal",
    )


def audit_columns() -> dict[str, pl.Expr]:
    activity = first_text(
        "properties.activityDisplayName",
        "activityDisplayName",
        "ActivityDisplayName",
        "OperationName",
        "operationName",
    )
    key = activity.str.replace_all("\u2013", "-").str.replace_all(r"\s+", " ")
    category, action = classify(key.str.strip_chars(), ACTIVITIES)
    result = first_text(
        "properties.result", "result", "Result", "resultType"
    ).str.to_lowercase()
    user_name, user_domain = account(
        first_text(
            "initiated.user.userPrincipalName",
            "initiated.app.servicePrincipalName",
            "initiated.app.displayName",
            "InitiatingUserOrApp",
            "identity",
        )
    )
    targets = pl.col("targets")
    target_user = first_where(targets, "type", "User", "userPrincipalName")
    element = pl.element()
    other_target = targets.list.eval(
        element.filter(element.struct.field("type") != "User").struct.field(
            "displayName"
        )
    ).list.first()
    object_ = pl.coalesce(
        clean(other_target),
        clean(targets.list.first().struct.field("displayName")),
    )
    return {
        "event_code": activity,
        "event_category": pl.coalesce(category, pl.lit("iam")),
        "event_action": pl.coalesce(action, pl.lit("other")),
        "event_outcome": outcome_from(
            result == "success", result.is_in(["failure", "failed"]).fill_null(False)
        ),
        "user_name": user_name,
        "user_domain": user_domain,
        "target_user": account(target_user)[0],
        "source_ip": ip_address(pl.col("initiated.user.ipAddress")),
        "source_country": pl.lit(None, dtype=pl.String),
        "source_city": pl.lit(None, dtype=pl.String),
        "host_name": pl.lit(None, dtype=pl.String),
        "user_agent": pl.coalesce(
            first_text("UserAgent"),
            clean(first_where(pl.col("details"), "key", "User-Agent", "value")),
        ),
        "object": object_,
        "message": message(activity, object_),
    }
