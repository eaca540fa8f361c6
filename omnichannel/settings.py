"""Settings, read from the environment (or a `.env` file) with django-environ.

Two topologies share this file:
- production: PostgreSQL (`DATABASE_URL`) + Redis (`REDIS_URL`) for cache, channel layer and the
  django-q2 broker;
- zero-setup (`make run`, no `REDIS_URL`): SQLite, database cache, ORM broker, in-memory channel
  layer, and live events relayed through the database into the daphne process (core.realtime).
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if os.environ.get("OMNICHANNEL_SKIP_DOTENV") != "1":
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Both secrets are required to serve (omnichannel/startup.py refuses to start without them) and
# to touch credentials (core.crypto), but not for offline commands on a bare checkout such as
# `manage.py makemigrations --check`: Django itself refuses an empty SECRET_KEY where it is used.
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Set by omnichannel/asgi.py before Django loads: under ASGI, connections come from a pool.
RUNNING_ASGI = os.environ.get("OMNICHANNEL_ASGI") == "1"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "django_q",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "contacts",
    "channels_app",
    "channels_app.providers.whatsapp",
    "conversations",
    "monitoring",
    "webhooks",
    "channels_app.providers.web_widget",
    "channels_app.providers.email",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.RejectNulCharacters",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
]

ROOT_URLCONF = "omnichannel.urls"
WSGI_APPLICATION = "omnichannel.wsgi.application"
ASGI_APPLICATION = "omnichannel.asgi.application"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.console",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker write at once: WAL lets readers proceed, IMMEDIATE takes the write lock at
    # BEGIN (no lock upgrade deadlocks) and the timeout waits for it instead of failing.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    _db.setdefault("OPTIONS", {})
    # Server-side parameters let psycopg prepare statements it sees repeatedly: on the hot paths
    # PostgreSQL's planning costs more than executing the query.
    _db["OPTIONS"].setdefault("server_side_binding", env.bool("DATABASE_SERVER_SIDE_BINDING", default=True))
    if RUNNING_ASGI and env.bool("DATABASE_POOL", default=True):
        # Django's docs advise against persistent connections under ASGI; a pool reuses them.
        _db["CONN_MAX_AGE"] = 0
        _db["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": 10,
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
        _db["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = _db["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrUsernameBackend"]

# --- Redis or zero-setup --------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="oc"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env("CHANNEL_LAYER_PREFIX", default="oc-asgi"),
                "capacity": 1000,
            },
        }
    }
    LIVE_RELAY = "channel_layer"
else:
    # Counters and coalescing flags must be shared by web and worker: never LocMem here.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cache_table",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # The worker cannot reach daphne's in-memory layer: events go through a table instead.
    LIVE_RELAY = "database"

Q_CLUSTER = {
    "name": env("Q_CLUSTER_NAME", default="omnichannel"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 180,  # must exceed timeout, or a running task is handed out twice
    "max_attempts": 1,  # retries live in our own rows, not in the broker
    "queue_limit": 50,
    "save_limit": 100,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.1,
    "label": "Tasks",
    "sync": env.bool("Q_SYNC", default=False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("pt-br", "Português (Brasil)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=25 * 1024 * 1024)
ATTACHMENT_URL_TTL_SECONDS = env.int("ATTACHMENT_URL_TTL_SECONDS", default=3600)

# --- Security -------------------------------------------------------------------------------
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and PUBLIC_BASE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("SECURE_PROXY_SSL", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
# Outbound webhooks and `api`-channel callbacks refuse private targets unless this is set.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)

# --- Outbound HTTP and providers ------------------------------------------------------------
HTTP_TIMEOUT_SECONDS = env.float("HTTP_TIMEOUT_SECONDS", default=15.0)
# Every provider's API base URL, so tests and staging can point them at local servers.
PROVIDER_BASE_URLS = {
    "meta_graph": env("META_GRAPH_BASE_URL", default="https://graph.facebook.com"),
    "twilio": env("TWILIO_API_BASE_URL", default="https://api.twilio.com"),
    "zenvia": env("ZENVIA_API_BASE_URL", default="https://api.zenvia.com"),
    "aws_sns": env("AWS_SNS_ENDPOINT_URL", default=""),
    "plivo": env("PLIVO_API_BASE_URL", default="https://api.plivo.com"),
    "google_oauth": env("GOOGLE_OAUTH_BASE_URL", default="https://oauth2.googleapis.com"),
    "google_accounts": env("GOOGLE_ACCOUNTS_BASE_URL", default="https://accounts.google.com"),
    "google_calendar": env("GOOGLE_CALENDAR_BASE_URL", default="https://www.googleapis.com"),
    "microsoft_login": env("MICROSOFT_LOGIN_BASE_URL", default="https://login.microsoftonline.com"),
    "microsoft_graph": env("MICROSOFT_GRAPH_BASE_URL", default="https://graph.microsoft.com"),
    # The product's own stand-in for the Graph API, used by WhatsApp channels in sandbox mode;
    # empty means the one this server mounts at PUBLIC_BASE_URL/sandbox/whatsapp/graph.
    "whatsapp_sandbox": env("WHATSAPP_SANDBOX_BASE_URL", default=""),
}
META_GRAPH_API_VERSION = env("META_GRAPH_API_VERSION", default="v21.0")

# --- Pipelines ------------------------------------------------------------------------------
INBOUND_BATCH_SIZE = env.int("INBOUND_BATCH_SIZE", default=100)
OUTBOUND_BATCH_SIZE = env.int("OUTBOUND_BATCH_SIZE", default=50)
WORK_LEASE_SECONDS = env.int("WORK_LEASE_SECONDS", default=120)

# --- Public API (docs/api.md) and outbound webhooks (docs/webhooks.md) ---------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [],  # core.api.views.ApiView applies core.ratelimit instead
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front of the web processes whose X-Forwarded-For is trusted (client address
    # for anonymous rate limits); 0 means REMOTE_ADDR.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Omnichannel Helpdesk API",
    "DESCRIPTION": "Conversations, messages, contacts, channels and outbound webhooks. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "conversations.models.Conversation.Status",
        "MessageStatusEnum": "conversations.models.Message.Status",
        "ChannelStatusEnum": "channels_app.models.Channel.Status",
        "DeliveryStatusEnum": "webhooks.models.WebhookDelivery.Status",
    },
}
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default=SECRET_KEY)
JWT_ACCESS_TTL_SECONDS = env.int("JWT_ACCESS_TTL_SECONDS", default=15 * 60)
JWT_REFRESH_TTL_SECONDS = env.int("JWT_REFRESH_TTL_SECONDS", default=30 * 24 * 3600)
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=100)  # per API key (or user) and window
API_MESSAGE_RATE_LIMIT = env.int("API_MESSAGE_RATE_LIMIT", default=300)  # message endpoints, own bucket
API_RATE_LIMIT_ANONYMOUS = env.int("API_RATE_LIMIT_ANONYMOUS", default=60)  # per client address
API_RATE_LIMIT_WINDOW_SECONDS = env.int("API_RATE_LIMIT_WINDOW_SECONDS", default=60)
API_IDEMPOTENCY_TTL_SECONDS = 24 * 3600
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_RETRY_WINDOW_SECONDS = env.int("WEBHOOK_RETRY_WINDOW_SECONDS", default=3 * 24 * 3600)
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=20)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)

# --- E-mail channel (channels_app.providers.email) -------------------------------------------
# OAuth apps for XOAUTH2 mailboxes (Google Workspace/Gmail, Microsoft 365). Redirect URI to
# register: PUBLIC_BASE_URL + /channels/email/oauth/callback/
EMAIL_OAUTH_CLIENTS = {
    "google": {
        "client_id": env("EMAIL_GOOGLE_CLIENT_ID", default=""),
        "client_secret": env("EMAIL_GOOGLE_CLIENT_SECRET", default=""),
    },
    "microsoft": {
        "client_id": env("EMAIL_MICROSOFT_CLIENT_ID", default=""),
        "client_secret": env("EMAIL_MICROSOFT_CLIENT_SECRET", default=""),
        "tenant": env("EMAIL_MICROSOFT_TENANT", default="common"),
    },
}
EMAIL_CHANNEL_TIMEOUT_SECONDS = env.float("EMAIL_CHANNEL_TIMEOUT_SECONDS", default=30.0)
EMAIL_MAX_MESSAGE_BYTES = env.int("EMAIL_MAX_MESSAGE_BYTES", default=40 * 1024 * 1024)
EMAIL_POLL_BATCH = env.int("EMAIL_POLL_BATCH", default=200)  # mails per poll; the rest next poll
# Raw events larger than this are kept in file storage instead of the database row.
INBOUND_INLINE_BODY_MAX_BYTES = env.int("INBOUND_INLINE_BODY_MAX_BYTES", default=256 * 1024)

# --- Mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="helpdesk@localhost")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "django-q": {"level": env("Q_LOG_LEVEL", default="WARNING")},
    },
}
