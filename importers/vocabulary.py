"""The values importers write to event_category, event_action and event_outcome.

Analytics match on these words, so every importer maps its source onto them
and nothing else. An event that fits no action keeps its category and gets
the action "other"; its vendor code stays in event_code.
"""

from __future__ import annotations

CATEGORIES = (
    "authentication",  # logons, logoffs, failures, MFA, Kerberos
    "iam",  # accounts, groups, roles, permissions, keys
    "file",  # file and object access, downloads, uploads, shares
    "web",  # HTTP requests, proxy connections
    "email",  # mail sent, forwarding and inbox rules, mailbox access
    "device",  # USB and removable media
    "process",  # process creation, service installs, commands
    "configuration",  # policy and settings changes
    "audit",  # the audit trail itself: log cleared, audit policy changed
    "network",  # network connections without HTTP detail
    "other",
)

ACTIONS = {
    "authentication": (
        "logon",
        "logon-failed",
        "logoff",
        "logon-explicit",  # credentials of another account (EVTX 4648, su, runas)
        "privileged-logon",  # special privileges assigned (EVTX 4672)
        "credential-validation",  # NTLM or Kerberos pre-authentication
        "session-reconnect",
        "mfa",
        "account-locked",
    ),
    "iam": (
        "user-created",
        "user-deleted",
        "user-enabled",
        "user-disabled",
        "user-changed",
        "password-reset",
        "password-change",
        "group-created",
        "group-member-added",
        "group-member-removed",
        "privilege-grant",  # role or permission given
        "privilege-revoke",
        "access-key-created",
        "sudo",  # command run with elevated rights
    ),
    "file": (
        "file-access",
        "file-read",
        "file-write",
        "file-delete",
        "file-download",
        "file-upload",
        "file-share",
        "share-access",
        "export",
        "list",
    ),
    "web": ("http-request", "proxy-connection"),
    "email": (
        "mail-send",
        "mail-forward-rule",
        "inbox-rule",
        "mailbox-access",
        "mailbox-permission",
    ),
    "device": ("usb-mount", "usb-copy"),
    "process": ("process-start", "service-install", "command"),
    "configuration": ("config-change", "policy-change"),
    "audit": ("log-clear", "audit-policy-change"),
    "network": ("connection",),
}

OUTCOMES = ("success", "failure", "unknown")
