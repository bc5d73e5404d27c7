"""opsdesk settings, driven by environment variables.

OPSDESK_DATABASE_URL   a database URL (postgres://… or sqlite:///…); default:
                       the SQLite file ``opsdesk.sqlite3`` in OPSDESK_DATA_DIR.
OPSDESK_DATA_DIR       where the SQLite database and attachments live
                       (default ``./var``).
OPSDESK_SECRET_KEY     the secret key (a development key when unset).
OPSDESK_DEBUG          "1" for debug pages.
OPSDESK_REDIS_URL      when set: cache, sessions and the RQ task backend use Redis.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OPSDESK_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("OPSDESK_SECRET_KEY", "opsdesk-development-key-change-me-in-production-0123456789")
DEBUG = os.environ.get("OPSDESK_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("OPSDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "opsdesk.core",
    "opsdesk.accounts",
    "opsdesk.audit",
    "opsdesk.catalog",
    "opsdesk.calendars",
    "opsdesk.sla",
    "opsdesk.incidents",
    "opsdesk.cmdb",
    "opsdesk.reports",
    "opsdesk.notifications",
    "opsdesk.api",
    "opsdesk.ui",
    "opsdesk.demo",
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
    "django_htmx.middleware.HtmxMiddleware",
    "opsdesk.accounts.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "opsdesk.config.urls"
WSGI_APPLICATION = "opsdesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsdesk.ui.context_processors.navigation",
            ],
        },
    },
]

_database_url = os.environ.get("OPSDESK_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'opsdesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=int(os.environ.get("OPSDESK_CONN_MAX_AGE", "60")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs 100+ ms on the short OLTP queries of lists and queues, and saves nothing.
    DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("OPSDESK_TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "ui:login"
LOGIN_REDIRECT_URL = "ui:home"
LOGOUT_REDIRECT_URL = "ui:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing one; finders serve the files
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "attachments"

REDIS_URL = os.environ.get("OPSDESK_REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]  # django_tasks_rq needs django_rq (its system check says so)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Attachments: size limit in bytes and the accepted file types (by extension).
OPSDESK_ATTACHMENT_MAX_BYTES = int(os.environ.get("OPSDESK_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
OPSDESK_ATTACHMENT_EXTENSIONS = os.environ.get(
    "OPSDESK_ATTACHMENT_EXTENSIONS",
    "png,jpg,jpeg,gif,webp,pdf,txt,log,csv,xlsx,xls,docx,doc,pptx,zip,7z,eml,msg",
).split(",")
DATA_UPLOAD_MAX_MEMORY_SIZE = OPSDESK_ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Incident process settings.
OPSDESK_AUTO_CONFIRM_DAYS = int(os.environ.get("OPSDESK_AUTO_CONFIRM_DAYS", "3"))
OPSDESK_REOPEN_WINDOW_DAYS = int(os.environ.get("OPSDESK_REOPEN_WINDOW_DAYS", "7"))
OPSDESK_SLA_FIRING_LEASE_SECONDS = int(os.environ.get("OPSDESK_SLA_FIRING_LEASE_SECONDS", "120"))
OPSDESK_SLA_FIRING_QUEUE_TIMEOUT_SECONDS = int(os.environ.get("OPSDESK_SLA_FIRING_QUEUE_TIMEOUT_SECONDS", "1800"))
OPSDESK_NUMBER_TIMEZONE = "Asia/Shanghai"
OPSDESK_SITE_NAME = _("opsdesk")

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OPSDESK_LOG_LEVEL", "WARNING")},
}

# Email out (notifications). By default every message is written to a file in OPSDESK_DATA_DIR/mail and
# nothing leaves the machine; set OPSDESK_EMAIL_HOST (and the rest) to send through an SMTP server.
EMAIL_BACKEND = os.environ.get("OPSDESK_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if os.environ.get("OPSDESK_EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = os.environ.get("OPSDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("OPSDESK_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("OPSDESK_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("OPSDESK_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("OPSDESK_EMAIL_USE_TLS", "") == "1"  # STARTTLS, usually port 587
EMAIL_USE_SSL = os.environ.get("OPSDESK_EMAIL_USE_SSL", "") == "1"  # implicit TLS, usually port 465
EMAIL_TIMEOUT = int(os.environ.get("OPSDESK_EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("OPSDESK_EMAIL_FROM", "opsdesk <opsdesk@localhost>")
OPSDESK_BASE_URL = os.environ.get("OPSDESK_BASE_URL", "http://127.0.0.1:8000")  # links in email
