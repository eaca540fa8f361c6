"""The timeline's system lines ("Assigned to Ana by the assignment rules"), described in the
reader's language. Services store what happened (`payload`); the text is made when shown, and
once in the site's default language for the message's `content` (API and webhooks)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def describe(payload: dict) -> str:
    action = payload.get("action")
    agent, by = payload.get("assignee_name"), payload.get("by_name")
    if action == "assigned":
        if not agent:
            if by:
                return _("Unassigned by %(by)s") % {"by": by}
            return pgettext("timeline line: the assignee was removed", "Unassigned")
        if not by:
            return _("Assigned to %(agent)s by the assignment rules") % {"agent": agent}
        if payload.get("took"):
            return _("%(agent)s took the conversation") % {"agent": agent}
        return _("Assigned to %(agent)s by %(by)s") % {"agent": agent, "by": by}
    if action == "status_changed":
        from conversations.models import Conversation

        status = dict(Conversation.Status.choices).get(payload.get("status"), payload.get("status", ""))
        return _("%(who)s changed the status to %(status)s") % {"who": by or _("the system"), "status": status}
    return ""


def describe_for_storage(payload: dict) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return describe(payload)
