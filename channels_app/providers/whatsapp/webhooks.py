"""The app-level webhook: one callback URL for every number of a Meta app.

Meta lets an app have one callback URL and one verify token, and signs each delivery with the
app's secret. Here the POST is verified with that secret before anything in it is read, stored
raw with no channel (endpoint `whatsapp-app:<uuid>`), and answered 200; the inbound drain later
routes each change to the channel whose `metadata.phone_number_id` it carries (numbers we do not
know are acknowledged and logged). Per-number URLs go through channels_app.webhooks as usual.
"""

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from channels_app import services
from channels_app.adapters import BadPayload
from channels_app.providers.whatsapp import parsing, selectors, signature


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt
def receive_app(request, app_uuid) -> HttpResponse:
    app = selectors.meta_app_get_for_webhook(uuid=app_uuid)
    if app is None:
        return _error(404, "not_found", _("No active Meta app has this webhook URL."))
    if request.method == "GET":
        answer = signature.handshake_answer(request.GET, app.credentials.get("verify_token", ""))
        if answer is not None:
            return HttpResponse(answer[1], status=answer[0], content_type="text/plain; charset=utf-8")
    if request.method != "POST":
        return _error(405, "method_not_allowed", _("Webhooks are delivered with POST."))
    if not signature.is_valid(
        app.credentials.get("app_secret", ""), request.body, request.headers.get(signature.HEADER)
    ):
        return _error(401, "invalid_signature", _("The request signature is missing or wrong."))
    try:
        dedupe_key = parsing.dedupe_key(request.body)
    except BadPayload as exc:
        return _error(400, "bad_payload", exc.reason)
    services.inbound_event_record(
        channel=None,
        kind="whatsapp",
        endpoint=app.endpoint,
        dedupe_key=dedupe_key,
        body=request.body,
        headers=services.kept_headers(request),
    )
    return JsonResponse({"status": "accepted"})
