"""Log importers, one module per format, registered by name on import."""

from importers import (
    apache_error,  # noqa: F401
    auditd,  # noqa: F401
    cloudtrail,  # noqa: F401
    csv_generic,  # noqa: F401
    entra,  # noqa: F401
    evtx,  # noqa: F401
    gcp_audit,  # noqa: F401
    iis,  # noqa: F401
    json_generic,  # noqa: F401
    m365,  # noqa: F401
    okta,  # noqa: F401
    proxifier,  # noqa: F401
    registry,  # noqa: F401
    syslog,  # noqa: F401
    web_access,  # noqa: F401
)
