"""Saving settings forms safely."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _


def save_unless_taken(form, save):
    """`save(form=form)`, or None with the reason on the form when a unique constraint refuses
    it: the form's own check passed, but another admin saved the same name a moment earlier."""
    try:
        with transaction.atomic():
            return save(form=form)
    except IntegrityError:
        form.add_error(None, _("Someone else saved this name a moment ago: choose another and save again."))
        return None
