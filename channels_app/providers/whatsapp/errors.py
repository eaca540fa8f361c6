"""Meta error codes → what we do about them, in plain words for the agent.

Meta advises building on the numeric `code` (and `error_data.details`), never on titles. The same
codes come back synchronously (the Graph error envelope of a failed call) and asynchronously (a
`failed` status's `errors[]`, e.g. 131047 is usually only reported there). Checked against Meta's
Cloud API error-code table as copied by several partners; see docs/channels/whatsapp.md.

Three outcomes, as ChannelError expresses them:
- transient: rate limits and Meta-side trouble: retried with backoff by the outbound drain;
- permanent: retrying the same request cannot help: the message fails with the reason;
- reconnect: the credentials or the account are unusable: permanent, and the channel is flagged
  "reconnect needed" on the status panel until an admin fixes it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from channels_app.adapters import ChannelError

TRANSIENT, PERMANENT, RECONNECT = "transient", "permanent", "reconnect"
DETAILS_HELP = {100, 131005, 131008, 131009, 131051, 132000, 132012, 1, 2, 131000}


@dataclass(frozen=True)
class Classified:
    outcome: str
    reason: str


def _reason(code: int) -> tuple[str, str] | None:
    """(outcome, plain-language reason) for the codes we know; None for the others."""
    if code in (0, 190):
        return RECONNECT, _(
            "WhatsApp refused the access token (expired or revoked): reconnect the channel with a new token."
        )
    if code in (3, 10) or 200 <= code <= 299:
        return RECONNECT, _(
            "The access token lacks a WhatsApp permission (whatsapp_business_messaging or "
            "whatsapp_business_management): reconnect the channel with a token that has it."
        )
    return {
        4: (TRANSIENT, _("Meta's rate limit for this app was reached; sending will resume shortly.")),
        80007: (TRANSIENT, _("Meta's rate limit for this WhatsApp Business Account was reached.")),
        130429: (TRANSIENT, _("Too many messages per second from this number; sending will resume shortly.")),
        131056: (
            TRANSIENT,
            _("Too many messages to this customer in a short time; the next attempt waits a little."),
        ),
        131048: (TRANSIENT, _("WhatsApp is limiting this number because of spam reports; check its quality rating.")),
        1: (TRANSIENT, _("WhatsApp reported an unknown error.")),
        2: (TRANSIENT, _("WhatsApp is temporarily unavailable.")),
        131000: (TRANSIENT, _("Something went wrong at WhatsApp.")),
        131016: (TRANSIENT, _("WhatsApp is overloaded.")),
        131052: (TRANSIENT, _("WhatsApp could not download the file.")),
        131053: (TRANSIENT, _("WhatsApp could not process the file we uploaded.")),
        131047: (
            PERMANENT,
            _("More than 24 hours since the customer last wrote: send an approved template."),
        ),
        131026: (
            PERMANENT,
            _(
                "The message could not be delivered: the number may not be on WhatsApp, or the customer "
                "has an old app or has not accepted WhatsApp's terms. Try another channel."
            ),
        ),
        131049: (
            PERMANENT,
            _("WhatsApp chose not to deliver this marketing message (per-customer limit); try again much later."),
        ),
        131050: (PERMANENT, _("The customer stopped marketing messages from this business.")),
        130472: (PERMANENT, _("WhatsApp did not deliver: the customer's number is part of a Meta experiment.")),
        131030: (
            PERMANENT,
            _("This test number may only message the recipients listed in Meta's dashboard; add this number there."),
        ),
        131051: (PERMANENT, _("WhatsApp does not support this message type.")),
        131021: (PERMANENT, _("The recipient is the sending number itself.")),
        131005: (PERMANENT, _("WhatsApp denied access to this request.")),
        131008: (PERMANENT, _("WhatsApp refused the message: a required field is missing.")),
        131009: (PERMANENT, _("WhatsApp refused the message: a value is not valid.")),
        100: (PERMANENT, _("WhatsApp refused the request: a parameter is not valid.")),
        132000: (PERMANENT, _("The template's parameters do not match the approved template.")),
        132001: (PERMANENT, _("This template does not exist in this language: sync templates and pick again.")),
        132005: (PERMANENT, _("The filled-in template text is too long.")),
        132007: (PERMANENT, _("The template's text breaks WhatsApp's formatting policy.")),
        132012: (PERMANENT, _("A template parameter has the wrong format.")),
        132015: (PERMANENT, _("This template is paused by Meta because of low quality.")),
        132016: (PERMANENT, _("This template was disabled by Meta.")),
        131031: (RECONNECT, _("Meta locked this WhatsApp Business Account: check the account's status in Meta.")),
        131042: (RECONNECT, _("Meta reported a payment or eligibility problem with this WhatsApp Business Account.")),
        133010: (RECONNECT, _("This phone number is not registered on the Cloud API: register it in Meta.")),
        368: (RECONNECT, _("Meta temporarily blocked this account for a policy violation.")),
        33: (RECONNECT, _("This business phone number was deleted at Meta.")),
    }.get(code)


def classify(*, code: int | None, http_status: int | None = None, details: str = "", message: str = "") -> Classified:
    """What an error means for us. Unknown codes fall back on the HTTP status: 408/429/5xx are
    transient, other 4xx permanent, 401 a credentials problem."""
    known = _reason(code) if code is not None else None
    if known is None:
        if http_status == 401:
            outcome = RECONNECT
            base = _("WhatsApp refused the credentials: reconnect the channel.")
        elif http_status is None or http_status in (408, 429) or http_status >= 500:
            outcome = TRANSIENT
            base = _("WhatsApp could not take the request right now.")
        else:
            outcome = PERMANENT
            base = _("WhatsApp refused the request.")
    else:
        outcome, base = known
    # Meta's details name the offending parameter: worth showing where our words stay generic.
    extra = (details or message or "").strip()
    if extra and (known is None or code in DETAILS_HELP):
        base = f"{base} ({extra[:300]})"
    return Classified(outcome=outcome, reason=base)


def channel_error(
    *, code: int | None, http_status: int | None = None, details: str = "", message: str = ""
) -> ChannelError:
    found = classify(code=code, http_status=http_status, details=details, message=message)
    return ChannelError(
        found.reason,
        permanent=found.outcome != TRANSIENT,
        reconnect=found.outcome == RECONNECT,
        code=str(code) if code is not None else (str(http_status) if http_status else ""),
    )


def from_graph_response(response) -> ChannelError:
    """A failed Graph call (any 4xx/5xx) → ChannelError. Reads the Graph error envelope
    `{"error": {"code", "message", "error_data": {"details"}}}` when there is one."""
    code, details, message = None, "", ""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, dict):
        if isinstance(error.get("code"), int):
            code = error["code"]
        data = error.get("error_data")
        details = str(data.get("details") or "") if isinstance(data, dict) else ""
        message = str(error.get("message") or "")
    if code is None and not message:
        message = response.text.strip()[:200]
    return channel_error(code=code, http_status=response.status_code, details=details, message=message)


def status_error_reason(errors: list) -> tuple[str, str]:
    """(reason, code) for a `failed` status's `errors[]`."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = first.get("code") if isinstance(first.get("code"), int) else None
    data = first.get("error_data") if isinstance(first.get("error_data"), dict) else {}
    found = classify(code=code, details=str(data.get("details") or ""), message=str(first.get("title") or ""))
    return found.reason, str(code) if code is not None else ""
