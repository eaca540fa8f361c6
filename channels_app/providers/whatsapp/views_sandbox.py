"""The sandbox Graph API, mounted at /sandbox/whatsapp/graph/ for this installation's sandbox
channels (sandbox.py does the work; tokens are checked there). Status callbacks are queued and
posted to the channel's webhook URL by a task, as Meta posts them after answering."""

import json

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_app.providers.whatsapp import sandbox
from core import tasks


@csrf_exempt
def graph(request, path: str) -> HttpResponse:
    body = None
    if request.content_type == "application/json" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = request.body
    files = {
        name: (upload.name, upload.read(), upload.content_type or "application/octet-stream")
        for name, upload in request.FILES.items()
    }
    reply, webhooks = sandbox.product_sandbox().handle(
        request.method,
        "/" + path,
        query=request.GET.dict(),
        headers=dict(request.headers),
        body=body,
        form=request.POST.dict() if request.method == "POST" else {},
        files=files,
    )
    by_channel: dict[int, list[str]] = {}
    for webhook in webhooks:
        by_channel.setdefault(webhook.number.channel_id, []).append(webhook.body.decode())
    for channel_id, bodies in by_channel.items():
        tasks.run("channels_app.providers.whatsapp.tasks.sandbox_post_webhooks", channel_id, bodies)
    return HttpResponse(reply.content(), status=reply.status, content_type=reply.content_type)
