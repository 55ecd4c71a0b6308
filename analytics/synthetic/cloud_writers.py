"""Write cloud audit records: Purview audit CSV, CloudTrail JSON, Entra sign-ins.

Record references follow the importers, as in `writers`: the 1-based data row
for the Purview CSV, the 1-based line for sign-in NDJSON and ``Records[i]``
(0-based) for CloudTrail documents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from analytics.synthetic import catalog
from analytics.synthetic.records import PLACES
from analytics.synthetic.writers import (
    GROUND_COLUMNS,
    csv_lines,
    ground,
    insert_dirty,
    odd_case,
    time_text,
    write_lines,
)

TENANT = "6f1c2a9e-1b7d-4c3e-9a51-0c2d7e8f9a10"
ORGANIZATION = "0b8e4f52-33c1-4f5e-8a0d-5d1c9e7b2a64"


def _json_string(column: pl.Expr) -> pl.Expr:
    escaped = column.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
        '"', '\\"', literal=True
    )
    return pl.lit('"') + escaped + pl.lit('"')


def _record_ids(rng: np.random.Generator, count: int) -> pl.Expr:
    """UUID-shaped ids: a random prefix per file and a unique decimal counter."""
    head = "".join(f"{x:02x}" for x in rng.integers(0, 256, 10))
    prefix = f"{head[:8]}-{head[8:12]}-4{head[13:16]}-a{head[17:20]}-"
    base = int(rng.integers(0, 10**11))
    numbers = (
        pl.int_range(base, base + count, eager=False).cast(pl.String).str.zfill(12)
    )
    return pl.lit(prefix) + numbers


def _audit_detail(op: pl.Expr, is_file: pl.Expr) -> pl.Expr:
    """Build the operation-specific AuditData fields: file, mail or inbox rule."""
    file_name = pl.col("obj").str.extract(r"([^/]+)$")
    site = pl.col("obj").str.extract(r"^(.*/sites/[^/]+)")
    recipients = (
        pl.lit("[")
        + pl.col("extra")
        .fill_null("")
        .str.split(";")
        .list.eval(_json_string(pl.element()))
        .list.join(",")
        + pl.lit("]")
    )
    forward = pl.col("extra").is_not_null()
    rule_params = pl.concat_str(
        [
            pl.lit('[{"Name":"Name","Value":'),
            _json_string(pl.col("obj")),
            pl.lit("},"),
            pl.when(forward)
            .then(
                pl.lit('{"Name":"ForwardTo","Value":')
                + _json_string(pl.col("extra"))
                + pl.lit("},")
            )
            .otherwise(pl.lit('{"Name":"MoveToFolder","Value":"Archive"},')),
            pl.lit('{"Name":"StopProcessingRules","Value":"True"}]'),
        ]
    )

    return (
        pl.when(is_file)
        .then(
            pl.concat_str(
                [
                    pl.lit(',"ObjectId":'),
                    _json_string(pl.col("obj")),
                    pl.lit(',"SiteUrl":'),
                    _json_string(site),
                    pl.lit(',"SourceFileName":'),
                    _json_string(file_name),
                    pl.lit(',"FileSizeBytes":'),
                    pl.col("bytes").cast(pl.String),
                ]
            )
        )
        .when(op == "Send")
        .then(
            pl.concat_str(
                [
                    pl.lit(',"Item":{"Subject":"Update","SizeInBytes":'),
                    pl.col("bytes").cast(pl.String),
                    pl.lit(',"Attachments":"attachment.pdf ('),
                    pl.col("bytes").cast(pl.String),
                    pl.lit('b)"},"Recipients":'),
                    recipients,
                ]
            )
        )
        .otherwise(
            pl.concat_str(
                [
                    pl.lit(',"ObjectId":'),
                    _json_string(pl.col("obj")),
                    pl.lit(',"Parameters":'),
                    rule_params,
                ]
            )
        )
    )


def write_m365(
    records: pl.DataFrame, out: Path, rng: np.random.Generator
) -> pl.DataFrame:
    """Write a Purview audit search export: CSV with the AuditData JSON per record."""
    name = "m365/AuditLog.csv"
    frame = records.filter(pl.col("source") == "m365").sort("ts", "user")
    odd = pl.Series(rng.random(frame.height) < 0.01)
    frame = frame.with_columns(record_id=_record_ids(rng, frame.height))
    upn = odd_case(pl.col("account_id"), pl.lit(odd)) + "@" + catalog.MAIL_DOMAIN
    op = pl.col("op")
    is_file = op.str.starts_with("File")
    record_type = (
        pl.when(is_file)
        .then(pl.lit("6"))
        .when(op == "Send")
        .then(pl.lit("2"))
        .otherwise(pl.lit("1"))
    )

    common = pl.concat_str(
        [
            pl.lit('{"CreationTime":"'),
            time_text("%Y-%m-%dT%H:%M:%S"),
            pl.lit('","Id":"'),
            pl.col("record_id"),
            pl.lit('","Operation":"'),
            op,
            pl.lit('","OrganizationId":"' + ORGANIZATION + '","RecordType":'),
            record_type,
            pl.lit(',"ResultStatus":"Succeeded","UserKey":"'),
            pl.col("account_id"),
            pl.lit('","UserType":0,"Version":1,"Workload":"'),
            pl.when(is_file).then(pl.lit("SharePoint")).otherwise(pl.lit("Exchange")),
            pl.lit('","ClientIP":"'),
            pl.col("ip"),
            pl.lit('","UserId":"'),
            upn,
            pl.lit('"'),
        ]
    )
    detail = _audit_detail(op, is_file)

    columns = {
        "RecordId": pl.col("record_id"),
        "CreationDate": time_text("%-m/%-d/%Y %-I:%M:%S %p"),
        "RecordType": record_type,
        "Operation": op,
        "UserId": upn,
        "AuditData": common + detail + pl.lit("}"),
        "AssociatedAdminUnits": pl.lit(""),
        "AssociatedAdminUnitsNames": pl.lit(""),
    }
    lines = frame.select(csv_lines(columns).alias("text"), "scenario")
    return write_lines(lines, out / name, name, header=",".join(columns))


def write_cloudtrail(
    records: pl.DataFrame, out: Path, rng: np.random.Generator
) -> pl.DataFrame:
    """Write CloudTrail S3 data events as {"Records": [...]} documents, one a week."""
    frame = records.filter(pl.col("source") == "cloudtrail").sort("ts", "user")
    frame = frame.with_columns(
        record_id=_record_ids(rng, frame.height),
        week=pl.from_epoch("ts", time_unit="us").dt.truncate("1w"),
    )
    arn = pl.lit(f"arn:aws:iam::{catalog.AWS_ACCOUNT}:user/") + pl.col("account_id")
    bucket = pl.col("obj").str.extract(r"^([^/]+)/")
    key = pl.col("obj").str.extract(r"^[^/]+/(.*)$")
    get = pl.col("op") == "GetObject"
    request = (
        pl.when(get)
        .then(
            pl.lit('{"bucketName":"')
            + bucket
            + pl.lit('","key":"')
            + key
            + pl.lit('"}')
        )
        .otherwise(
            pl.lit('{"bucketName":"') + bucket + pl.lit('","prefix":"datasets/"}')
        )
    )
    text = pl.concat_str(
        [
            pl.lit(
                '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser",'
                '"principalId":"AIDA'
            ),
            pl.col("account_id").str.to_uppercase(),
            pl.lit('","arn":"'),
            arn,
            pl.lit(f'","accountId":"{catalog.AWS_ACCOUNT}","userName":"'),
            pl.col("account_id"),
            pl.lit('"},"eventTime":"'),
            time_text("%Y-%m-%dT%H:%M:%SZ"),
            pl.lit('","eventSource":"s3.amazonaws.com","eventName":"'),
            pl.col("op"),
            pl.lit('","awsRegion":"eu-west-2","sourceIPAddress":"'),
            pl.col("ip"),
            pl.lit('","userAgent":"[aws-cli/2.15.0 Python/3.11]","requestParameters":'),
            request,
            pl.lit(',"additionalEventData":{"bytesTransferredOut":'),
            pl.col("bytes").cast(pl.String),
            pl.lit('},"eventID":"'),
            pl.col("record_id"),
            pl.lit(
                '","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,'
                f'"recipientAccountId":"{catalog.AWS_ACCOUNT}","eventCategory":"Data"}}'
            ),
        ]
    )
    grounds = []
    for (week,), part in frame.group_by("week", maintain_order=True):
        name = (
            f"cloudtrail/{catalog.AWS_ACCOUNT}_CloudTrail_eu-west-2_{week:%Y%m%d}.json"
        )
        lines = part.select(text.alias("text"), "scenario")
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write('{"Records":[\n')
            handle.write(",\n".join(lines.get_column("text").to_list()))
            handle.write("\n]}\n")
        numbered = lines.with_row_index("row")
        grounds.append(ground(numbered, name, pl.format("Records[{}]", pl.col("row"))))
    return (
        pl.concat(grounds)
        if grounds
        else pl.DataFrame(schema=dict.fromkeys(GROUND_COLUMNS, pl.String))
    )


def write_signins(
    records: pl.DataFrame, out: Path, rng: np.random.Generator
) -> pl.DataFrame:
    """Entra ID sign-in logs as Azure Monitor diagnostic NDJSON."""
    name = "entra/SignInLogs.json"
    frame = records.filter(pl.col("source") == "signin").sort("ts", "user")
    frame = frame.with_columns(record_id=_record_ids(rng, frame.height))
    places = pl.DataFrame(
        {
            "place": list(range(len(PLACES))),
            "city": [p[0] for p in PLACES],
            "country": [p[1] for p in PLACES],
            "lat": [f"{p[3]:.2f}" for p in PLACES],
            "lon": [f"{p[4]:.2f}" for p in PLACES],
        },
        schema_overrides={"place": pl.Int32},
    )
    frame = frame.join(places, on="place", how="left")
    odd = pl.Series(rng.random(frame.height) < 0.01)
    upn = odd_case(pl.col("account_id"), pl.lit(odd)) + "@" + catalog.MAIL_DOMAIN
    failed = pl.col("op") != "0"
    status = (
        pl.when(failed)
        .then(
            pl.lit('{"errorCode":')
            + pl.col("op")
            + pl.lit(
                ',"failureReason":"Invalid username or password or Invalid on-premise '
                'username or password."}'
            )
        )
        .otherwise(pl.lit('{"errorCode":0}'))
    )
    text = pl.concat_str(
        [
            pl.lit('{"time":"'),
            time_text("%Y-%m-%dT%H:%M:%S%.6fZ"),
            pl.lit(
                f'","resourceId":"/tenants/{TENANT}/providers/Microsoft.aadiam",'
                '"operationName":"Sign-in activity","category":"SignInLogs",'
                '"resultType":"'
            ),
            pl.col("op"),
            pl.lit('","callerIpAddress":"'),
            pl.col("ip"),
            pl.lit('","identity":"'),
            pl.col("display_name"),
            pl.lit('","location":"'),
            pl.col("country"),
            pl.lit('","properties":{"id":"'),
            pl.col("record_id"),
            pl.lit('","createdDateTime":"'),
            time_text("%Y-%m-%dT%H:%M:%S%.6fZ"),
            pl.lit('","userPrincipalName":"'),
            upn,
            pl.lit('","userDisplayName":"'),
            pl.col("display_name"),
            pl.lit(
                '","appDisplayName":"Office 365","clientAppUsed":"Browser",'
                '"isInteractive":true,"ipAddress":"'
            ),
            pl.col("ip"),
            pl.lit('","location":{"city":"'),
            pl.col("city"),
            pl.lit('","countryOrRegion":"'),
            pl.col("country"),
            pl.lit('","geoCoordinates":{"latitude":'),
            pl.col("lat"),
            pl.lit(',"longitude":'),
            pl.col("lon"),
            pl.lit('}},"status":'),
            status,
            pl.lit("}}"),
        ]
    )
    lines = frame.select(text.alias("text"), "scenario")
    lines = insert_dirty(lines, ['{"time":"2024-01-01T00:00:00Z","category":'], rng)
    return write_lines(lines, out / name, name)
