"""Settings, read from PORTOLAN_* environment variables with secure defaults."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from portolan.env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DEBUG = env_bool("PORTOLAN_DEBUG", False)

SECRET_KEY = env_str("PORTOLAN_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "PORTOLAN_SECRET_KEY is required when PORTOLAN_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = "insecure-debug-only-key-never-use-in-production"  # noqa: S105 - debug only

ALLOWED_HOSTS = env_list("PORTOLAN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
DATA_DIR = Path(env_str("PORTOLAN_DATA_DIR", str(BASE_DIR.parent / "var"))).resolve()
CURRENCY = env_str("PORTOLAN_CURRENCY", "EUR")

DATABASES = {
    "default": dj_database_url.parse(
        env_str("PORTOLAN_DATABASE_URL", f"sqlite:///{DATA_DIR / 'portolan.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "portolan.core",
    "portolan.portfolio",
    "portolan.planning",
    "portolan.kpis",
    "portolan.risks",
    "portolan.operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portolan.core.middleware.RequestIdMiddleware",
    "portolan.core.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "portolan.urls"
WSGI_APPLICATION = "portolan.wsgi.application"

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
                "portolan.core.context_processors.portolan",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("PORTOLAN_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "uploads"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploads: anything larger than this is refused before it is parsed.
MAX_UPLOAD_BYTES = int(env_str("PORTOLAN_MAX_UPLOAD_MB", "64")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

# Security: on unless debugging.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("PORTOLAN_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("PORTOLAN_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("PORTOLAN_SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(env_str("PORTOLAN_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("PORTOLAN_CSRF_TRUSTED_ORIGINS", [])

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portolan.core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portolan.core.api.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portolan API",
    "DESCRIPTION": "Portfolio objects of an infrastructure program office.",
    "VERSION": "0.1.0",
    "SERVE_PERMISSIONS": ["portolan.core.api.permissions.RolePermission"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"RagEnum": "portolan.portfolio.models.RAG"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PORTOLAN_LOG_LEVEL", "WARNING")},
}
