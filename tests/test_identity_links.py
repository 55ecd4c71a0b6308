"""Investigator links between accounts and people, through analysis."""

from __future__ import annotations

from workspace.analysis import list_identities, run_analysis, set_identity_override
from workspace.importing import import_file


def write_logons(path):
    lines = ["time,user,action,host"]
    for day in range(1, 21):
        lines.append(f"2024-03-{day:02d}T09:00:00Z,alice,login,ws1")
        lines.append(f"2024-03-{day:02d}T10:00:00Z,svc-x17,login,ws1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def identity_of(workspace, account):
    rows = list_identities(workspace).filter(account=account)
    return rows["identity"].item(), rows["rule"].item()


def test_link_moves_account(case, tmp_path):
    import_file(case, write_logons(tmp_path / "logons.csv"))
    run_analysis(case)
    before = identity_of(case, "svc-x17")

    set_identity_override(case, "SVC-X17", "alice")
    listed = identity_of(case, "svc-x17")
    run_analysis(case)

    assert before[0] == "svc-x17"
    assert listed == ("alice", "override")
    assert identity_of(case, "svc-x17") == ("alice", "override")


def test_unlink_restores_rule(case, tmp_path):
    import_file(case, write_logons(tmp_path / "logons.csv"))
    set_identity_override(case, "svc-x17", "alice")
    run_analysis(case)

    set_identity_override(case, "svc-x17", None)
    run_analysis(case)

    assert identity_of(case, "svc-x17")[0] == "svc-x17"


def test_link_is_audited(case):
    set_identity_override(case, "svc-x17", "alice")

    actions = [
        row[0]
        for row in case.con.execute(
            "SELECT action FROM audit_log ORDER BY seq"
        ).fetchall()
    ]

    assert actions[-1] == "identity-linked"
    assert case.verify_audit_log() == []
