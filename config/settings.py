"""Settings, read from the environment (12-factor) with django-environ, as cookiecutter-django does.

Every default is chosen so that a bare machine runs in development (DEBUG=true, which `make run`
and `make demo` set): SQLite in the project folder, no broker (Celery runs tasks eagerly
in-process), console e-mail, the published development keys. With DEBUG off the keys must be real
(start-up stops otherwise: a deployment that forgot FIELD_ENCRYPTION_KEY would encrypt every ID
number with a published salt, and could never change it afterwards) and the production security
settings apply, each from the environment. The test suite uses config/test_settings.py.
See README.md, "Configuration".
"""

import datetime
from pathlib import Path

import csp.constants as csp
import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

DEBUG = env.bool("DEBUG", default=False)
# Published in this repository: for a laptop only. Refused with DEBUG off (below).
DEVELOPMENT_SECRET_KEY = "insecure-dev-key-weiquan-change-me"
DEVELOPMENT_FIELD_ENCRYPTION_KEY = "insecure-dev-field-key-change-me"
SECRET_KEY = env("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # `runserver` leaves static files to WhiteNoise too, so development serves them as production does.
    "whitenoise.runserver_nostatic",
    # django.contrib.staticfiles, without the node_modules/ folders of viewflow's (config/apps.py).
    "config.apps.WeiquanStaticFilesConfig",
    # Content-Security-Policy (its system checks; the middleware is in MIDDLEWARE).
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "django_fsm",
    "pgtrigger",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Sign-in lockout after repeated failures (core/throttling.py).
    "axes",
    # The staff web interface (viewflow's Site/Application/viewsets, Material frontend) and its
    # task layer (viewflow.workflow: each module's flows.py routes human work; see docs/ui.md).
    "viewflow",
    "viewflow.workflow",
    # The engine every module stands on, then the modules (each imports core, never another).
    "core",
    "casework",
    "mediation",
    "bargaining",
    "legal_checkup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (collected, hashed, compressed: STORAGES below) answered before anything else runs.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every page and API response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Cache-Control: private, no-store on every page, download and API response; Permissions-Policy.
    "config.middleware.PrivateResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Web pages are Chinese unless the user picked English (the API still follows Accept-Language).
    "core.middleware.UILanguageMiddleware",
    # A body larger than its path takes is refused (413) before anything reads it (core/limits.py).
    "core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 page (core/throttling.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Two roles on PostgreSQL (docs/journal.md): DATABASE_URL is the app's (web, workers, beat), which may
# only read and append to the journal; DATABASE_OWNER_URL, when set, the role owning the tables, as
# which `manage.py migrate` connects before granting the app's role its privileges (core/db_roles.py).
DATABASE_OWNER = env.db("DATABASE_OWNER_URL") if env("DATABASE_OWNER_URL", default="") else None
# The journal's signed checkpoint (count and head of the chain), kept outside the database: written
# by the beat task core.tasks.checkpoint_journal and `verify_journal --checkpoint`, checked by `verify_journal`.
JOURNAL_CHECKPOINT_FILE = Path(env("JOURNAL_CHECKPOINT_FILE", default=str(BASE_DIR / "var" / "journal-checkpoint.json")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: a locked-out user name or address gets no further (core/throttling.py).
    "core.throttling.SignInLockoutBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `manage.py collectstatic` gathers every app's static files here (each web node runs it before it
# starts: `make serve`); WhiteNoise serves them from this folder.
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# With DEBUG off: names with a content hash and gzip/Brotli copies (WhiteNoise), so a browser may
# keep a file forever and a new release's CSS is a new URL; `{% static %}` then needs collectstatic.
# In development WhiteNoise serves the apps' folders as they are. (The tests: config/test_settings.py.)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Only the hashed names are kept (half the files to compress): every page links static files
# through `{% static %}`, which gives those names. Source maps are for a developer's tools, not
# worth compressing (WhiteNoise's own list, and "map"). collectstatic: ~30 s of CPU.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Resident ID numbers are stored encrypted (django-fernet-encrypted-fields derives its Fernet key
# from SECRET_KEY and this salt). Rotating SECRET_KEY needs the old one in SECRET_KEY_FALLBACKS.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default=DEVELOPMENT_FIELD_ENCRYPTION_KEY)
SALT_KEY = [FIELD_ENCRYPTION_KEY]
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

if not DEBUG:
    for _name, _value, _published in (("SECRET_KEY", SECRET_KEY, DEVELOPMENT_SECRET_KEY),
                                      ("FIELD_ENCRYPTION_KEY", FIELD_ENCRYPTION_KEY, DEVELOPMENT_FIELD_ENCRYPTION_KEY)):
        if not _value or _value == _published:
            raise ImproperlyConfigured(
                f"{_name} is {'empty' if not _value else 'the published development value'} and DEBUG is off. "
                f"A deployment sets SECRET_KEY and FIELD_ENCRYPTION_KEY (each a long random string, e.g. "
                f"`python -c 'import secrets; print(secrets.token_urlsafe(50))'`; FIELD_ENCRYPTION_KEY can "
                f"never change once ID numbers are stored). For development set DEBUG=true "
                f"(`make run` and `make demo` do). See README.md, \"Configuration\"."
            )

# --- Production security (only with DEBUG off; each can be turned off behind a proxy that does it) --
if not DEBUG:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # Start low (an hour) and raise to a year once HTTPS is known to work on every host.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Response headers, in development too (so a page that breaks them breaks on a laptop first) ---
# Django's own: X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy: same-origin,
# Cross-Origin-Opener-Policy: same-origin. config/middleware.py: Cache-Control: private, no-store on
# every page, download and API response, and Permissions-Policy.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): everything from this site, nothing from anywhere else (there
# is no CDN), no inline script and no eval. See README.md, "Running in production".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        # Inline styles, not scripts: viewflow's Material templates write style="…" throughout and a
        # <style> for the site's colours, its components add their own, and so do Swagger UI and
        # DRF's browsable API. A style cannot run code, and with every fetch directive 'self' it
        # cannot send anything to another origin either.
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="weiquan@localhost")

# --- Celery -------------------------------------------------------------------------------------
# With no broker configured, tasks run eagerly in the calling process: a first run needs no Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "casework-deadline-sweep": {
        "task": "casework.tasks.sweep_case_deadlines",
        "schedule": crontab(minute=0, hour="7,13"),
    },
    # Mediation: expire what ran out, warn ahead, fulfil or default agreements (mediation/services/sweeps.py).
    "mediation-sweeps": {
        "task": "mediation.tasks.sweep_mediations",
        "schedule": crontab(minute=15, hour="0,7,13"),
    },
    # Bargaining: effect by lapse, expiry, reply overdue, renewal due (bargaining/services/sweeps.py).
    "bargaining-sweep": {
        "task": "bargaining.tasks.sweep_negotiations",
        "schedule": crontab(minute=30, hour="0,7"),
    },
    # Legal check-up: reminders before rectification is due, overdue findings (legal_checkup/services/sweeps.py).
    "legal-checkup-sweep": {
        "task": "legal_checkup.tasks.sweep_checkups",
        "schedule": crontab(minute=45, hour="0,7"),
    },
    # The journal: verify the chain and, if it extends the last checkpoint, write a new one (docs/journal.md).
    "journal-checkpoint": {
        "task": "core.tasks.checkpoint_journal",
        "schedule": crontab(minute=50),
    },
    # Notices a large sweep owed and whose task was lost (a broker restart): sent late, not never.
    "pending-notices": {
        "task": "core.tasks.send_pending_notices",
        "schedule": crontab(minute="*/10"),
    },
}

# --- Cache ------------------------------------------------------------------------------------
# The cache holds the web pages' records of background jobs (the referral import's progress page).
# Without a broker everything runs in one process: local memory. With one, web processes and
# workers share Redis, so the cache is there too (the broker's Redis, keys prefixed "weiquan").
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": env("CACHE_REDIS_URL", default=CELERY_BROKER_URL), "KEY_PREFIX": "weiquan"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Domain settings (the legal figures themselves live in core/legal_figures.py) --------------
# Working days an intake officer has to screen a new complaint (union service standard, not law).
WEIQUAN_SCREENING_SLA_WORKING_DAYS = env.int("WEIQUAN_SCREENING_SLA_WORKING_DAYS", default=3)
# Largest evidence file accepted (bytes).
WEIQUAN_EVIDENCE_MAX_BYTES = env.int("WEIQUAN_EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
# How early the sweep warns that a worker's arbitration limitation period is running out.
WEIQUAN_LIMITATION_WARNING_DAYS = env.int("WEIQUAN_LIMITATION_WARNING_DAYS", default=30)
# How many days before a mediation's deadline the mediator and supervisors are warned.
WEIQUAN_MEDIATION_WARNING_DAYS = env.int("WEIQUAN_MEDIATION_WARNING_DAYS", default=3)
# Bargaining: the platform's order statistics one import may bring (rows, bytes).
WEIQUAN_ORDER_STATISTICS_MAX_ROWS = env.int("WEIQUAN_ORDER_STATISTICS_MAX_ROWS", default=2_000_000)
WEIQUAN_ORDER_STATISTICS_MAX_BYTES = env.int("WEIQUAN_ORDER_STATISTICS_MAX_BYTES", default=256 * 1024 * 1024)
# Legal check-up: how many days before a finding's rectification is due its company is reminded.
WEIQUAN_CHECKUP_REMINDER_DAYS = env.int("WEIQUAN_CHECKUP_REMINDER_DAYS", default=7)
# A set-based change of more objects than this (a sweep expiring a whole backlog) leaves the inbox
# tasks to the Celery workers, after it commits (core/workflow.py); smaller ones update them inline.
WEIQUAN_INBOX_SYNC_INLINE_MAX = env.int("WEIQUAN_INBOX_SYNC_INLINE_MAX", default=2000)
# ... and its notices too (core/notices.py send_after_commit): owed in its transaction, sent by a
# worker once it has committed.
WEIQUAN_NOTICES_INLINE_MAX = env.int("WEIQUAN_NOTICES_INLINE_MAX", default=2000)
# Days of grace after an instalment's due date before the agreement counts as not performed
# (counted like any period: the last day rolls past rest days and holidays). Union policy, not law.
WEIQUAN_MEDIATION_PAYMENT_GRACE_DAYS = env.int("WEIQUAN_MEDIATION_PAYMENT_GRACE_DAYS", default=5)

# --- Input limits (core/limits.py, docs/input-limits.md) -----------------------------------------
# No date before this one is plausible for anything the system records (0001-01-01 is a typo).
WEIQUAN_EARLIEST_DATE = datetime.date.fromisoformat(env("WEIQUAN_EARLIEST_DATE", default="1950-01-01"))
# A date that may lie ahead (an instalment's due date, an agreement's effective date): at most this
# many years after today.
WEIQUAN_LATEST_YEARS_AHEAD = env.int("WEIQUAN_LATEST_YEARS_AHEAD", default=10)
# Nesting of a JSON body or referral-list file (the deepest the API takes is three levels).
WEIQUAN_JSON_MAX_DEPTH = env.int("WEIQUAN_JSON_MAX_DEPTH", default=20)
# A body other than an upload (JSON, a form): Django's own limit, checked before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2621440)
# An upload's request (multipart: evidence, a referral list), checked before it is read; files
# above FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file, not held in memory.
WEIQUAN_UPLOAD_MAX_BYTES = env.int("WEIQUAN_UPLOAD_MAX_BYTES", default=max(WEIQUAN_EVIDENCE_MAX_BYTES, 20 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440
# The public verification page (/verify/<code>, no login): the PDF to compare.
WEIQUAN_VERIFY_UPLOAD_MAX_BYTES = env.int("WEIQUAN_VERIFY_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)

# --- Documents (core/documents.py, docs/documents.md) -------------------------------------------
# Printed as the issuer when the handler's profile names no union of their own.
WEIQUAN_ISSUING_ORGANISATION = env("WEIQUAN_ISSUING_ORGANISATION", default="厦门市总工会")
# Archival PDF/A-3b costs little (see docs/documents.md for the measurement); "" gives plain PDF.
WEIQUAN_DOCUMENT_PDF_VARIANT = env("WEIQUAN_DOCUMENT_PDF_VARIANT", default="pdf/a-3b")
# Public origin printed before /verify/<code> on every document, e.g. https://weiquan.example.org
WEIQUAN_PUBLIC_URL = env("WEIQUAN_PUBLIC_URL", default="")

# --- Throttling (core/throttling.py, README "Configuration") ------------------------------------
# Proxies in front of the site that append to X-Forwarded-For (a load balancer: 1). 0 trusts no
# header and counts by the connection's address; more than the real number lets a client choose
# the address it is counted under.
WEIQUAN_PROXY_COUNT = env.int("WEIQUAN_PROXY_COUNT", default=0)
# Sign-in (web, admin, API token): after AXES_FAILURE_LIMIT failures for one user name, or from one
# address, every attempt is refused (429), the right password too, for AXES_COOLOFF_MINUTES; a
# failure while locked starts the wait again. Counted in the database (shared by every web
# process, listed in the admin); `manage.py axes_reset_username <name>` lifts a lock early.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.throttling.lockout_response"
AXES_IPWARE_PROXY_COUNT = WEIQUAN_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if WEIQUAN_PROXY_COUNT else ("REMOTE_ADDR",)
# API request rates, "<number>/<second|minute|hour|day>": anonymous clients per address, signed-in
# users per user, look-ups of a worker by ID number or phone per user, and the public document
# verification (page and API) per address.
WEIQUAN_THROTTLE_RATES = {
    "anon": env("WEIQUAN_THROTTLE_ANON", default="60/minute"),
    "user": env("WEIQUAN_THROTTLE_USER", default="600/minute"),
    "identity_lookup": env("WEIQUAN_THROTTLE_IDENTITY_LOOKUP", default="20/minute"),
    "verify": env("WEIQUAN_THROTTLE_VERIFY", default="20/minute"),
}

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.filters.SearchFilter",  # DRF's, its 400 a field error
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonThrottle",
        "core.throttling.UserThrottle",
        "core.throttling.IdentityLookupThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": WEIQUAN_THROTTLE_RATES,
    "NUM_PROXIES": WEIQUAN_PROXY_COUNT,
    # JSON with the bounds of core/limits.py (size and nesting depth); forms and uploads as DRF's.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Weiquan API",
    "DESCRIPTION": "Case management for union rights-protection work (维权).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Every operation documents the statuses it shares with the others (400, 401, 403, 404, 429:
    # core/api.py, `_SharedResponses`); `make fuzz-api` holds the API to it (scripts/fuzz_api.py).
    "DEFAULT_GENERATOR_CLASS": "core.api.SchemaGenerator",
    # A CharField that refuses "" says so (minLength 1) in requests; read-only fields are left alone.
    "ENFORCE_NON_BLANK_FIELDS": True,
    # Served from the sidecar package: the docs page works on a machine with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a `state`: name their enums after the machines.
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "casework.models.CaseState",
        "MediationStateEnum": "mediation.models.MediationState",
        # Choice sets under field names another module uses too (kind, procedure, mode).
        "OrganisationKindEnum": "core.models.Organisation.Kind",
        "MediationProcedureEnum": "mediation.models.Procedure",
        "SessionModeEnum": "mediation.models.MediationSession.Mode",
        "NegotiationStateEnum": "bargaining.models.NegotiationState",
        "NegotiationProcedureEnum": "bargaining.models.Procedure",
        "RoundModeEnum": "bargaining.models.Round.Mode",
        "ElectorateKindEnum": "bargaining.serializers.ELECTORATE_KINDS",
        "OccupationEnum": "core.models.Worker.Occupation",
        "CheckupStateEnum": "legal_checkup.models.CheckupState",
        "CheckupResultEnum": "legal_checkup.models.Result",
        "ReassessResultEnum": "legal_checkup.serializers.REASSESSED",
        "CheckupProfileEnum": "legal_checkup.models.Profile",
        "LetterKindEnum": "legal_checkup.models.Letter.Kind",
        "UserRoleEnum": "core.api_extras.ROLE_CHOICES",
    },
}

# The web interface's sign-in page (the admin keeps its own).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
