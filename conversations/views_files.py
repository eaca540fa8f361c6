"""Attachment downloads, only through signed, expiring URLs (conversations.attachments)."""

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from conversations import attachments, selectors
from conversations.models import Attachment


@require_GET
def attachment_download(request, token: str):
    unsigned = attachments.unsign(token)
    if unsigned is None:
        raise Http404
    attachment_uuid, user_id = unsigned
    attachment = Attachment.objects.select_related("message__conversation").filter(uuid=attachment_uuid).first()
    if attachment is None:
        raise Http404
    if user_id is not None:
        # A URL minted for an agent works only for that agent, and only while they may see it.
        if request.user.pk != user_id or not selectors.can_see_conversation(
            user=request.user, conversation=attachment.message.conversation
        ):
            raise Http404
    inline = attachments.is_inline(attachment.content_type)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not inline,
        filename=attachment.name,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"
    response["Cache-Control"] = "private, max-age=300"
    return response
