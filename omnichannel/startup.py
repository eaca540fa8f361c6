"""Checks every server process makes before it accepts work."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secrets() -> None:
    """Fail at start, not at the first request, when the secrets are missing."""
    missing = [name for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS") if not getattr(settings, name, None)]
    if missing:
        raise ImproperlyConfigured(f"Set {' and '.join(missing)} in the environment (see README, Configuration).")
