"""Validators shared by forms and API serializers."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

FAR_FUTURE_YEARS = 10


def not_too_far_ahead(value) -> None:
    """A date at most ten years ahead. Snoozes and expiries further off are typing slips, and
    dates near year 9999 overflow when converted between time zones."""
    if value is None:
        return
    now = timezone.now()
    try:
        too_far = value.year > now.year + FAR_FUTURE_YEARS or value > now + timedelta(days=366 * FAR_FUTURE_YEARS)
    except OverflowError:
        too_far = True
    if too_far:
        raise ValidationError(
            _("Choose a date within the next %(years)s years.") % {"years": FAR_FUTURE_YEARS}, code="too_far_ahead"
        )
