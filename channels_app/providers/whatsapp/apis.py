"""WhatsApp message templates in the public API (`/api/v1/channels/{id}/templates`).

Listing is for everyone who works the channel (they need the parameters to send one); syncing
from Meta is for administrators, as in the console. Sending a template is an ordinary message
(`POST /conversations/{id}/messages` with `template`), checked by the shared send path.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from channels_app.adapters import ChannelError
from channels_app.models import Channel
from channels_app.providers.whatsapp import selectors, services, templating
from channels_app.providers.whatsapp.models import MessageTemplate
from conversations import selectors as access
from core.api import fields
from core.api.pagination import PageParams, page_serializer, paginate
from core.api.schema import error_response
from core.api.views import AdminWrites, ApiView, validated_query
from core.exceptions import ProviderUnavailable


class TemplateFieldOut(serializers.Serializer):
    component = serializers.ChoiceField(choices=["header", "body", "buttons"])
    key = serializers.CharField(help_text="The key under `parameters.<component>`: a placeholder, `link`, an index.")
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["text", "media", "url_suffix", "payload", "coupon_code"])
    required = serializers.BooleanField()
    example = serializers.CharField(help_text="Meta's example value, if the template has one.")


class TemplateOut(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    language = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField(help_text="Meta's: APPROVED, PAUSED, REJECTED, PENDING, ...")
    sendable = serializers.BooleanField(source="is_sendable", help_text="Only approved templates can be sent.")
    rejected_reason = serializers.CharField()
    parameters = serializers.SerializerMethodField(
        help_text="What a send's `parameters` must (or may) give, in form order."
    )
    preview = serializers.SerializerMethodField(help_text="The text with its placeholders.")
    components = serializers.ListField(child=serializers.DictField(), help_text="As Meta lists them.")
    synced_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(TemplateFieldOut(many=True))
    def get_parameters(self, template) -> list:
        return [vars(f) for f in templating.fields(template.components)]

    def get_preview(self, template) -> str:
        return templating.preview(template.components)


class TemplateSyncOut(serializers.Serializer):
    synced = serializers.IntegerField(help_text="How many templates Meta listed.")


TEMPLATE_EXAMPLE = {
    "id": "9b2f7c1e-4d3a-4f6b-8e2d-1c0a9b8e7f6d",
    "name": "pedido_enviado",
    "language": "pt_BR",
    "category": "UTILITY",
    "status": "APPROVED",
    "sendable": True,
    "rejected_reason": "",
    "parameters": [
        {"component": "body", "key": "1", "label": "Text {{1}}", "kind": "text", "required": True, "example": "Maria"},
        {"component": "body", "key": "2", "label": "Text {{2}}", "kind": "text", "required": True, "example": "#4521"},
    ],
    "preview": "Olá {{1}}, seu pedido {{2}} saiu para entrega.",
    "components": [{"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} saiu para entrega."}],
    "synced_at": "2026-06-28T15:00:00Z",
}


def _whatsapp_channel(user, channel_id) -> Channel:
    channel = access.channel_get_for_user(user=user, uuid=channel_id)
    if channel.kind != "whatsapp":
        raise Http404(_("Only WhatsApp channels have message templates."))
    return channel


class TemplateListApi(ApiView):
    class TemplateFilters(PageParams):
        sendable = serializers.ChoiceField(
            choices=["true", "false"], required=False, help_text="`true`: approved ones only; `false`: the others."
        )
        name = fields.CharField(required=False, max_length=512, help_text="Exact template name.")

    query_serializer = TemplateFilters

    @extend_schema(
        tags=["channels"],
        summary="List a WhatsApp channel's message templates",
        description="The templates of the channel's WhatsApp Business Account as last synced from Meta (deleted "
        "ones left out), by name and language, with the `parameters` each needs when sent. Paused, "
        "rejected and pending ones are listed with `sendable: false`.",
        parameters=[TemplateFilters],
        responses={200: page_serializer(TemplateOut, "TemplatePage")},
        examples=[
            OpenApiExample(
                "A page", value={"results": [TEMPLATE_EXAMPLE], "next": None, "next_cursor": None}, response_only=True
            )
        ],
    )
    def get(self, request, channel_id):
        filters = validated_query(self.TemplateFilters, request)
        channel = _whatsapp_channel(request.user, channel_id)
        templates = selectors.templates_for_channel(channel)
        if "sendable" in filters:
            approved = {"status": MessageTemplate.Status.APPROVED}
            templates = templates.filter(**approved) if filters["sendable"] == "true" else templates.exclude(**approved)
        if "name" in filters:
            templates = templates.filter(name=filters["name"])
        rows, page = paginate(templates, request, ordering=("name", "language", "uuid"), params=filters)
        return Response({"results": TemplateOut(rows, many=True).data, **page})


class TemplateSyncApi(ApiView):
    permission_classes = [AdminWrites]
    admin_only_methods = ("post",)

    @extend_schema(
        tags=["channels"],
        summary="Sync a WhatsApp channel's templates from Meta (administrators)",
        description="Fetches every template of the channel's WhatsApp Business Account now (this also happens "
        "every hour, and at once when Meta reports a status change). Templates Meta no longer lists are "
        "marked deleted.",
        request=None,
        responses={200: TemplateSyncOut, 502: error_response("Meta could not be reached or refused the call.")},
        examples=[OpenApiExample("Synced", value={"synced": 5}, response_only=True)],
    )
    def post(self, request, channel_id):
        channel = _whatsapp_channel(request.user, channel_id)
        try:
            count = services.template_sync(channel=channel)
        except ChannelError as exc:
            raise ProviderUnavailable(_("Templates could not be synced: %(error)s") % {"error": exc.message}) from exc
        return Response({"synced": count})
