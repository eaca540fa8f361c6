"""The one inbound webhook view for every provider: verify, store raw, answer 200.

Processing happens later in a task (channels_app.services.inbound_drain). Answering fast and
only after the raw event is committed is what keeps providers from retrying (or disabling our
webhook) and what makes a crash after the answer harmless.
"""

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from channels_app import registry, selectors, services
from channels_app.adapters import BadPayload, SignatureInvalid


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt
def receive(request, kind: str, channel_uuid) -> HttpResponse:
    channel = selectors.channel_get_for_webhook(kind=kind, uuid=channel_uuid)
    if channel is None:
        return _error(404, "not_found", _("No active channel has this webhook URL."))
    adapter = registry.adapter_for(channel)
    if (reply := adapter.handshake(request)) is not None:
        return reply
    if request.method != "POST":
        return _error(405, "method_not_allowed", _("Webhooks are delivered with POST."))
    try:
        adapter.verify(request)
    except SignatureInvalid:
        return _error(401, "invalid_signature", _("The request signature is missing or wrong."))
    headers = services.kept_headers(request)
    try:
        dedupe_key = adapter.dedupe_key(request.body, headers)
    except BadPayload as exc:
        return _error(400, "bad_payload", exc.reason)
    services.inbound_event_record(
        channel=channel,
        kind=kind,
        endpoint=f"channel:{channel.uuid}",
        dedupe_key=dedupe_key,
        body=request.body,
        headers=headers,
    )
    return JsonResponse({"status": "accepted"})
