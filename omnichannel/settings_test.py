"""Settings for the test suite: PostgreSQL and Redis on this machine unless the environment
says otherwise. Servers that tests start in subprocesses use this module too."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnichannel")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "g2Qv4jB2bV0hVZ3m2x3Jt0oJ5Fh1eJbqXWm9y8p1dE0=")
os.environ.setdefault("Q_SYNC", "true")
os.environ.setdefault("PUBLIC_BASE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("CACHE_KEY_PREFIX", f"test{os.getpid()}")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"test{os.getpid()}")
os.environ.setdefault("DEBUG", "false")
os.environ["OMNICHANNEL_SKIP_DOTENV"] = "1"  # a developer's .env never changes the test run

from omnichannel.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

# Serve static files as they are on disk now, even if `collectstatic` ran earlier in this tree.
WHITENOISE_AUTOREFRESH = True
