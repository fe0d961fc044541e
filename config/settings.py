"""Trellis settings: everything that differs between machines comes from the environment.

`make run` works with no variables at all (SQLite, an embedded broker, console email); production
sets DATABASE_URL, REDIS_URL, EMAIL_URL, SECRET_KEY and ALLOWED_HOSTS (see README.md).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import csp.constants as csp
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-only-insecure-key-never-used-with-debug-off"
    elif os.environ.get("TRELLIS_SERVING"):
        # Set by config/wsgi.py and config/asgi.py: a web server signs sessions, CSRF tokens and
        # reset links, so it refuses to start without the deployment's key.
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for a development machine).")
    else:
        # A management command or worker signs nothing that outlives it: a throwaway key will do.
        SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_celery_beat",
    "accounts",
    "interventions",
    "treatment",
    "reviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy with a nonce per response, and Permissions-Policy ("Browser security headers").
    "accounts.csp.NonceCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # One log line per request (id, user, practice, path, status, duration), and the request id on every line.
    "accounts.request_log.RequestLogMiddleware",
    # Before anything reads the body: NULs in the query, oversized or too deeply nested API bodies are a 400.
    "accounts.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # A user who owes a second factor (to enrol, or to enter) reaches only the pages that settle it.
    "accounts.mfa.middleware.MFAGateMiddleware",
    # A session handed to a client to sign a plan reaches only that page and the locked screen
    # (reviews/signing_lock.py).
    "reviews.signing_lock.ClientSigningLockMiddleware",
    # Signing in is the default for every page; public views opt out with @login_not_required (the API's
    # views answer 401 themselves, the admin has its own sign-in).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Times on pages and in the admin in the practice's time zone (the API stays in UTC).
    "accounts.middleware.PracticeTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in and password-reset POSTs past their rates are a 429 before any view runs (accounts/throttling.py).
    "accounts.throttling.DoorThrottleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A completed or discontinued plan answers 409 on every page and htmx request (the API answers it itself).
    "accounts.middleware.RecordClosedMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    # A 403 or 404 from a patient-data page or endpoint is an audit event (action "denied").
    "accounts.audit_denied.DeniedAccessAuditMiddleware",
    # Axes last: it turns a locked-out login attempt into the lockout response.
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
                "accounts.context_processors.session_timeout",
                "reviews.context_processors.notifications",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'trellis.sqlite3'}")}
_postgres = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Connections (README "Configuration"): opening a PostgreSQL connection per request costs the cheapest endpoint
# two thirds of its throughput, so production keeps each process's (each thread's) connection for CONN_MAX_AGE
# seconds, checked before reuse (CONN_HEALTH_CHECKS) so a restarted database costs one failed check, not a
# failed request. DATABASE_POOL=true uses Django's psycopg pool instead (needs the psycopg_pool package), whose
# connections the threads of a process share (DATABASE_POOL_MIN_SIZE / _MAX_SIZE / _TIMEOUT seconds to wait).
# Development and the tests keep one connection per request (DEBUG): nothing a test thread opens outlives it.
DATABASE_POOL = env.bool("DATABASE_POOL", default=False)
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "CONN_MAX_AGE", default=600 if _postgres and not DEBUG and not DATABASE_POOL else 0
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASE_POOL:
    if not _postgres:
        raise ImproperlyConfigured("DATABASE_POOL needs a PostgreSQL DATABASE_URL.")
    if DATABASES["default"]["CONN_MAX_AGE"]:
        raise ImproperlyConfigured("DATABASE_POOL and CONN_MAX_AGE exclude each other: set CONN_MAX_AGE=0.")
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has the web server, the worker and beat writing one SQLite file: a writer waits this many
    # seconds for another's lock instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
elif _postgres:
    # A database that does not answer fails a request (and /readyz) in seconds, not after TCP's minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People and access ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out account before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.RolePermissionBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Staff log in with their email; guardian needs no anonymous user in this product.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A reset link is a key to PHI: it works once, within the hour.
PASSWORD_RESET_TIMEOUT = 60 * 60
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle time-out (seed 002): every request pushes expiry forward, so the session ends after this
# many minutes without activity.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=15)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout (seed 002) without handing anyone a denial of service: 5 failures lock the account from the
# address they came from only, so a stranger cannot lock a colleague out by typing their email 5 times;
# the account is locked from every address after ACCOUNT_LOCKOUT_FAILURE_LIMIT failures within
# ACCOUNT_LOCKOUT_WINDOW_MINUTES (a guesser rotating addresses). accounts/lockout.py adds that second count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_HANDLER = "accounts.lockout.LockoutHandler"
# An attempt refused by a lock tests no password, so it neither counts nor extends the lock: a lock ends
# AXES_COOLOFF_MINUTES after it began, however often the locked door is knocked on.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
ACCOUNT_LOCKOUT_FAILURE_LIMIT = env.int("ACCOUNT_LOCKOUT_FAILURE_LIMIT", default=50)
ACCOUNT_LOCKOUT_WINDOW = timedelta(minutes=env.int("ACCOUNT_LOCKOUT_WINDOW_MINUTES", default=60))
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.auth.lockout_response"
# The client address (for lockouts and the audit trail): REMOTE_ADDR, unless PROXY_COUNT trusted
# proxies sit in front and X-Forwarded-For is read from the right.
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_VERBOSE = False

# --- Second factor (MFA) -----------------------------------------------------------------------
# TOTP codes (django-otp) and recovery codes (accounts.models.RecoveryCodeDevice); see accounts/mfa/.
OTP_TOTP_ISSUER = env.str("MFA_ISSUER", default="Trellis")
# Wrong codes count toward the lockout (django-axes) like wrong passwords: that is the one brake, so
# django-otp's own per-device back-off, which would refuse a right code typed soon after a wrong one, is off.
OTP_TOTP_THROTTLE_FACTOR = 0
# The password step of a sign-in holds for this long while the code step is awaited.
MFA_PENDING_LOGIN_SECONDS = env.int("MFA_PENDING_LOGIN_SECONDS", default=300)

# --- API --------------------------------------------------------------------------------------
# The largest request body (bytes) a page or the API reads; a larger one is a 400 (JSON on the API).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's, narrowed by a personal access token's scope.
        "accounts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only, NULs refused anywhere in it (accounts/api/parsers.py); other bodies are a 415.
    "DEFAULT_PARSER_CLASSES": ["accounts.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "accounts.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "EXCEPTION_HANDLER": "accounts.api.exceptions.exception_handler",
    # 429 with Retry-After past the rates of the anti-automation block (accounts/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.UserRateThrottle", "accounts.throttling.AnonRateThrottle"],
    "NUM_PROXIES": env.int("PROXY_COUNT", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=12)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": True,
    # A token signed in with a password (and its code) slides with use, but never past this age: a stolen
    # token stops working within a day however busy it is kept. Personal access tokens do not slide.
    "AUTO_REFRESH_MAX_TTL": timedelta(hours=env.int("API_TOKEN_MAX_AGE_HOURS", default=24)),
    "TOKEN_LIMIT_PER_USER": None,
}
# Named explicitly: accounts.PersonalToken points at knox's token model, which knox makes swappable.
KNOX_TOKEN_MODEL = "knox.AuthToken"
SPECTACULAR_SETTINGS = {
    "TITLE": "Trellis API",
    "DESCRIPTION": (
        "Treatment planning for mental-health practices. Authenticate with "
        "`POST /api/v1/auth/token`, then send `Authorization: Token <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # OpenAPI 3.1: `null` is a type there, so a nullable reference (`cosigned_by`) is `oneOf: [ref, null]`, which
    # generated clients and strict validators read right (3.0's `nullable` beside `allOf` they read as not null).
    "OAS_VERSION": "3.1.0",
    # operationIds and tags from the path after the version: `treatment_plans_retrieve`, tag `treatment-plans`.
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Every operation documents its error answers, in the API's error shape (accounts/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.api.schema.document_errors",
    ],
    # Swagger UI from our own static files: no third-party script on a PHI application.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PatientStatusEnum": "accounts.models.Patient.Status",
        "PlanStatusEnum": "treatment.models.PlanStatus",
        "GoalStatusEnum": "treatment.models.GoalStatus",
        "ReviewStatusEnum": "treatment.models.ReviewStatus",
        "ReportStatusEnum": "reviews.models.ReportStatus",
        "InstrumentCodeEnum": "treatment.instruments.INSTRUMENT_CODES",
        "RoleEnum": "accounts.models.Role",
        "SignatureRoleEnum": "reviews.models.SignatureRole",
        "SignatureStatusEnum": "treatment.models.SignatureStatus",
        "OutcomeScopeEnum": "treatment.outcomes.Scope",
        # The name the token scope had before the outcomes added a second "scope": the schema stays the same for it.
        "ScopeEnum": "accounts.models.PersonalToken.Scope",
    },
}

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
# A broker that is down must not hold a request for long: connecting gives up after BROKER_CONNECT_TIMEOUT
# seconds, a command on an open connection after BROKER_SOCKET_TIMEOUT, and a publish is retried once, at
# once (a pooled connection gone stale), before its error reaches the caller. Callers catch it: the row
# they wrote is the truth and a recovery sweep sends its message later (reviews/services/reports.py).
BROKER_CONNECT_TIMEOUT = env.float("BROKER_CONNECT_TIMEOUT", default=1.0)
BROKER_SOCKET_TIMEOUT = env.float("BROKER_SOCKET_TIMEOUT", default=3.0)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
if CELERY_BROKER_URL == "filesystem://":
    # The embedded broker of `make run`: messages are files under var/broker/.
    _broker_dir = VAR_DIR / "broker"
    _broker_dir.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
        "socket_timeout": BROKER_SOCKET_TIMEOUT,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Progress reports: a PDF render gets the soft limit (seconds) to finish, then is stopped at the hard
# limit; a failed render is tried again this many times (with backoff) before the report is `failed`.
REPORT_RENDER_SOFT_TIME_LIMIT = env.int("REPORT_RENDER_SOFT_TIME_LIMIT", default=100)
REPORT_RENDER_TIME_LIMIT = env.int("REPORT_RENDER_TIME_LIMIT", default=120)
REPORT_RENDER_MAX_RETRIES = env.int("REPORT_RENDER_MAX_RETRIES", default=2)
# The row is the truth, the broker's message only a hint (reviews/services/reports.py): a `pending` report
# whose message the broker never accepted is sent again by the next recovery sweep (every 2 minutes); one it
# accepted but no worker has claimed this many minutes later is sent again once the queue has drained (the
# message was lost); one still `pending` this many hours after it was asked for is `failed` with the reason.
REPORT_UNCLAIMED_AFTER = timedelta(minutes=env.int("REPORT_UNCLAIMED_AFTER_MINUTES", default=3))
REPORT_PENDING_MAX_AGE = timedelta(hours=env.int("REPORT_PENDING_MAX_AGE_HOURS", default=24))
# /readyz answers 503 when the oldest `pending` report was asked for longer ago than this: work is not flowing.
READY_QUEUE_MAX_AGE = timedelta(minutes=env.int("READY_QUEUE_MAX_AGE_MINUTES", default=15))

# --- Anti-automation -------------------------------------------------------------------------
# Rates are "N/period" (period: second, minute, hour, day), counted in the shared cache below
# (accounts/throttling.py). The API's: per signed-in user, and per client address for anonymous calls.
THROTTLE_API_USER_RATE = env.str("THROTTLE_API_USER_RATE", default="1200/minute")
THROTTLE_API_ANON_RATE = env.str("THROTTLE_API_ANON_RATE", default="60/minute")
# Sign-in attempts (the sign-in page, the admin's and POST /api/v1/auth/token count together) and
# password-reset requests, per client address and per account named (known or not: the answer is the same).
THROTTLE_SIGN_IN_IP_RATE = env.str("THROTTLE_SIGN_IN_IP_RATE", default="20/minute")
THROTTLE_SIGN_IN_ACCOUNT_RATE = env.str("THROTTLE_SIGN_IN_ACCOUNT_RATE", default="10/minute")
THROTTLE_PASSWORD_RESET_IP_RATE = env.str("THROTTLE_PASSWORD_RESET_IP_RATE", default="20/hour")
THROTTLE_PASSWORD_RESET_ACCOUNT_RATE = env.str("THROTTLE_PASSWORD_RESET_ACCOUNT_RATE", default="5/hour")
# Counters every web process and worker shares: Redis when there is one, else a table in the database
# (`make run` creates it with `createcachetable`), never a per-process memory a second process would not see.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "trellis",
            # A Redis that is down fails a request in seconds, as the broker does.
            "OPTIONS": {"socket_connect_timeout": BROKER_CONNECT_TIMEOUT, "socket_timeout": BROKER_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "trellis_cache"}}
# Rendered page fragments (the plan page's goal list: accounts/fragments.py), in each process's own memory: they
# hold patient data, which so never leaves the process, and they go with it (a deploy starts them afresh). They are
# keyed by everything they show, so they are never stale; FRAGMENT_CACHE_ENTRIES bounds them (the least recently
# used go first; a 10-goal plan's list is ~60 KB, a 60-goal plan's ~350 KB), 0 turns them off.
FRAGMENT_CACHE_ENTRIES = env.int("FRAGMENT_CACHE_ENTRIES", default=300)
CACHES["fragments"] = {
    "BACKEND": f"django.core.cache.backends.{'locmem.LocMemCache' if FRAGMENT_CACHE_ENTRIES else 'dummy.DummyCache'}",
    "LOCATION": "trellis-fragments",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": FRAGMENT_CACHE_ENTRIES, "CULL_FREQUENCY": 10},
}

# --- Email ------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Trellis <no-reply@trellis.invalid>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Where generated files (progress reports' PDFs, every FileField) are kept: FILE_STORAGE=filesystem (MEDIA_ROOT,
# the default: one machine, or a disk every web server and worker mounts), database (accounts.storage: shared by
# whatever shares the database, no set-up) or s3 (an S3-compatible object store through django-storages, private:
# files are handed out by the access-checked views that own them, never by a public address).
FILE_STORAGE = env.str("FILE_STORAGE", default="filesystem")
_file_storages: dict[str, dict[str, object]] = {
    "filesystem": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "database": {"BACKEND": "accounts.storage.DatabaseStorage"},
}
if FILE_STORAGE == "s3":
    if not env.str("S3_BUCKET", default=""):
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET (and the store's credentials).")
    _file_storages["s3"] = {
        # django-storages[s3] (boto3); S3_ENDPOINT_URL names a store other than AWS's (MinIO, Ceph, R2, ...).
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
if FILE_STORAGE not in _file_storages:
    raise ImproperlyConfigured(f"FILE_STORAGE must be one of filesystem, database, s3 (not {FILE_STORAGE!r}).")
STORAGES = {
    "default": _file_storages[FILE_STORAGE],
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Locale -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# One date format everywhere, the admin included ("1 Dec 2026", "1 Dec 2026, 14:05"): config/formats.
# Date inputs keep ISO values, so the browser's own date picker still works.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Transport security (production) ----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
    # Only once every subdomain serves HTTPS; preload asks browsers to ship the rule (hard to undo).
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Audit trail chain ------------------------------------------------------------------------
# Every audit event's MAC is keyed by this (accounts/audit_chain.py); it lives outside the database, so
# someone who can write the table cannot forge a chain that verifies. A web server refuses to start
# without it (as without SECRET_KEY); a command or worker refuses at the first event it would write.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if not AUDIT_HMAC_KEY:
    if DEBUG:
        AUDIT_HMAC_KEY = "dev-only-audit-chain-key-never-used-with-debug-off"
    elif os.environ.get("TRELLIS_SERVING"):
        raise ImproperlyConfigured("Set AUDIT_HMAC_KEY (or DEBUG=true for a development machine).")

# --- Browser security headers -------------------------------------------------------------------
# One Content-Security-Policy for every page, the admin and the API docs (django-csp, accounts/csp.py): scripts
# and styles come from our own static files or carry the response's nonce; nothing inline, no eval (htmx is told
# so in base.html), no plugins, no framing, no <base>, forms post only to us. Swagger UI runs under it unchanged
# but for its init script, which is a static address of its own (SpectacularSwaggerSplitView, config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        # Swagger UI's icons are data: SVGs.
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    }
}
# Browser features a treatment-planning app never uses are off for it and anything it could embed.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Logs: JSON lines in production, readable lines in development; a request id, user and practice on every
# line, one line per request, never PHI (accounts/request_log.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "accounts.request_log.RequestContextFilter"},
        "expected_refusals": {"()": "accounts.request_log.ExpectedRefusalFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user_id)s] %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(practice_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["expected_refusals"]},
        # WeasyPrint and the fontTools it subsets with log every layout and font step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
