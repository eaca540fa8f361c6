"""The events a webhook subscription may ask for (docs/webhooks.md describes each payload)."""

from django.utils.translation import gettext_lazy as _

from core import events

EVENTS = {
    events.MESSAGE_RECEIVED: _("A contact's message arrived."),
    events.MESSAGE_CREATED: _("An agent, bot or API client wrote a message or a private note."),
    events.MESSAGE_SENT: _("The provider accepted an outgoing message."),
    events.MESSAGE_DELIVERED: _("An outgoing message reached the contact's device."),
    events.MESSAGE_READ: _("The contact read an outgoing message."),
    events.MESSAGE_FAILED: _("An outgoing message failed for good (the reason is in `data.error`)."),
    events.MESSAGE_UPDATED: _("A message was edited, marked read or retried."),
    events.CONVERSATION_CREATED: _("A conversation started."),
    events.CONVERSATION_STATUS_CHANGED: _("A conversation was opened, set pending, snoozed or resolved."),
    events.CONVERSATION_ASSIGNED: _("A conversation was assigned, transferred or unassigned."),
    events.CONVERSATION_UPDATED: _("A conversation's labels or unread count changed."),
    events.CONTACT_CREATED: _("A contact was created."),
    events.CONTACT_UPDATED: _("A contact's profile changed."),
    events.CHANNEL_STATUS_CHANGED: _("A channel's connection status changed."),
}
ALL = "*"

# Contact events carry no inbox, so only subscriptions of administrators receive them.
ADMIN_ONLY_PREFIXES = ("contact.",)
