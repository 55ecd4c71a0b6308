"""Map Microsoft 365 unified audit log records onto the event schema.

The three export shapes (Purview CSV, Management Activity API JSON and the
Sentinel OfficeActivity table) are first brought to the field names of the
audit record itself (Operation, UserId, ClientIP, ObjectId, Parameters...);
`event_columns` then maps those fields for all of them.
"""

from __future__ import annotations

import polars as pl

from importers.cloudfields import (
    account,
    check_table,
    classify,
    clean,
    first_where,
    ip_address,
    message,
    outcome_from,
)

# Operation names without the trailing "." that Entra ID operations carry
# in the unified audit log ("Reset user password.").
OPERATIONS = check_table(
    {
        "FileDownloaded": ("file", "file-download"),
        "FileSyncDownloadedFull": ("file", "file-download"),
        "FileSyncDownloadedPartial": ("file", "file-download"),
        "FileUploaded": ("file", "file-upload"),
        "FileSyncUploadedFull": ("file", "file-upload"),
        "FileSyncUploadedPartial": ("file", "file-upload"),
        "FileAccessed": ("file", "file-access"),
        "FileAccessedExtended": ("file", "file-access"),
        "FilePreviewed": ("file", "file-access"),
        "AnonymousLinkUsed": ("file", "file-access"),
        "SecureLinkUsed": ("file", "file-access"),
        "FileModified": ("file", "file-write"),
        "FileModifiedExtended": ("file", "file-write"),
        "FileRenamed": ("file", "file-write"),
        "FileMoved": ("file", "file-write"),
        "FileCopied": ("file", "file-write"),
        "FileDeleted": ("file", "file-delete"),
        "FileRecycled": ("file", "file-delete"),
        "FileDeletedFirstStageRecycleBin": ("file", "file-delete"),
        "FileDeletedSecondStageRecycleBin": ("file", "file-delete"),
        "SharingSet": ("file", "file-share"),
        "SharingInvitationCreated": ("file", "file-share"),
        "AnonymousLinkCreated": ("file", "file-share"),
        "AnonymousLinkUpdated": ("file", "file-share"),
        "CompanyLinkCreated": ("file", "file-share"),
        "SecureLinkCreated": ("file", "file-share"),
        "AddedToSecureLink": ("file", "file-share"),
        "Send": ("email", "mail-send"),
        "SendAs": ("email", "mail-send"),
        "SendOnBehalf": ("email", "mail-send"),
        "New-InboxRule": ("email", "inbox-rule"),
        "Set-InboxRule": ("email", "inbox-rule"),
        "UpdateInboxRules": ("email", "inbox-rule"),
        "Add-MailboxPermission": ("email", "mailbox-permission"),
        "Add-RecipientPermission": ("email", "mailbox-permission"),
        "Add-MailboxFolderPermission": ("email", "mailbox-permission"),
        "MailItemsAccessed": ("email", "mailbox-access"),
        "MailboxLogin": ("authentication", "logon"),
        "UserLoggedIn": ("authentication", "logon"),
        "UserLoginFailed": ("authentication", "logon-failed"),
        "Reset user password": ("iam", "password-reset"),
        "Set force change user password": ("iam", "password-reset"),
        "Change user password": ("iam", "password-change"),
        "Add user": ("iam", "user-created"),
        "Delete user": ("iam", "user-deleted"),
        "Update user": ("iam", "user-changed"),
        "Disable account": ("iam", "user-disabled"),
        "Enable account": ("iam", "user-enabled"),
        "New-Mailbox": ("iam", "user-created"),
        "Remove-Mailbox": ("iam", "user-deleted"),
        "Set-User": ("iam", "user-changed"),
        "Add group": ("iam", "group-created"),
        "Add member to group": ("iam", "group-member-added"),
        "Remove member from group": ("iam", "group-member-removed"),
        "AddedToGroup": ("iam", "group-member-added"),
        "Add member to role": ("iam", "privilege-grant"),
        "Remove member from role": ("iam", "privilege-revoke"),
        "Add delegated permission grant": ("iam", "privilege-grant"),
        "Add app role assignment grant to user": ("iam", "privilege-grant"),
        "Add app role assignment to service principal": ("iam", "privilege-grant"),
        "Consent to application": ("iam", "privilege-grant"),
        "Add service principal credentials": ("iam", "access-key-created"),
        "Add service principal": ("iam", "other"),
        "Set-AdminAuditLogConfig": ("audit", "audit-policy-change"),
        "Set-MailboxAuditBypassAssociation": ("audit", "audit-policy-change"),
        "New-ConditionalAccessPolicy": ("configuration", "policy-change"),
        "Set-ConditionalAccessPolicy": ("configuration", "policy-change"),
        "Remove-ConditionalAccessPolicy": ("configuration", "policy-change"),
        "New-TransportRule": ("configuration", "policy-change"),
        "Set-TransportRule": ("configuration", "policy-change"),
        "Set-Mailbox": ("configuration", "config-change"),
    },
    "m365_operations.OPERATIONS",
)

# Operations that become "mail-forward-rule" when a forwarding parameter
# carries an address.
FORWARDING_OPERATIONS = (
    "New-InboxRule",
    "Set-InboxRule",
    "UpdateInboxRules",
    "Set-Mailbox",
    "New-TransportRule",
    "Set-TransportRule",
)
FORWARDING_PARAMETERS = (
    "ForwardTo",
    "RedirectTo",
    "ForwardAsAttachmentTo",
    "ForwardingSmtpAddress",
    "ForwardingAddress",
    "RedirectMessageTo",
    "BlindCopyTo",
)

# Category of the operations OPERATIONS does not name, by Workload.
WORKLOAD_CATEGORIES = {
    "SharePoint": "file",
    "OneDrive": "file",
    "Exchange": "email",
    "AzureActiveDirectory": "iam",
}

PARAMETER_LIST = pl.List(pl.Struct({"Name": pl.String, "Value": pl.String}))

# Fields of an audit record, as dotted paths for JsonFields.
AUDIT_FIELDS: dict[str, pl.DataType] = {
    "CreationTime": pl.String,
    "Operation": pl.String,
    "RecordType": pl.String,
    "Workload": pl.String,
    "UserId": pl.String,
    "ClientIP": pl.String,
    "ActorIpAddress": pl.String,
    "ClientIPAddress": pl.String,
    "ObjectId": pl.String,
    "SourceFileName": pl.String,
    "SiteUrl": pl.String,
    "ResultStatus": pl.String,
    "UserAgent": pl.String,
    "ClientInfoString": pl.String,
    "LogonError": pl.String,
    "MailboxOwnerUPN": pl.String,
    "TargetUserOrGroupName": pl.String,
    "Parameters": PARAMETER_LIST,
    "ExtendedProperties": PARAMETER_LIST,
    "OperationProperties": PARAMETER_LIST,
    "ExchangeMetaData.To": pl.List(pl.String),
    # Send records of the Management Activity API; Purview exports may omit
    # both fields.
    "Recipients": pl.List(pl.String),
    "Item.SizeInBytes": pl.String,
    "FileSizeBytes": pl.String,
}

_UPN = r"^[\w.+'-]+@[\w-]+(?:\.[\w-]+)+$"
_CMDLET = r"^[A-Z][a-z]+-[A-Za-z]+$"
_FAILED_STATUS = ["failed", "failure", "false"]


def _parameter(name: str) -> pl.Expr:
    return clean(first_where(pl.col("Parameters"), "Name", name, "Value"))


def _upn(value: pl.Expr) -> pl.Expr:
    text = clean(value)
    return pl.when(text.str.contains(_UPN)).then(text)


def _forwarding() -> tuple[pl.Expr, pl.Expr]:
    """Return the forwarding address of a rule or mailbox change, and whether
    the change forwards mail at all."""
    address = pl.coalesce(*(_parameter(name) for name in FORWARDING_PARAMETERS))
    # Outlook clients report rule actions as JSON text in OperationProperties.
    rule_actions = clean(
        first_where(pl.col("OperationProperties"), "Name", "RuleActions", "Value")
    )
    in_actions = rule_actions.str.contains(
        r'(?i)"ActionType"\s*:\s*"(Forward|Redirect)'
    )
    return address, address.is_not_null() | in_actions.fill_null(False)


def _classified(operation: pl.Expr, forwards: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    key = operation.str.strip_chars_end(".")
    category, action = classify(key, OPERATIONS)
    is_forward = key.is_in(FORWARDING_OPERATIONS) & forwards
    workload = clean(pl.col("Workload"))
    is_cmdlet = key.str.contains(_CMDLET) & ~key.str.starts_with("Get-")
    cmdlet_category = pl.when(is_cmdlet).then(pl.lit("configuration"))
    category = (
        pl.when(is_forward)
        .then(pl.lit("email"))
        .otherwise(
            pl.coalesce(
                category,
                cmdlet_category,
                workload.replace_strict(
                    WORKLOAD_CATEGORIES, default="other", return_dtype=pl.String
                ),
                pl.lit("other"),
            )
        )
    )
    action = (
        pl.when(is_forward)
        .then(pl.lit("mail-forward-rule"))
        .otherwise(
            pl.coalesce(
                action,
                pl.when(is_cmdlet).then(pl.lit("config-change")),
                pl.lit("other"),
            )
        )
    )
    return category, action


def _object(action: pl.Expr, forward_address: pl.Expr) -> pl.Expr:
    """Return the forwarding address of a forwarding change, else the item."""
    col = pl.col
    recipients = col("ExchangeMetaData.To").list.join(", ")
    return pl.coalesce(
        pl.when(action == "mail-forward-rule").then(forward_address),
        pl.when(action == "mail-send").then(_recipients()),
        clean(col("ObjectId")),
        clean(col("SourceFileName")),
        clean(col("SiteUrl")),
        clean(recipients),
        _parameter("Identity"),
    )


def _recipients() -> pl.Expr:
    """Return the Recipients list as lower-case addresses joined with ';'."""
    addresses = pl.col("Recipients").list.eval(
        pl.element().str.strip_chars().str.to_lowercase()
    )
    return clean(addresses.list.drop_nulls().list.join(";"))


def _size() -> pl.Expr:
    """Return the message size of a mail, else the file size, in bytes."""
    sizes = (
        pl.col(name).str.strip_chars().cast(pl.Int64, strict=False)
        for name in ("Item.SizeInBytes", "FileSizeBytes")
    )
    return pl.coalesce(*sizes)


def _target_user() -> pl.Expr:
    """Return the user an operation acts on: a cmdlet's User parameter, or the
    first UPN among the mailbox owner, sharing target, ObjectId and Identity."""
    col = pl.col
    target = pl.coalesce(
        _parameter("User"),
        _upn(col("MailboxOwnerUPN")),
        _upn(col("TargetUserOrGroupName")),
        _upn(col("ObjectId")),
        _upn(_parameter("Identity")),
    )
    return target.str.to_lowercase()


def event_columns() -> list[pl.Expr]:
    """Map audit record fields to event columns (all but the time columns)."""
    col = pl.col
    operation = clean(col("Operation"))
    forward_address, forwards = _forwarding()
    category, action = _classified(operation, forwards)
    # UserLoginFailed records carry ResultStatus "Success" (the record was
    # written), so the operation decides. Records without ResultStatus
    # (SharePoint, OneDrive) log actions that took place.
    status = clean(col("ResultStatus")).str.to_lowercase()
    failed = (operation == "UserLoginFailed") | status.is_in(_FAILED_STATUS)
    failed = failed.fill_null(False)
    user_name, user_domain = account(col("UserId"))
    object_ = _object(action, forward_address)
    user_agent = pl.coalesce(
        clean(col("UserAgent")),
        clean(first_where(col("ExtendedProperties"), "Name", "UserAgent", "Value")),
        clean(col("ClientInfoString")),
    )
    source_ip = pl.coalesce(
        ip_address(col("ClientIP")),
        ip_address(col("ActorIpAddress")),
        ip_address(col("ClientIPAddress")),
    )
    failure = pl.concat_str(pl.lit("failed:"), clean(col("LogonError")), separator=" ")

    return [
        operation.alias("event_code"),
        category.alias("event_category"),
        action.alias("event_action"),
        outcome_from(pl.lit(True), failed).alias("event_outcome"),
        user_name.alias("user_name"),
        user_domain.alias("user_domain"),
        _target_user().alias("target_user"),
        source_ip.alias("source_ip"),
        user_agent.alias("user_agent"),
        object_.alias("object"),
        _size().alias("bytes"),
        message(operation, object_, pl.when(failed).then(failure)).alias("message"),
    ]
