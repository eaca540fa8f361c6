"""Encryption of secrets at rest with MultiFernet.

`FIELD_ENCRYPTION_KEYS` holds one or more Fernet keys, newest first: values are encrypted with the
first and decrypted with any, so a new key can be prepended and old rows re-encrypted later
(`manage.py rotate_encryption_keys`).
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASK = "••••"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must hold at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    return fernet().rotate(token.encode()).decode()


def mask(value: object) -> str:
    """`••••abcd`: enough to tell two secrets apart, never enough to use one."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    return MASK + (text[-4:] if len(text) >= 12 else "")


def mask_mapping(values: dict) -> dict:
    return {key: mask(value) for key, value in (values or {}).items()}
