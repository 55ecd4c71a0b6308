"""Offline reference data: site categories and place coordinates.

The lists live in ``resources/analytics`` as CSV: ``domains.csv`` maps
public domains to a category (personal_mail, cloud_storage, job_board,
paste_leak); ``places.csv`` contains approximate coordinates of countries
(a central point) and large cities, enough to estimate travel distances.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl

EARTH_RADIUS_KM = 6371.0
_URL_HOST = (
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/]*@)?([a-z0-9.-]+\.[a-z]{2,})(?:[:/?#]|$)"
)
_MAIL_LIST = r"^[^@\s/:;]+@[^@\s/;]+(?:;\s*[^@\s/:;]+@[^@\s/;]+)+;?$"
_URL_FIRST_SEGMENT = r"^(?:[a-z][a-z0-9+.-]*://)?[^/]+/([^/?#]+)"


def _read_csv(name: str) -> pl.DataFrame:
    path = resources.files("resources") / "analytics" / name
    with path.open("rb") as handle:
        return pl.read_csv(handle.read())


@lru_cache(maxsize=1)
def domain_categories() -> pl.DataFrame:
    """Return the category list: category, domain (lower case)."""
    frame = _read_csv("domains.csv")
    return frame.select(
        pl.col("category"), pl.col("domain").str.to_lowercase().str.strip_chars()
    ).unique("domain", keep="first")


@lru_cache(maxsize=1)
def places() -> pl.DataFrame:
    """Return place coordinates: kind, key (lower-case name or code), lat, lon."""
    frame = _read_csv("places.csv")
    countries = frame.filter(pl.col("kind") == "country")
    by_code = countries.select(
        pl.lit("country").alias("kind"),
        pl.col("country_code").str.to_lowercase().alias("key"),
        "latitude",
        "longitude",
    )
    by_name = countries.select(
        pl.lit("country").alias("kind"),
        pl.col("name").str.to_lowercase().alias("key"),
        "latitude",
        "longitude",
    )
    cities = frame.filter(pl.col("kind") == "city").select(
        pl.lit("city").alias("kind"),
        pl.col("name").str.to_lowercase().alias("key"),
        "latitude",
        "longitude",
    )
    return pl.concat([by_code, by_name, cities]).unique(["kind", "key"])


# Common alternative spellings of country names, as some sources write them.
COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "usa": "US",
    "united states of america": "US",
    "czechia": "CZ",
    "holland": "NL",
    "the netherlands": "NL",
    "south korea": "KR",
    "korea, republic of": "KR",
    "russian federation": "RU",
    "viet nam": "VN",
    "türkiye": "TR",
}


@lru_cache(maxsize=1)
def country_codes() -> dict[str, str]:
    """Return lower-case country names and codes mapped to ISO 3166 alpha-2."""
    countries = _read_csv("places.csv").filter(pl.col("kind") == "country")
    codes = countries.get_column("country_code").str.to_uppercase().to_list()
    table = dict(COUNTRY_ALIASES)
    for name, code in zip(countries.get_column("name").to_list(), codes, strict=True):
        table[name.lower()] = code
        table[code.lower()] = code
    return table


def country_code(expr: pl.Expr) -> pl.Expr:
    """Return ISO 3166 alpha-2 codes for country names or codes.

    Entra ID writes "DE" and Okta "Germany"; both become "DE". A value the
    places list does not know is kept, upper-cased, so it still compares
    equal to itself.
    """
    text = expr.cast(pl.String).str.strip_chars()
    text = pl.when(text.is_in(["", "-"])).then(None).otherwise(text)
    return text.str.to_lowercase().replace_strict(
        country_codes(), default=text.str.to_uppercase(), return_dtype=pl.String
    )


def host_of(column: str = "object") -> pl.Expr:
    """Return the lower-case host of a URL, or the domain of a mail address."""
    text = pl.col(column).str.to_lowercase().str.strip_chars()
    mail_domain = text.str.extract(r"^[^@\s/:]+@([a-z0-9.-]+)$", 1)
    return pl.coalesce(mail_domain, text.str.extract(_URL_HOST, 1))


def classify_objects(
    objects: pl.Series, corporate_domains: list[str] | tuple[str, ...] = ()
) -> pl.DataFrame:
    """Return object, host and category for distinct URLs and mail addresses.

    A host matches a listed domain when it equals it or is a subdomain of
    it; an entry with a path (``linkedin.com/jobs``) also needs that first
    path segment. Objects without a recognisable host get null columns.
    `corporate_domains` lets a recipient list name its outside recipient.
    """
    frame = pl.DataFrame({"object": objects}).unique()
    single = classify_single(frame.filter(~_is_mail_list()))
    lists = frame.filter(_is_mail_list())
    if lists.height == 0:
        return single
    return pl.concat([single, _classify_mail_lists(lists, list(corporate_domains))])


def _is_mail_list() -> pl.Expr:
    return pl.col("object").str.contains(_MAIL_LIST).fill_null(False)


def _classify_mail_lists(
    lists: pl.DataFrame, corporate_domains: list[str]
) -> pl.DataFrame:
    """Classify 'a@x;b@y' recipient lists by their most telling recipient.

    The host is the first recipient domain with a category (personal mail,
    for one), else the first domain outside `corporate_domains`, else the
    first recipient's domain. So a mail to a colleague and a partner counts
    as external.
    """
    parts = lists.with_columns(
        pl.col("object").str.to_lowercase().str.split(";").alias("part")
    ).explode("part")
    parts = parts.with_columns(pl.col("part").str.strip_chars())
    classified = classify_single(
        parts.select(pl.col("part").alias("object")).unique()
    ).rename({"object": "part"})
    parts = parts.join(classified, on="part", how="left", maintain_order="left")
    outside = ~corporate_host(pl.col("host"), corporate_domains).fill_null(False)
    return parts.group_by("object", maintain_order=True).agg(
        pl.coalesce(
            pl.col("host").filter(pl.col("category").is_not_null()).first(),
            pl.col("host").filter(outside & pl.col("host").is_not_null()).first(),
            pl.col("host").first(),
        ).alias("host"),
        pl.col("category").drop_nulls().first().alias("category"),
    )


def classify_single(frame: pl.DataFrame) -> pl.DataFrame:
    """Classify one URL or mail address per row of the `object` column."""
    frame = frame.with_columns(
        host_of("object").alias("host"),
        pl.col("object")
        .str.to_lowercase()
        .str.extract(_URL_FIRST_SEGMENT, 1)
        .alias("segment"),
    )
    labels = pl.col("host").str.split(".")
    candidates = []
    for count in (2, 3, 4):
        suffix = labels.list.slice(-count, count).list.join(".")
        candidates.append(suffix.alias(f"suffix{count}"))
    frame = frame.with_columns(candidates)
    categories = domain_categories()
    found = []
    for column in ("suffix4", "suffix3", "suffix2"):
        with_path = pl.concat_str([pl.col(column), pl.lit("/"), pl.col("segment")])
        found.append(
            with_path.replace_strict(
                categories["domain"], categories["category"], default=None
            )
        )
        found.append(
            pl.col(column).replace_strict(
                categories["domain"], categories["category"], default=None
            )
        )
    return frame.select("object", "host", pl.coalesce(found).alias("category"))


def corporate_host(host: pl.Expr, corporate_domains: list[str]) -> pl.Expr:
    """Return whether a host belongs to the organisation.

    A host is corporate when it is one of the mail domains or a subdomain of
    one, or when its first label is the organisation's name as a SaaS tenant
    (``corp.sharepoint.com`` for the mail domain ``corp.example``).
    """
    domains = [d.lower() for d in corporate_domains if d]
    if not domains:
        return pl.lit(False)
    tenants = sorted({d.split(".")[0] for d in domains})
    is_corporate = pl.lit(False)
    for domain in domains:
        is_corporate = (
            is_corporate | (host == domain) | host.str.ends_with("." + domain)
        )
    first_label = host.str.extract(r"^([^.]+)\.", 1)
    return (is_corporate | first_label.is_in(tenants)).fill_null(False)


def place_coordinates(frame: pl.DataFrame) -> pl.DataFrame:
    """Add latitude and longitude from source_city, else source_country."""
    table = places()
    cities = table.filter(pl.col("kind") == "city").select(
        pl.col("key").alias("_city"),
        pl.col("latitude").alias("_city_lat"),
        pl.col("longitude").alias("_city_lon"),
    )
    countries = table.filter(pl.col("kind") == "country").select(
        pl.col("key").alias("_country"),
        pl.col("latitude").alias("_country_lat"),
        pl.col("longitude").alias("_country_lon"),
    )
    frame = frame.with_columns(
        pl.col("city").cast(pl.String).str.to_lowercase().alias("_city"),
        pl.col("country").cast(pl.String).str.to_lowercase().alias("_country"),
    )
    frame = frame.join(cities, on="_city", how="left").join(
        countries, on="_country", how="left"
    )
    return frame.with_columns(
        pl.coalesce("_city_lat", "_country_lat").alias("latitude"),
        pl.coalesce("_city_lon", "_country_lon").alias("longitude"),
    ).drop(
        "_city", "_country", "_city_lat", "_city_lon", "_country_lat", "_country_lon"
    )


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Return great-circle distances in km between arrays of points (degrees)."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(x, float)) for x in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
