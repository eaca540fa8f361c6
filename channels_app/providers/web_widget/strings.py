"""Every string the chat frame shows, translated on the server into the widget's language and
handed to the frame's script as JSON (the script itself holds no text)."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def widget_strings() -> dict[str, str]:
    return {
        "open": _("Open the chat"),
        "close": _("Close the chat"),
        "message_label": _("Your message"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "attach": _("Attach a file"),
        "remove_file": _("Remove %(name)s"),
        "online": _("We usually answer in a few minutes"),
        "away": _("We are away right now"),
        "prechat_title": _("Before we start, tell us about you"),
        "prechat_submit": _("Start the chat"),
        "required": _("Required"),
        "optional": _("optional"),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "seen": _("Seen"),
        "failed": _("Not sent."),
        "retry": _("Try again"),
        "typing": _("%(name)s is typing…"),
        "someone_typing": _("Someone is typing…"),
        "ended": _("This conversation has ended. Write to start a new one."),
        "earlier": _("Show earlier messages"),
        "you": _("You"),
        "bot": _("Assistant"),
        "agent": _("Team"),
        "reconnecting": _("Reconnecting…"),
        "offline": _("You are offline. Your messages will be sent when the connection is back."),
        "verification_required": _("Sign in on the site to chat with us."),
        "unread_one": ngettext("%(count)s new message", "%(count)s new messages", 1),
        "unread_many": ngettext("%(count)s new message", "%(count)s new messages", 2),
        "new_message": _("New message"),
        "too_large": _("%(name)s is too large; the limit is %(limit)s MB."),
        "not_accepted": _("Files of this type are not accepted here."),
        "uploading": _("Uploading %(name)s…"),
        "image": _("Image"),
        "file": _("File"),
        "chat_log": _("Messages"),
        "error": _("Something went wrong. Try again in a moment."),
        "preview_visitor": _("Hi! Has my order shipped yet?"),
        "preview_agent": _("Hello! Yes, it left this morning. Anything else I can help with?"),
        "preview_agent_name": _("Ana from the team"),
    }
