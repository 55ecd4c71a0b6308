"""AWS CloudTrail records: S3 delivery files, JSON Lines and lookup-events output.

Accepted layouts (any of them gzipped):

- the ``{"Records": [...]}`` object CloudTrail writes to S3;
- JSON Lines with one record per line, including Logstash output where
  ``@timestamp`` replaces ``eventTime``;
- a single pretty-printed record;
- ``aws cloudtrail lookup-events`` output saved as JSON Lines: top-level
  EventId, EventName, EventTime (local time with an offset) and the full
  record as a JSON string in CloudTrailEvent.

CloudTrail writes eventTime in UTC with a "Z". The user is taken from
userIdentity by its type, and the AWS account id goes to user_domain; the
full ARN stays in the original record.
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
from importers.json_importer import JsonDocumentImporter
from importers.jsondoc import one_line
from importers.jsonfields import JsonFields
from importers.registry import register

RECORD_PATHS = (
    "eventTime",
    "@timestamp",
    "eventSource",
    "eventName",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "recipientAccountId",
    "userIdentity.type",
    "userIdentity.userName",
    "userIdentity.arn",
    "userIdentity.accountId",
    "userIdentity.principalId",
    "userIdentity.invokedBy",
    "userIdentity.onBehalfOf.userId",
    "requestParameters.bucketName",
    "requestParameters.key",
    "requestParameters.userName",
    "requestParameters.secretId",
    "requestParameters.roleArn",
    "requestParameters.policyArn",
    "requestParameters.groupName",
    "requestParameters.roleName",
    "requestParameters.logGroupName",
    "requestParameters.name",
    "responseElements.ConsoleLogin",
    "serviceEventDetails.CredentialChallenge",
    "serviceEventDetails.CredentialVerification",
    "additionalEventData.bytesTransferredOut",
    "additionalEventData.bytesTransferredIn",
    "additionalEventData.UserName",
)
# Top-level fields of `aws cloudtrail lookup-events` output.
LOOKUP_PATHS = ("EventTime", "EventName", "EventSource", "Username", "CloudTrailEvent")
OUTER = JsonFields(RECORD_PATHS + LOOKUP_PATHS)
RECORD = JsonFields(RECORD_PATHS)

ACTIONS = check_table(
    {
        "ConsoleLogin": ("authentication", "logon"),
        "UserAuthentication": ("authentication", "logon"),
        "CredentialChallenge": ("authentication", "credential-validation"),
        "CredentialVerification": ("authentication", "credential-validation"),
        "CheckMfa": ("authentication", "mfa"),
        "SwitchRole": ("authentication", "logon-explicit"),
        "AssumeRole": ("authentication", "logon-explicit"),
        "AssumeRoleWithSAML": ("authentication", "logon-explicit"),
        "AssumeRoleWithWebIdentity": ("authentication", "logon-explicit"),
        "GetObject": ("file", "file-download"),
        "PutObject": ("file", "file-upload"),
        "CompleteMultipartUpload": ("file", "file-upload"),
        "CopyObject": ("file", "file-write"),
        "HeadObject": ("file", "file-access"),
        "DeleteObject": ("file", "file-delete"),
        "DeleteObjects": ("file", "file-delete"),
        "ListBuckets": ("file", "list"),
        "ListBucket": ("file", "list"),
        "ListObjects": ("file", "list"),
        "ListObjectsV2": ("file", "list"),
        "ListObjectVersions": ("file", "list"),
        # These calls can open a bucket or object to other accounts or to
        # everyone, so they count as sharing.
        "PutBucketAcl": ("file", "file-share"),
        "PutObjectAcl": ("file", "file-share"),
        "PutBucketPolicy": ("file", "file-share"),
        "DeleteBucketPolicy": ("configuration", "policy-change"),
        "PutBucketPublicAccessBlock": ("configuration", "policy-change"),
        "DeleteBucketPublicAccessBlock": ("configuration", "policy-change"),
        "GetSecretValue": ("file", "file-read"),
        "GetPasswordData": ("file", "file-read"),
        "CreateUser": ("iam", "user-created"),
        "DeleteUser": ("iam", "user-deleted"),
        "CreateLoginProfile": ("iam", "password-reset"),
        "UpdateLoginProfile": ("iam", "password-reset"),
        "ChangePassword": ("iam", "password-change"),
        "CreateGroup": ("iam", "group-created"),
        "AddUserToGroup": ("iam", "privilege-grant"),
        "RemoveUserFromGroup": ("iam", "privilege-revoke"),
        "AttachUserPolicy": ("iam", "privilege-grant"),
        "PutUserPolicy": ("iam", "privilege-grant"),
        "AttachGroupPolicy": ("iam", "privilege-grant"),
        "PutGroupPolicy": ("iam", "privilege-grant"),
        "AttachRolePolicy": ("iam", "privilege-grant"),
        "PutRolePolicy": ("iam", "privilege-grant"),
        "UpdateAssumeRolePolicy": ("iam", "privilege-grant"),
        "CreatePolicyVersion": ("iam", "privilege-grant"),
        "SetDefaultPolicyVersion": ("iam", "privilege-grant"),
        "DetachUserPolicy": ("iam", "privilege-revoke"),
        "DeleteUserPolicy": ("iam", "privilege-revoke"),
        "DetachGroupPolicy": ("iam", "privilege-revoke"),
        "DeleteGroupPolicy": ("iam", "privilege-revoke"),
        "DetachRolePolicy": ("iam", "privilege-revoke"),
        "DeleteRolePolicy": ("iam", "privilege-revoke"),
        "CreateAccessKey": ("iam", "access-key-created"),
        "StopLogging": ("audit", "log-clear"),
        "DeleteTrail": ("audit", "log-clear"),
        "DeleteFlowLogs": ("audit", "log-clear"),
        "DeleteLogGroup": ("audit", "log-clear"),
        "DeleteLogStream": ("audit", "log-clear"),
        "UpdateTrail": ("audit", "audit-policy-change"),
        "PutEventSelectors": ("audit", "audit-policy-change"),
    },
    "cloudtrail.ACTIONS",
)

# Category of the calls ACTIONS does not name, by the service prefix of
# eventSource ("s3" of "s3.amazonaws.com"). Other services get "other".
SERVICE_CATEGORIES = {
    "s3": "file",
    "iam": "iam",
    "identitystore": "iam",
    "organizations": "iam",
    "sts": "authentication",
    "signin": "authentication",
    "sso": "authentication",
    "cloudtrail": "audit",
}

MAPPING = {
    "timestamp": "eventTime (@timestamp for Logstash output)",
    "event_code": "eventSource:eventName",
    "user_name": "userIdentity (by type)",
    "user_domain": "userIdentity.accountId",
    "target_user": "requestParameters.userName",
    "source_ip": "sourceIPAddress",
    "user_agent": "userAgent",
    "object": "requestParameters bucketName/key, secretId, role, policy or name",
    "bytes": "additionalEventData.bytesTransferredOut (In for uploads)",
    "event_outcome": "errorCode, responseElements.ConsoleLogin",
}

_AMAZON_SOURCE = re.compile(
    r'"(?:eventSource|EventSource)"\s*:\s*"[\w.-]+\.amazonaws\.com"'
)
_RECORDS_START = re.compile(r'^\{\s*"Records"\s*:\s*\[')


@register
class CloudTrailImporter(JsonDocumentImporter):
    """AWS CloudTrail records in any of the layouts AWS and its tools write."""

    mapping = MAPPING
    name = "cloudtrail"
    description = "AWS CloudTrail (S3 delivery JSON, JSON Lines, lookup-events)"

    def sniff(self, head: bytes, text: str | None) -> float:
        if text is None:
            return 0.0
        start = text.lstrip("\ufeff \t\r\n")
        if not start.startswith(("{", "[")):
            return 0.0
        if _AMAZON_SOURCE.search(text) and re.search(
            r'"(?:eventName|EventName)"', text
        ):
            return 0.9
        if _RECORDS_START.match(start):
            return 0.6  # an S3 delivery file, perhaps with no records
        return 0.0

    def events(
        self, records: pl.DataFrame, options: ImportOptions, report: ImportReport
    ) -> ImportBatch:
        outer, errors = OUTER.decode(records.get_column("json"))
        # A lookup-events record nests the CloudTrail record as JSON text.
        inner_text = outer.select(
            one_line(pl.col("CloudTrailEvent").fill_null("{}"))
        ).to_series()
        inner, inner_errors = RECORD.decode(inner_text)
        if inner_errors.is_not_null().any():
            report.note(
                "some CloudTrailEvent strings are not valid JSON; those records "
                "keep only the lookup-events fields"
            )
        merged = pl.concat(
            [
                outer.select(
                    pl.coalesce(inner[name], outer[name]).alias(name)
                    if name in inner.columns
                    else pl.col(name)
                    for name in outer.columns
                ),
                records.select("record_ref", "original"),
            ],
            how="horizontal",
        )
        frame = merged.select("record_ref", *_event_columns())
        return finish_batch(
            frame,
            errors,
            report,
            time_field="eventTime",
            tz=options.tz,
            unmarked_is_utc=False,
            assumed_note="CloudTrail times without an offset were read in the tz "
            "option (UTC by default)",
        )


def _event_columns() -> list[pl.Expr]:
    col = pl.col
    name = clean(col("eventName")).fill_null(clean(col("EventName")))
    event_source = clean(col("eventSource")).fill_null(clean(col("EventSource")))
    time_raw = pl.coalesce(
        clean(col("eventTime")), clean(col("@timestamp")), clean(col("EventTime"))
    )
    event_code = (
        pl.when(event_source.is_not_null())
        .then(pl.concat_str(event_source, pl.lit(":"), name))
        .otherwise(name)
    )

    status = pl.coalesce(
        col("responseElements.ConsoleLogin"),
        col("serviceEventDetails.CredentialChallenge"),
        col("serviceEventDetails.CredentialVerification"),
    )
    error_code = clean(col("errorCode"))
    failed = error_code.is_not_null() | (status == "Failure").fill_null(False)
    category, action = _classified(name, event_source, failed)
    failure = pl.concat_str(
        pl.lit("failed:"),
        pl.coalesce(error_code, clean(col("errorMessage")), status),
        separator=" ",
    )

    user_name, _ = account(_acting_user())
    user_domain = pl.coalesce(
        clean(col("userIdentity.accountId")), clean(col("recipientAccountId"))
    )
    object_ = _object()
    return [
        time_raw.alias("time_raw"),
        event_code.alias("event_code"),
        category.alias("event_category"),
        action.alias("event_action"),
        outcome_from(pl.lit(True), failed).alias("event_outcome"),
        user_name.alias("user_name"),
        user_domain.alias("user_domain"),
        account(col("requestParameters.userName"))[0].alias("target_user"),
        ip_address(col("sourceIPAddress")).alias("source_ip"),
        clean(col("userAgent")).alias("user_agent"),
        object_.alias("object"),
        _bytes().alias("bytes"),
        message(name, object_, pl.when(failed).then(failure)).alias("message"),
        col("original"),
    ]


def _classified(
    name: pl.Expr, event_source: pl.Expr, failed: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """Return category and action by eventName, else category by service."""
    category, action = classify(name, ACTIONS)
    service = event_source.str.extract(r"^([^.]+)\.amazonaws\.com$", 1)
    service_category = service.replace_strict(
        SERVICE_CATEGORIES, default="other", return_dtype=pl.String
    )
    action = (
        pl.when(failed & (action == "logon"))
        .then(pl.lit("logon-failed"))
        .otherwise(pl.coalesce(action, pl.lit("other")))
    )
    return pl.coalesce(category, service_category), action


def _acting_user() -> pl.Expr:
    """Name the principal of userIdentity by its type.

    IAMUser gives its userName, AssumedRole the role session name (the last
    part of the ARN), FederatedUser the federated name, Root "root",
    AWSService the calling service and IdentityCenterUser the sign-in name.
    """
    col = pl.col
    kind = col("userIdentity.type")
    arn = clean(col("userIdentity.arn"))
    invoked_by = clean(col("userIdentity.invokedBy"))
    fallback = pl.coalesce(
        clean(col("userIdentity.userName")),
        clean(col("Username")),
        clean(col("additionalEventData.UserName")),
        arn.str.extract(r"/([^/]+)$", 1),
        invoked_by,
        clean(col("userIdentity.principalId")),
        clean(col("userIdentity.accountId")),
    )
    return (
        pl.when(kind == "Root")
        .then(pl.lit("root"))
        .when(kind == "AssumedRole")
        .then(arn.str.extract(r"assumed-role/[^/]+/(.+)$", 1))
        .when(kind == "FederatedUser")
        .then(arn.str.extract(r"federated-user/(.+)$", 1))
        .when(kind == "AWSService")
        .then(invoked_by)
        .when(kind == "IdentityCenterUser")
        .then(
            pl.coalesce(
                clean(col("additionalEventData.UserName")),
                clean(col("userIdentity.onBehalfOf.userId")),
            )
        )
        .otherwise(fallback)
    )


def _object() -> pl.Expr:
    """Return bucket/key for S3 calls, else the secret, role, policy or name."""
    col = pl.col
    bucket = clean(col("requestParameters.bucketName"))
    s3_object = pl.when(bucket.is_not_null()).then(
        pl.concat_str(
            bucket,
            clean(col("requestParameters.key")),
            separator="/",
            ignore_nulls=True,
        )
    )
    return pl.coalesce(
        s3_object,
        clean(col("requestParameters.secretId")),
        clean(col("requestParameters.roleArn")),
        clean(col("requestParameters.policyArn")),
        clean(col("requestParameters.groupName")),
        clean(col("requestParameters.roleName")),
        clean(col("requestParameters.logGroupName")),
        clean(col("requestParameters.name")),
    )


def _bytes() -> pl.Expr:
    """Return bytes sent to the caller, or bytes received for uploads."""
    out = pl.col("additionalEventData.bytesTransferredOut").cast(
        pl.Float64, strict=False
    )
    into = pl.col("additionalEventData.bytesTransferredIn").cast(
        pl.Float64, strict=False
    )
    return pl.when(out > 0).then(out).otherwise(into).cast(pl.Int64, strict=False)
