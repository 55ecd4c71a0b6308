"""Log importers, one module per format, registered by name on import."""

from importers import registry  # noqa: F401
from importers import web_access  # noqa: F401
from importers import syslog  # noqa: F401
from importers import iis  # noqa: F401
from importers import proxifier  # noqa: F401
from importers import apache_error  # noqa: F401
from importers import cloudtrail  # noqa: F401
from importers import csv_generic  # noqa: F401
from importers import json_generic  # noqa: F401
from importers import evtx  # noqa: F401
from importers import m365  # noqa: F401
from importers import entra  # noqa: F401
from importers import okta  # noqa: F401
from importers import gcp_audit  # noqa: F401
from importers import auditd  # noqa: F401
