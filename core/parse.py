"""Lenient reading of values from addresses and bodies: None instead of an exception, so a
malformed parameter is a clear 4xx (or simply ignored), never a 500."""

import uuid
from datetime import datetime

from django.utils.dateparse import parse_datetime


def uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def datetime_or_none(value) -> datetime | None:
    try:
        return parse_datetime(str(value or ""))
    except ValueError:  # well formed but impossible, e.g. month 13
        return None
