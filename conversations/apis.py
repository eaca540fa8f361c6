"""API-CONV and API-MSG: conversations and their messages (`/api/v1/conversations`, `/messages`).

Every object comes from the authorisation selector (conversations.selectors): what a caller may
not see is a 404. Every write goes through conversations.services, so the API and the console
behave the same (policies, events, webhooks).
"""

import uuid

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts import idempotency
from channels_app import registry
from contacts.identities import PHONE_MEDIA
from conversations import selectors, services
from conversations.api_serializers import (
    CONVERSATION_EXAMPLE,
    MESSAGE_EXAMPLE,
    MESSAGE_RELATED,
    ConversationOut,
    MessageOut,
)
from conversations.attachments import prepare_file
from conversations.models import Conversation, Label, Message
from core.api import fields
from core.api.pagination import PageParams, page_serializer, paginate
from core.api.parsers import JSONParser
from core.api.schema import error_response
from core.api.views import ApiView, validated, validated_query
from core.exceptions import ApplicationError
from core.validators import not_too_far_ahead

CONVERSATION_RELATED = ("channel", "contact", "assignee", "team")
TEMPLATE_EXAMPLE = {
    "name": "pedido_enviado",
    "language": "pt_BR",
    "parameters": {"header": ["#4521"], "body": ["Maria", "#4521", "2 dias"], "buttons": {"0": "4521"}},
}


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, extra={"code": "invalid", "fields": {field: [message]}})


def _conversation(user, conversation_uuid) -> Conversation:
    return selectors.conversation_get_for_user(user=user, uuid=conversation_uuid)


def _conversation_out(conversation: Conversation) -> dict:
    fresh = (
        Conversation.objects.select_related(*CONVERSATION_RELATED).prefetch_related("labels").get(pk=conversation.pk)
    )
    return ConversationOut(fresh).data


def _message_out(message: Message) -> dict:
    fresh = Message.objects.select_related(*MESSAGE_RELATED).prefetch_related("attachments").get(pk=message.pk)
    return MessageOut(fresh).data


def _assignee(conversation: Conversation | None, assignee_uuid, channel=None):
    """The user to assign: one the conversation's channel can be assigned to (a 400 otherwise)."""
    if assignee_uuid is None:
        return None
    assignee = selectors.agents_for_channel(channel or conversation.channel).filter(uuid=assignee_uuid).first()
    if assignee is None:
        raise _invalid("assignee_id", _("No active agent of this inbox has this id."))
    return assignee


def _labels(names: list[str]) -> list[Label]:
    labels = list(Label.objects.filter(name__in=names))
    unknown = sorted(set(names) - {label.name for label in labels})
    if unknown:
        raise _invalid(
            "labels", _("Unknown label(s): %(names)s. Administrators create labels.") % {"names": ", ".join(unknown)}
        )
    return labels


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "string", "maxLength": 1024}, "maxItems": 100},
            {"type": "object", "additionalProperties": {"type": "string", "maxLength": 1024}, "maxProperties": 100},
        ]
    }
)
class PlaceholderValues(serializers.Field):
    """A template component's values: a list (positional {{1}}, {{2}}…) or an object keyed by
    placeholder (`{"first_name": "Maria"}`, `{"link": "https://…"}`, buttons by index)."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a list of strings, or an object of strings keyed by placeholder."),
        "too_many": gettext_lazy("At most 100 values."),
        "too_long": gettext_lazy("Each value has at most 1024 characters."),
    }

    def to_internal_value(self, data):
        if isinstance(data, list):
            values = data
        elif isinstance(data, dict):
            values = list(data.values())
        else:
            self.fail("invalid")
        if not all(isinstance(v, str) for v in values):
            self.fail("invalid")
        if len(values) > 100:
            self.fail("too_many")
        if any(len(v) > 1024 for v in values):
            self.fail("too_long")
        return data

    def to_representation(self, value):
        return value


class TemplateParametersIn(serializers.Serializer):
    header = PlaceholderValues(required=False, help_text='A text header\'s values, or `{"link": …}` for a media one.')
    body = PlaceholderValues(required=False)
    buttons = PlaceholderValues(required=False, help_text="By button index: a link's suffix, a reply id, a code.")


class TemplateIn(serializers.Serializer):
    name = fields.CharField(max_length=512, help_text="The template's name at Meta.")
    language = fields.CharField(max_length=16, help_text="Its language as Meta spells it: `pt_BR`, `en_US`.")
    parameters = TemplateParametersIn(required=False)


class DraftIn(serializers.Serializer):
    content = fields.CharField(required=False, allow_blank=True, max_length=65536, trim_whitespace=False)
    content_type = serializers.ChoiceField(choices=Message.ContentType.choices, required=False)
    private = fields.BooleanField(required=False, default=False, help_text="A private note for the team.")
    payload = serializers.DictField(
        required=False, help_text="Structured content of the content type (buttons and lists, location)."
    )
    template = TemplateIn(
        required=False,
        help_text="An approved message template (WhatsApp) with its parameters; `content_type` is `template`. "
        "Its text is the filled-in template. See `GET /channels/{id}/templates` for the parameters each takes.",
    )

    def validate(self, data):
        if "template" in data:
            if data.get("content_type", Message.ContentType.TEMPLATE) != Message.ContentType.TEMPLATE:
                raise serializers.ValidationError({"content_type": [_("A template is sent as content type template.")]})
            if data.get("payload") or data.get("content") or data.get("private"):
                raise serializers.ValidationError(
                    {"template": [_("A template message has no content, payload or private flag of its own.")]}
                )
        elif data.get("content_type") == Message.ContentType.TEMPLATE:
            raise serializers.ValidationError({"template": [_("Give the template: name, language and parameters.")]})
        return data


# --- conversations ----------------------------------------------------------------------------
class ConversationListApi(ApiView):
    class ConversationFilters(PageParams):
        status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
        channel = fields.CharField(
            required=False, max_length=64, help_text="A channel id, or a medium (whatsapp, sms, email, ...)."
        )
        assignee = fields.CharField(
            required=False, max_length=64, help_text="An agent's id, `me`, or `none` (unassigned)."
        )
        contact = fields.UUIDField(required=False)
        label = fields.CharField(required=False, max_length=50)
        updated_since = serializers.DateTimeField(
            required=False, help_text="Only conversations changed at or after this time (ISO 8601)."
        )

        def validate_assignee(self, value):
            if value in ("me", "none"):
                return value
            try:
                return uuid.UUID(value)
            except ValueError as exc:
                raise serializers.ValidationError(_("Use an agent's id, `me` or `none`.")) from exc

        def validate_channel(self, value):
            try:
                return uuid.UUID(value)
            except ValueError:
                kinds = [kind for kind, _label in registry.kinds() if registry.adapter_class(kind).medium == value]
                if not kinds:
                    raise serializers.ValidationError(_("Use a channel id or a medium name.")) from None
                return kinds

    class ConversationCreateIn(serializers.Serializer):
        channel_id = fields.UUIDField()
        contact_id = fields.UUIDField(required=False, help_text="The contact to write to; or give `phone`.")
        phone = fields.CharField(
            required=False,
            max_length=32,
            help_text="On phone channels (WhatsApp, SMS): the number to write to, E.164 preferred. Someone not yet "
            "a contact becomes one; with `contact_id`, the number to use when the contact has none on this channel.",
        )
        subject = fields.CharField(required=False, allow_blank=True, max_length=255)
        assignee_id = fields.UUIDField(
            required=False, allow_null=True, help_text="Assigns a new conversation (a reused one keeps its own)."
        )
        message = DraftIn(required=False, help_text="A first message to send (or note to leave).")

        def validate(self, data):
            if not data.get("contact_id") and not data.get("phone", "").strip():
                raise serializers.ValidationError({"contact_id": [_("Give `contact_id` or `phone`.")]})
            return data

    query_serializer = ConversationFilters

    @extend_schema(
        tags=["conversations"],
        summary="List conversations",
        description="Newest activity first, keyset-paginated. Agents see the conversations of their inboxes.",
        parameters=[ConversationFilters],
        responses={200: page_serializer(ConversationOut, "ConversationPage")},
        examples=[
            OpenApiExample(
                "A page",
                value={"results": [CONVERSATION_EXAMPLE], "next": None, "next_cursor": None},
                response_only=True,
            )
        ],
    )
    def get(self, request):
        filters = validated_query(self.ConversationFilters, request)
        qs = selectors.conversations_for_user(request.user).select_related(*CONVERSATION_RELATED)
        qs = qs.prefetch_related("labels")
        if "status" in filters:
            qs = qs.filter(status=filters["status"])
        if "channel" in filters:
            channel = filters["channel"]
            qs = (
                qs.filter(channel__uuid=channel)
                if isinstance(channel, uuid.UUID)
                else qs.filter(channel__kind__in=channel)
            )
        if "assignee" in filters:
            assignee = filters["assignee"]
            if assignee == "me":
                qs = qs.filter(assignee=request.user)
            elif assignee == "none":
                qs = qs.filter(assignee__isnull=True)
            else:
                qs = qs.filter(assignee__uuid=assignee)
        if "contact" in filters:
            qs = qs.filter(contact__uuid=filters["contact"])
        if "label" in filters:
            qs = qs.filter(labels__name=filters["label"])
        if "updated_since" in filters:
            qs = qs.filter(updated_at__gte=filters["updated_since"])
        rows, page = paginate(qs, request, ordering=("-last_activity_at", "-uuid"), params=filters)
        return Response({"results": ConversationOut(rows, many=True).data, **page})

    @extend_schema(
        tags=["conversations"],
        summary="Start a conversation",
        description="With a contact (`contact_id`), or on phone channels with a number (`phone`) that becomes a "
        "contact if it is not one yet; optionally assigned and with a first message, sent on the channel. On "
        "WhatsApp, reaching someone who has not written in the last 24 hours takes an approved template "
        "(`message.template`). The contact's open conversation on the channel is reused (200) rather than "
        "doubled; otherwise one is created (201). A refusal (a closed window, an unapproved template, "
        "parameters that do not fit, the channel's own number) is a 422, naming the field when one is at fault, and "
        "nothing is created. Honours `Idempotency-Key`.",
        parameters=[idempotency.PARAMETER],
        request=ConversationCreateIn,
        responses={
            201: ConversationOut,
            200: ConversationOut,
            409: error_response("The phone number belongs to another contact."),
            422: error_response("The channel refuses the first message, or the contact has no address there."),
        },
        examples=[
            OpenApiExample(
                "Reach out",
                value={
                    "channel_id": CONVERSATION_EXAMPLE["channel_id"],
                    "contact_id": CONVERSATION_EXAMPLE["contact"]["id"],
                    "message": {"content": "Olá Maria! Seu pedido foi enviado."},
                },
                request_only=True,
            ),
            OpenApiExample(
                "WhatsApp template to a new number",
                value={
                    "channel_id": CONVERSATION_EXAMPLE["channel_id"],
                    "phone": "+5521998761234",
                    "message": {"template": TEMPLATE_EXAMPLE},
                },
                request_only=True,
            ),
            OpenApiExample("Created", value=CONVERSATION_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample("Reused", value=CONVERSATION_EXAMPLE, response_only=True, status_codes=["200"]),
        ],
    )
    def post(self, request):
        return idempotency.run(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        data = validated(self.ConversationCreateIn, request.data)
        user = request.user
        with transaction.atomic():
            channel = selectors.channel_get_for_user(user=user, uuid=data["channel_id"])
            contact = (
                selectors.contact_get_for_user(user=user, uuid=data["contact_id"]) if "contact_id" in data else None
            )
            if data.get("phone") and registry.adapter_class(channel.kind).identity_medium not in PHONE_MEDIA:
                raise _invalid("phone", _("This channel does not reach people by phone number."))
            assignee = _assignee(None, data.get("assignee_id"), channel=channel)
            draft = _draft(data["message"], files=()) if data.get("message") else None
            started = services.conversation_start(
                channel=channel,
                contact=contact,
                address=data.get("phone", ""),
                by=user,
                subject=data.get("subject", ""),
                assignee=assignee,
                draft=draft,
            )
        return Response(
            _conversation_out(started.conversation),
            status=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK,
        )


class ConversationDetailApi(ApiView):
    class ConversationUpdateIn(serializers.Serializer):
        status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
        snoozed_until = serializers.DateTimeField(
            required=False,
            allow_null=True,
            validators=[not_too_far_ahead],
            help_text="Required with status `snoozed`; at most 10 years ahead.",
        )
        assignee_id = fields.UUIDField(required=False, allow_null=True, help_text="null unassigns.")
        labels = serializers.ListField(
            child=fields.CharField(max_length=50), required=False, max_length=50, help_text="Replaces the labels."
        )

    @extend_schema(
        tags=["conversations"],
        summary="Get a conversation",
        responses={200: ConversationOut},
        examples=[OpenApiExample("A conversation", value=CONVERSATION_EXAMPLE, response_only=True)],
    )
    def get(self, request, conversation_id):
        return Response(_conversation_out(_conversation(request.user, conversation_id)))

    @extend_schema(
        tags=["conversations"],
        summary="Update a conversation",
        description="Partial: send only what changes. Status (`snoozed` needs `snoozed_until`), assignee, labels "
        "(by name; the list replaces the current labels).",
        request=ConversationUpdateIn,
        responses={200: ConversationOut, 422: error_response("E.g. snoozing without a future time.")},
        examples=[
            OpenApiExample(
                "Resolve and label",
                value={"status": "resolved", "labels": ["vip", "billing"]},
                request_only=True,
            ),
            OpenApiExample("Updated", value=CONVERSATION_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request, conversation_id):
        data = validated(self.ConversationUpdateIn, request.data)
        user = request.user
        with transaction.atomic():
            conversation = _conversation(user, conversation_id)
            if "assignee_id" in data:
                assignee = _assignee(conversation, data["assignee_id"])
                if (assignee.pk if assignee else None) != conversation.assignee_id:
                    services.conversation_assign(conversation=conversation, assignee=assignee, by=user)
            if "status" in data:
                services.conversation_set_status(
                    conversation=conversation, status=data["status"], by=user, snoozed_until=data.get("snoozed_until")
                )
            if "labels" in data:
                services.conversation_set_labels(conversation=conversation, labels=_labels(data["labels"]), by=user)
        return Response(_conversation_out(conversation))

    @extend_schema(
        tags=["conversations"],
        summary="Update a conversation (same as PUT)",
        request=ConversationUpdateIn,
        responses={200: ConversationOut, 422: error_response("E.g. snoozing without a future time.")},
        examples=[
            OpenApiExample("Assign", value={"assignee_id": CONVERSATION_EXAMPLE["assignee"]["id"]}, request_only=True),
            OpenApiExample("Updated", value=CONVERSATION_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, conversation_id):
        return self.put(request, conversation_id)


# --- messages ---------------------------------------------------------------------------------
def _draft(data: dict, *, files, in_reply_to: Message | None = None) -> services.Draft:
    content_type = data.get("content_type")
    payload = data.get("payload") or None
    if "template" in data:
        # The channel's send path resolves the template by name and language, checks it is
        # approved and that the parameters fit, and fills in its text and Meta's components.
        template = data["template"]
        content_type = Message.ContentType.TEMPLATE
        payload = {
            "name": template["name"],
            "language": template["language"],
            "parameters": template.get("parameters", {}),
        }
    return services.Draft(
        content=data.get("content", ""),
        content_type=content_type or "",
        payload=payload,
        files=tuple(files),
        private=data.get("private", False),
        in_reply_to=in_reply_to,
    )


class MessageCreateIn(DraftIn):
    in_reply_to = fields.UUIDField(required=False, allow_null=True, help_text="A message of this conversation.")


class MessageCreateMultipartIn(serializers.Serializer):
    content = fields.CharField(required=False, allow_blank=True, max_length=65536, trim_whitespace=False)
    content_type = serializers.ChoiceField(choices=Message.ContentType.choices, required=False)
    private = fields.BooleanField(required=False, default=False)
    in_reply_to = fields.UUIDField(required=False, allow_null=True)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, max_length=10, help_text="Up to 10 files."
    )

    def validate_content_type(self, value):
        if value == Message.ContentType.TEMPLATE:
            raise serializers.ValidationError(_("Send a template as JSON, with `template`."))
        return value


class MessageListApi(ApiView):
    rate_scope = "messages"
    parser_classes = [JSONParser, MultiPartParser]

    class MessageFilters(PageParams):
        order = serializers.ChoiceField(
            choices=["asc", "desc"], required=False, default="asc", help_text="`asc`: oldest first (default)."
        )

    query_serializer = MessageFilters

    @extend_schema(
        tags=["messages"],
        summary="List a conversation's messages",
        description="Every message, private notes and timeline events included, in time order.",
        parameters=[MessageFilters],
        responses={200: page_serializer(MessageOut, "MessagePage")},
        examples=[
            OpenApiExample(
                "A page", value={"results": [MESSAGE_EXAMPLE], "next": None, "next_cursor": None}, response_only=True
            )
        ],
    )
    def get(self, request, conversation_id):
        filters = validated_query(self.MessageFilters, request)
        conversation = _conversation(request.user, conversation_id)
        qs = Message.objects.filter(conversation=conversation).select_related(*MESSAGE_RELATED)
        qs = qs.prefetch_related("attachments")
        ordering = ("created_at", "uuid") if filters["order"] == "asc" else ("-created_at", "-uuid")
        rows, page = paginate(qs, request, ordering=ordering, params=filters)
        return Response({"results": MessageOut(rows, many=True).data, **page})

    @extend_schema(
        tags=["messages"],
        summary="Send a message (or leave a private note)",
        description="Queued and sent on the conversation's channel by the outbound pipeline; follow its status "
        "here or with `message.sent` / `message.delivered` / `message.failed` webhooks. JSON, or multipart "
        "with `files`. The channel's rules apply before anything is stored (422 with the reason): a closed "
        "WhatsApp window, an unsupported content type, a template that is not approved or parameters that do "
        "not fit it. On channels that carry one file per message (WhatsApp), several files go as consecutive "
        "messages, the text with the first: the answer is that first message, the others follow it in the "
        "conversation. Send an `Idempotency-Key` so a retry after a timeout never sends the customer the "
        "message twice.",
        parameters=[idempotency.PARAMETER],
        request={"application/json": MessageCreateIn, "multipart/form-data": MessageCreateMultipartIn},
        responses={201: MessageOut, 422: error_response("The channel's policy refuses this message.")},
        examples=[
            OpenApiExample("Text", value={"content": "Seu pedido saiu para entrega hoje."}, request_only=True),
            OpenApiExample("Private note", value={"content": "Cliente VIP", "private": True}, request_only=True),
            OpenApiExample("WhatsApp template", value={"template": TEMPLATE_EXAMPLE}, request_only=True),
            OpenApiExample("Queued", value=MESSAGE_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request, conversation_id):
        return idempotency.run(request, lambda: self._create(request, conversation_id))

    def _create(self, request, conversation_id) -> Response:
        multipart = request.content_type.startswith("multipart/")
        data = validated(MessageCreateMultipartIn if multipart else MessageCreateIn, request.data)
        conversation = _conversation(request.user, conversation_id)
        adapter = registry.adapter_for(conversation.channel)
        files = [
            prepare_file(
                name=upload.name,
                data=upload.read(),
                declared_type=upload.content_type,
                max_bytes=adapter.max_attachment_bytes,
            )
            for upload in data.get("files", [])
        ]
        in_reply_to = None
        if data.get("in_reply_to"):
            in_reply_to = Message.objects.filter(conversation=conversation, uuid=data["in_reply_to"]).first()
            if in_reply_to is None:
                raise _invalid("in_reply_to", _("No message of this conversation has this id."))
        message = services.message_send(
            conversation=conversation, draft=_draft(data, files=files, in_reply_to=in_reply_to), sender=request.user
        )
        return Response(_message_out(message), status=status.HTTP_201_CREATED)


class MessageDetailApi(ApiView):
    rate_scope = "messages"

    class MessageUpdateIn(serializers.Serializer):
        content = fields.CharField(
            required=False,
            max_length=65536,
            trim_whitespace=False,
            help_text="New text of a private note, or of a message still queued.",
        )
        read = fields.BooleanField(
            required=False, help_text="`true` marks a contact's message (and earlier ones) read."
        )

        def validate(self, data):
            if "content" not in data and not data.get("read"):
                raise serializers.ValidationError(_("Send `content` to edit, or `read: true` to mark read."))
            return data

    @extend_schema(
        tags=["messages"],
        summary="Edit a message or mark it read",
        description="`content` edits a private note or an outgoing message not yet picked up for sending (409 "
        "once it is on its way); `read: true` marks a contact's message, and the earlier ones, read.",
        request=MessageUpdateIn,
        responses={
            200: MessageOut,
            409: error_response("The message is already being sent."),
            422: error_response("This message cannot be edited or marked read."),
        },
        examples=[
            OpenApiExample("Edit a note", value={"content": "Cliente VIP: prioridade"}, request_only=True),
            OpenApiExample("Mark read", value={"read": True}, request_only=True),
            OpenApiExample("Updated", value=MESSAGE_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request, message_id):
        data = validated(self.MessageUpdateIn, request.data)
        with transaction.atomic():
            message = selectors.message_get_for_user(user=request.user, uuid=message_id)
            if "content" in data:
                services.message_edit(message=message, content=data["content"], by=request.user)
            if data.get("read"):
                services.message_mark_read(message=message, by=request.user)
        return Response(_message_out(message))

    @extend_schema(
        tags=["messages"],
        summary="Edit a message or mark it read (same as PUT)",
        request=MessageUpdateIn,
        responses={
            200: MessageOut,
            409: error_response("The message is already being sent."),
            422: error_response("This message cannot be edited or marked read."),
        },
        examples=[
            OpenApiExample("Mark read", value={"read": True}, request_only=True),
            OpenApiExample("Updated", value=MESSAGE_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, message_id):
        return self.put(request, message_id)
