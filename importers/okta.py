"""Okta System Log events as JSON.

The System Log API returns JSON arrays of events; exports and SIEM
forwarders write one event per line, and single events are often saved
pretty-printed. ``published`` is UTC with a "Z". The actor's alternateId
(usually the login e-mail) is the user; targets of type User give
target_user and the first other target (application, group) the object.
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

TARGET_LIST = pl.List(
    pl.Struct({"type": pl.String, "alternateId": pl.String, "displayName": pl.String})
)
EVENT = JsonFields(
    {
        "published": pl.String,
        "eventType": pl.String,
        "displayMessage": pl.String,
        "outcome.result": pl.String,
        "outcome.reason": pl.String,
        "actor.alternateId": pl.String,
        "actor.displayName": pl.String,
        "client.ipAddress": pl.String,
        "client.userAgent.rawUserAgent": pl.String,
        "client.geographicalContext.country": pl.String,
        "client.geographicalContext.city": pl.String,
        "target": TARGET_LIST,
    }
)

EVENT_TYPES = check_table(
    {
        "user.session.start": ("authentication", "logon"),
        "user.session.end": ("authentication", "logoff"),
        "user.session.access_admin_app": ("authentication", "privileged-logon"),
        "user.authentication.sso": ("authentication", "logon"),
        "user.authentication.auth_via_IDP": ("authentication", "logon"),
        "user.authentication.auth_via_social": ("authentication", "logon"),
        "user.authentication.auth_via_radius": ("authentication", "logon"),
        "user.authentication.authenticate": ("authentication", "credential-validation"),
        "user.authentication.verify": ("authentication", "credential-validation"),
        "user.authentication.auth_via_mfa": ("authentication", "mfa"),
        "user.mfa.okta_verify.deny_push": ("authentication", "mfa"),
        "user.account.lock": ("authentication", "account-locked"),
        "user.account.lock.limit": ("authentication", "account-locked"),
        "group.user_membership.add": ("iam", "group-member-added"),
        "group.user_membership.remove": ("iam", "group-member-removed"),
        "user.account.privilege.grant": ("iam", "privilege-grant"),
        "user.account.privilege.revoke": ("iam", "privilege-revoke"),
        "group.privilege.grant": ("iam", "privilege-grant"),
        "group.privilege.revoke": ("iam", "privilege-revoke"),
        "app.user_membership.add": ("iam", "privilege-grant"),
        "app.user_membership.remove": ("iam", "privilege-revoke"),
        "user.lifecycle.create": ("iam", "user-created"),
        "user.lifecycle.delete.initiated": ("iam", "user-deleted"),
        "user.lifecycle.delete.completed": ("iam", "user-deleted"),
        "user.lifecycle.deactivate": ("iam", "user-disabled"),
        "user.lifecycle.suspend": ("iam", "user-disabled"),
        "user.lifecycle.activate": ("iam", "user-enabled"),
        "user.lifecycle.reactivate": ("iam", "user-enabled"),
        "user.lifecycle.unsuspend": ("iam", "user-enabled"),
        "user.account.update_profile": ("iam", "user-changed"),
        "user.account.reset_password": ("iam", "password-reset"),
        "user.account.update_password": ("iam", "password-change"),
        "group.lifecycle.create": ("iam", "group-created"),
        "system.api_token.create": ("iam", "access-key-created"),
        "policy.lifecycle.update": ("configuration", "policy-change"),
        "policy.rule.update": ("configuration", "policy-change"),
    },
    "okta.EVENT_TYPES",
)

# Category of the event types EVENT_TYPES does not name, by prefix.
PREFIX_CATEGORIES = (
    ("user.authentication.", "authentication"),
    ("user.session.", "authentication"),
    ("user.mfa.", "authentication"),
    ("user.lifecycle.", "iam"),
    ("user.account.", "iam"),
    ("group.", "iam"),
    ("app.user_membership.", "iam"),
    ("policy.", "configuration"),
    ("system.", "configuration"),
)

MAPPING = {
    "timestamp": "published",
    "event_code": "eventType",
    "event_outcome": "outcome.result",
    "user_name": "actor.alternateId",
    "target_user": "target[] of type User: alternateId",
    "object": "target[]: first AppInstance, UserGroup or other displayName",
    "source_ip": "client.ipAddress",
    "source_country": "client.geographicalContext.country",
    "source_city": "client.geographicalContext.city",
    "user_agent": "client.userAgent.rawUserAgent",
}

_EVENT_TYPE = re.compile(r'"eventType"\s*:\s*"[a-z_]+(?:\.[A-Za-z_]+)+"')


@register
class OktaImporter(JsonDocumentImporter):
    """Okta System Log events (API arrays, JSON Lines, single events)."""

    mapping = MAPPING
    name = "okta"
    description = "Okta System Log (JSON)"

    def sniff(self, head: bytes, text: str | None) -> float:
        if not starts_like_json(text):
            return 0.0
        if _EVENT_TYPE.search(text) and '"published"' in text and '"actor"' in text:
            return 0.9
        return 0.0

    def events(
        self, records: pl.DataFrame, options: ImportOptions, report: ImportReport
    ) -> ImportBatch:
        return _events(records, options, report)


def _events(
    records: pl.DataFrame, options: ImportOptions, report: ImportReport
) -> ImportBatch:
    frame, errors = decode_records(EVENT, records)
    time_raw = clean(pl.col("published"))
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
        time_field="published",
        tz=options.tz,
        unmarked_is_utc=False,
        assumed_note="Okta times without an offset were read in the tz option "
        "(UTC by default)",
    )


def _target(kind: str | None, field: str = "displayName") -> pl.Expr:
    """Return `field` of the first target of type `kind`, or of any type other
    than User when `kind` is None."""
    element = pl.element()
    kinds = element.struct.field("type")
    matches = kinds != "User" if kind is None else kinds == kind
    targets = pl.col("target").list.eval(element.filter(matches).struct.field(field))
    return clean(targets.list.first())


def _classified(event_type: pl.Expr, failed: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Return category and action: by event type, else category by prefix."""
    category, action = classify(event_type, EVENT_TYPES)
    prefix_category = pl.lit(None, dtype=pl.String)
    for prefix, name in reversed(PREFIX_CATEGORIES):
        prefix_category = (
            pl.when(event_type.str.starts_with(prefix))
            .then(pl.lit(name))
            .otherwise(prefix_category)
        )
    action = pl.coalesce(action, pl.lit("other"))
    action = (
        pl.when(failed & (action == "logon"))
        .then(pl.lit("logon-failed"))
        .otherwise(action)
    )
    return pl.coalesce(category, prefix_category, pl.lit("other")), action


def _event_columns() -> list[pl.Expr]:
    col = pl.col
    event_type = clean(col("eventType"))
    result = clean(col("outcome.result")).str.to_uppercase()
    failed = result.is_in(["FAILURE", "DENY"])
    category, action = _classified(event_type, failed)
    user_name, user_domain = account(col("actor.alternateId"))
    target_user = account(_target("User", "alternateId"))[0]
    object_ = pl.coalesce(_target("AppInstance"), _target("UserGroup"), _target(None))
    failure = pl.concat_str(
        pl.lit("failed:"), clean(col("outcome.reason")), separator=" "
    )

    return [
        event_type.alias("event_code"),
        category.alias("event_category"),
        action.alias("event_action"),
        outcome_from(result.is_in(["SUCCESS", "ALLOW"]), failed).alias("event_outcome"),
        user_name.alias("user_name"),
        user_domain.alias("user_domain"),
        target_user.alias("target_user"),
        ip_address(col("client.ipAddress")).alias("source_ip"),
        clean(col("client.geographicalContext.country")).alias("source_country"),
        clean(col("client.geographicalContext.city")).alias("source_city"),
        clean(col("client.userAgent.rawUserAgent")).alias("user_agent"),
        object_.alias("object"),
        message(
            clean(col("displayMessage")).fill_null(event_type),
            object_,
            pl.when(failed).then(failure),
        ).alias("message"),
    ]
