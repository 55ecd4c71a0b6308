"""Identity resolution of every account form onto directory users."""

from __future__ import annotations

import polars as pl
import pytest

from analytics.identity import account_expr, resolve_accounts

DIRECTORY = pl.DataFrame(
    {
        "user_id": ["jdoe", "asmith"],
        "email": ["jdoe@corp.example", "Anna.Smith@corp.example"],
        "accounts": [
            "CORP\\jdoe;jdoe;arn:aws:iam::123456789012:user/jdoe;jdoe@corp.example",
            "",
        ],
    }
)

CASES = [
    ("corp\\jdoe", "jdoe", "directory"),
    ("JDOE@corp.example", "jdoe", "directory"),
    ("arn:aws:iam::123456789012:user/jdoe", "jdoe", "directory"),
    ("arn:aws:sts::123456789012:assumed-role/Admin/jdoe", "jdoe", "aws-arn"),
    ("arn:aws:iam::123456789012:user/dev/asmith", "asmith", "aws-arn"),
    ("anna.smith@corp.example", "asmith", "directory"),
    ("other\\asmith", "asmith", "domain-user"),
    ("jdoe@okta.corp.example", "jdoe", "upn-local-part"),
    ("asmith", "asmith", "directory"),
    ("svc-backup", "svc-backup", "unmatched"),
]


@pytest.mark.parametrize(("account", "identity", "rule"), CASES)
def test_account_forms(account, identity, rule):
    resolved = resolve_accounts([account], DIRECTORY)

    assert resolved["identity"][0] == identity
    assert resolved["rule"][0] == rule


def test_override_wins():
    overrides = pl.DataFrame({"account": ["svc-backup"], "identity": ["jdoe"]})

    resolved = resolve_accounts(["svc-backup", "corp\\jdoe"], DIRECTORY, overrides)

    row = resolved.filter(pl.col("account") == "svc-backup")
    assert row["identity"][0] == "jdoe"
    assert row["rule"][0] == "override"


def test_account_string_forms():
    events = pl.DataFrame(
        {
            "user_name": ["JDoe", "jdoe@corp.example", "root", None],
            "user_domain": ["CORP", "corp.example", None, "CORP"],
        }
    )

    accounts = events.select(account_expr().alias("a"))["a"].to_list()

    assert accounts == ["corp\\jdoe", "jdoe@corp.example", "root", None]


def test_no_directory_keeps_accounts():
    resolved = resolve_accounts(["corp\\jdoe", "bob"])

    assert resolved["identity"].to_list() == ["corp\\jdoe", "bob"]
    assert set(resolved["rule"]) == {"unmatched"}
