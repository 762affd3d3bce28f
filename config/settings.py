"""Parcours settings: one file, driven by environment variables.

Every variable is listed in the README. The defaults are the embedded, laptop-friendly set-up
(SQLite in WAL mode, Celery on the filesystem transport, console e-mail, private files in ./var);
production sets PARCOURS_ENV=production and provides the secrets, DATABASE_URL and CELERY_BROKER_URL.
"""

import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PARCOURS_ENV = env("PARCOURS_ENV", "development")  # development | test | production
PRODUCTION = PARCOURS_ENV == "production"
DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)

# Development keys are fixed so that a laptop install works out of the box; production must set its own.
_DEV_SECRET = "dev-only-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env("DJANGO_SECRET_KEY", None if PRODUCTION else _DEV_SECRET)

# NIR protection: encryption keys (Fernet, first one encrypts, all decrypt: rotation) and a separate
# HMAC key for the matching hash of the 13-digit stem. Neither is derived from SECRET_KEY.
NIR_ENCRYPTION_KEYS = env_list(
    "NIR_ENCRYPTION_KEYS", "" if PRODUCTION else "ZGV2LW9ubHktbmlyLWtleS1mb3ItbGFwdG9wcy0wMDA="
)
NIR_HASH_KEY = env("NIR_HASH_KEY", None if PRODUCTION else "dev-only-nir-hash-key")
# A previous hash key, kept during a rotation so that matching still works until `rotate_nir_keys` ran.
NIR_HASH_PREVIOUS_KEY = env("NIR_HASH_PREVIOUS_KEY", "") or None

if PRODUCTION:
    missing = [
        name
        for name, value in {
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "NIR_ENCRYPTION_KEYS": NIR_ENCRYPTION_KEYS,
            "NIR_HASH_KEY": NIR_HASH_KEY,
        }.items()
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"Variables d'environnement manquantes en production : {', '.join(missing)}")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "guardian",
    "axes",
    "csp",
    "audit",
    "partners",
    "accompaniment",
    "orientation",
    "childcare",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "accompaniment.middleware.AggregatesOnlyMiddleware",
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
                "partners.context_processors.operator",
                "partners.context_processors.navigation",
                "accompaniment.context_processors.alert_bell",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default, PostgreSQL through DATABASE_URL.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'parcours.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "60")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "partners.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object

# Sessions: short-lived, closed with the browser, renewed on activity.
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes): 5 failures lock the username + IP pair for 30 minutes.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False

# Security headers; production turns on the HTTPS-only settings.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BASE_DIR / "var" / "public-media"), "base_url": "/media-not-served/"},
    },
    # Nominative files (uploads, rejected-row reports, exports): never served directly, only through
    # permission-checked views.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "var" / "private"))},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
EXPORT_RETENTION_DAYS = int(env("EXPORT_RETENTION_DAYS", "7"))
IMPORT_RETENTION_DAYS = int(env("IMPORT_RETENTION_DAYS", "90"))
# The largest file an agent may upload on the « Imports » page (a monthly flux of 50,000 households is ~150 MB);
# the reverse proxy's body limit should allow it.
PARCOURS_IMPORT_MAX_BYTES = int(env("PARCOURS_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))

# E-mail: console by default.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Parcours <ne-pas-repondre@parcours.localhost>")

# Celery: filesystem transport by default (a real worker and beat with no Redis), Redis in production.
CELERY_DATA_DIR = Path(env("CELERY_DATA_DIR", str(BASE_DIR / "var" / "celery")))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", None)
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "results", "control"):
        (CELERY_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        # The worker's broadcast exchanges: in the data folder, not in the current directory.
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or f"file://{CELERY_DATA_DIR / 'results'}"
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "3600")),
    }
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "config.heartbeat", "schedule": 60.0},
    "revoke-expired-shares": {
        "task": "accompaniment.revoke_expired_shares",
        "schedule": crontab(minute=5),
    },
    "refresh-statuses": {
        "task": "accompaniment.refresh_statuses",
        "schedule": crontab(hour=5, minute=30),
    },
    # Insertion offer: prescriptions left 7 days without answer are marked expired (SPEC §4).
    "expire-prescriptions": {"task": "orientation.expire_prescriptions", "schedule": crontab(minute=45)},
    "purge-expired-exports": {
        "task": "accompaniment.purge_expired_exports",
        "schedule": crontab(minute=15),
    },
    # Stored copies of imported files are deleted after IMPORT_RETENTION_DAYS (SPEC §1).
    "purge-expired-imports": {
        "task": "accompaniment.purge_expired_imports",
        "schedule": crontab(hour=3, minute=15),
    },
    # Deadlines (SPEC §5): the check daily at 06:00 Europe/Paris (CELERY_TIMEZONE), hour-based rules hourly,
    # then the e-mail digest of the day's alerts.
    "check-deadlines": {"task": "accompaniment.check_deadlines", "schedule": crontab(hour=6, minute=0)},
    "check-hourly-deadlines": {
        "task": "accompaniment.check_deadlines",
        "schedule": crontab(minute=30),
        "kwargs": {"hourly": True},
    },
    "send-deadline-digests": {"task": "accompaniment.send_deadline_digests", "schedule": crontab(hour=7, minute=0)},
    # The dashboards' stored figures of the current and previous quarters, per sector, kept fresh.
    "refresh-report-snapshots": {"task": "reporting.refresh_snapshots", "schedule": crontab(minute=40)},
}
# The heartbeat is stale (and /healthz answers 503) after this many seconds without a beat.
HEARTBEAT_STALE_AFTER = int(env("HEARTBEAT_STALE_AFTER", "300"))

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_CACHE_URL"),
    }
    if env("REDIS_CACHE_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# The operator: the Département that runs Parcours (theme from settings).
PARCOURS_DEPARTEMENT = env("PARCOURS_DEPARTEMENT", "13")
PARCOURS_OPERATOR_NAME = env("PARCOURS_OPERATOR_NAME", "Département des Bouches-du-Rhône")
PARCOURS_OPERATOR_SHORT_NAME = env("PARCOURS_OPERATOR_SHORT_NAME", "Département 13")
PARCOURS_PRIMARY_COLOR = env("PARCOURS_PRIMARY_COLOR", "#1d4e89")
PARCOURS_ACCENT_COLOR = env("PARCOURS_ACCENT_COLOR", "#f2a900")
PARCOURS_LOGO = env("PARCOURS_LOGO", "img/logo-departement.svg")
PARCOURS_CONTACT_EMAIL = env("PARCOURS_CONTACT_EMAIL", "dpo@departement.example")
PARCOURS_DPO_EMAIL = env("PARCOURS_DPO_EMAIL", "dpo@departement.example")
# Where a person contests an orientation decision (named in the notification letter).
PARCOURS_ADMINISTRATIVE_COURT = env("PARCOURS_ADMINISTRATIVE_COURT", "tribunal administratif de Marseille")
# Deadlines whose clock started before this date are not created (no backlog of breaches at switch-on).
PARCOURS_GO_LIVE_DATE = date.fromisoformat(env("PARCOURS_GO_LIVE_DATE", "2025-01-01"))
PARCOURS_PAGE_SIZE = int(env("PARCOURS_PAGE_SIZE", "50"))
# Statistical secrecy of the COPIL report and dashboards: a count under this threshold is masked (0 disables it).
PARCOURS_REPORT_MASK_THRESHOLD = int(env("PARCOURS_REPORT_MASK_THRESHOLD", "5"))
# Dashboards read stored figures younger than this (materialised aggregates: a computation takes seconds).
PARCOURS_REPORT_SNAPSHOT_MINUTES = int(env("PARCOURS_REPORT_SNAPSHOT_MINUTES", "60"))
# The address of the application in the links of e-mails (the daily digest of deadline alerts).
PARCOURS_BASE_URL = env("PARCOURS_BASE_URL", "http://127.0.0.1:8000")
# A deadline check that finds another one running (or a locked SQLite database) retries after this delay.
DEADLINE_CHECK_RETRY_SECONDS = int(env("DEADLINE_CHECK_RETRY_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Never log request bodies or SQL parameters: they may hold nominative data.
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Legal notice ("Mentions légales", LCEN art. 6): the publisher's address and the host -------------------
# Set by each deployment; the page says plainly which ones are not filled in yet.
PARCOURS_OPERATOR_ADDRESS = env("PARCOURS_OPERATOR_ADDRESS", "")
PARCOURS_HOST_NAME = env("PARCOURS_HOST_NAME", "")
PARCOURS_HOST_ADDRESS = env("PARCOURS_HOST_ADDRESS", "")
PARCOURS_HOST_PHONE = env("PARCOURS_HOST_PHONE", "")
# --- end of the legal-notice block ---------------------------------------------------------------------------
