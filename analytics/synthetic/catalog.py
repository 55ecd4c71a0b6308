"""Fixed vocabulary of the synthetic organisation: departments, places, sites.

Every name here is invented or a well-known public site name. Addresses come
from reserved ranges (10.0.0.0/8 inside, 100.64.0.0/10 outside), so no
generated record points at a real host.
"""

from __future__ import annotations

DOMAIN = "CORP"
MAIL_DOMAIN = "corp.example"
AWS_ACCOUNT = "123456789012"
SHAREPOINT = "https://corp.sharepoint.com/sites"

# name, share of staff, roles, file accesses per day, travel share, external mail
DEPARTMENTS: tuple[tuple[str, float, tuple[str, ...], float, float, float], ...] = (
    ("Sales", 0.20, ("Account Executive", "Sales Manager"), 4.0, 0.45, 1.2),
    ("Finance", 0.11, ("Accountant", "Financial Analyst"), 8.0, 0.05, 0.2),
    (
        "Engineering",
        0.22,
        ("Software Engineer", "Site Reliability Engineer"),
        3.0,
        0.08,
        0.1,
    ),
    ("HR", 0.06, ("HR Partner", "Recruiter"), 6.0, 0.05, 0.4),
    ("IT", 0.07, ("Helpdesk Administrator", "Systems Administrator"), 5.0, 0.03, 0.1),
    ("Legal", 0.05, ("Counsel", "Paralegal"), 6.0, 0.15, 1.0),
    ("Marketing", 0.10, ("Marketing Specialist", "Designer"), 4.0, 0.15, 0.6),
    (
        "Operations",
        0.11,
        ("Operations Analyst", "Facilities Coordinator"),
        4.0,
        0.10,
        0.3,
    ),
    ("Contractors", 0.08, ("Contractor",), 3.0, 0.02, 0.1),
)

# Departments whose staff use the Linux servers and the S3 buckets.
LINUX_DEPARTMENTS = ("Engineering", "IT", "Contractors")
S3_DEPARTMENTS = ("Engineering", "Contractors")

FIRST_NAMES = (
    "alex ana ben carla chen dan dina eli emma farid gina hugo ines ivan jana jon "
    "kara liam lena marco maya nils nora omar olga paul pia raj rosa sam sara "
    "tariq tina uma victor wen yara zoe amir bea cole dora evan fay gus hana"
).split()
LAST_NAMES = (
    "adams baker cruz diaz evans fischer garcia hall ito jones khan lopez meyer "
    "novak okafor patel quinn rossi silva tanaka ueda vargas wong young zhou "
    "berg costa dubois eriksen fontaine gallo haas iqbal jensen kowalski larsen"
).split()

# city, country code, outside address prefix (100.64.X), latitude, longitude
OFFICES: tuple[tuple[str, str, int, float, float], ...] = (
    ("London", "GB", 1, 51.51, -0.13),
    ("Manchester", "GB", 2, 53.48, -2.24),
    ("Berlin", "DE", 3, 52.52, 13.40),
    ("New York", "US", 4, 40.71, -74.01),
)
OFFICE_WEIGHTS = (0.55, 0.2, 0.15, 0.1)

# Business-trip destinations (benign travel).
TRIP_CITIES: tuple[tuple[str, str, int, float, float], ...] = (
    ("Paris", "FR", 10, 48.86, 2.35),
    ("Madrid", "ES", 11, 40.42, -3.70),
    ("Amsterdam", "NL", 12, 52.37, 4.90),
    ("Chicago", "US", 13, 41.88, -87.63),
    ("Dublin", "IE", 14, 53.35, -6.26),
    ("Singapore", "SG", 15, 1.35, 103.82),
    ("Tokyo", "JP", 16, 35.68, 139.69),
    ("Stockholm", "SE", 17, 59.33, 18.07),
    ("Milan", "IT", 18, 45.46, 9.19),
    ("Toronto", "CA", 19, 43.65, -79.38),
)

# Places nobody in the organisation ever signs in from, used by the travel
# and account-sharing scenarios as a first-ever country.
FOREIGN_CITIES: tuple[tuple[str, str, int, float, float], ...] = (
    ("Bucharest", "RO", 40, 44.43, 26.10),
    ("Lagos", "NG", 41, 6.52, 3.38),
    ("Sao Paulo", "BR", 42, -23.55, -46.63),
    ("Jakarta", "ID", 43, -6.21, 106.85),
    ("Kyiv", "UA", 44, 50.45, 30.52),
    ("Manila", "PH", 45, 14.60, 120.98),
    ("Hanoi", "VN", 46, 21.03, 105.85),
    ("Lima", "PE", 47, -12.05, -77.04),
)

BUSINESS_SITES = (
    "https://www.office.com/launch",
    "https://corp.sharepoint.com/sites/intranet/home",
    "https://login.microsoftonline.com/common/oauth2",
    "https://corp.my.salesforce.com/home/home.jsp",
    "https://app.slack.com/client",
    "https://www.bbc.co.uk/news",
    "https://www.google.com/search",
    "https://docs.python.org/3/library",
    "https://github.com/corp-example/app",
    "https://stackoverflow.com/questions",
    "https://www.ft.com/markets",
    "https://www.xero.com/dashboard",
    "https://corp.atlassian.net/jira/software",
    "https://corp.zoom.us/j/meeting",
    "https://www.linkedin.com/feed",
    "https://maps.google.com/maps",
    "https://www.gov.uk/guidance",
    "https://www.amazon.co.uk/orders",
    "https://weather.com/forecast",
    "https://www.reuters.com/business",
)
JOB_SITES = (
    "https://www.indeed.com/jobs",
    "https://www.linkedin.com/jobs/search",
    "https://www.glassdoor.com/Job/index.htm",
    "https://www.monster.com/jobs/search",
    "https://www.totaljobs.com/jobs",
)
# Consumer cloud drives; each must be a cloud_storage entry of
# resources/analytics/domains.csv, so the detectors see them as such.
CLOUD_DRIVES = (
    "https://www.wetransfer.com/upload",
    "https://www.dropbox.com/upload",
    "https://drive.google.com/upload",
    "https://mega.nz/upload",
)
LEAK_SITES = (
    "https://pastebin.com/api/api_post.php",
    "https://anonfiles.com/api/upload",
    "https://wikileaks.org/submit",
)
PERSONAL_MAIL_DOMAINS = ("gmail.com", "outlook.com", "proton.me", "yahoo.com")
PARTNER_MAIL_DOMAINS = (
    "partner-firm.example",
    "customer-one.example",
    "supplier.example",
    "lawfirm.example",
    "auditors.example",
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
)
S3_BUCKETS = ("corp-eng-artifacts", "corp-data-lake", "corp-contractor-share")
LINUX_HOSTS = tuple(f"build-{i:02d}" for i in range(1, 9)) + tuple(
    f"db-{i:02d}" for i in range(1, 5)
)
SHARED_HOSTS = tuple(f"WS-SHARED-{i:02d}" for i in range(1, 7))
FILE_SERVER = "FS01"
FILES_PER_DEPARTMENT = 400
