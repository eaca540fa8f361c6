"""API-CHAN: channels (`/api/v1/channels`).

Everyone signed in lists the channels they work; administrators create and configure them.
Creating and updating go through the kind's setup form (channels_app.forms) and
channels_app.services, exactly as the console does, so both validate a channel the same way.
Credentials are write-only: answers show them masked.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from channels_app import registry, services
from channels_app import selectors as channel_selectors
from channels_app.models import Channel
from conversations import selectors
from core import crypto
from core.api import fields
from core.api.pagination import PageParams, page_serializer, paginate
from core.api.views import AdminWrites, ApiView, validated, validated_query
from core.exceptions import ApplicationError

SCALARS = (str, int, float, bool, type(None))


class ChannelOut(serializers.Serializer):
    id = fields.UUIDField(source="uuid")
    name = fields.CharField()
    kind = fields.CharField(help_text="The provider: whatsapp, sms_twilio, email, api, ...")
    channel = fields.CharField(source="medium", help_text="The medium, as in payloads: whatsapp, sms, ...")
    is_active = fields.BooleanField()
    status = serializers.ChoiceField(choices=Channel.Status.choices)
    webhook_url = fields.URLField(help_text="Where the provider sends this channel's webhooks.")
    settings = serializers.SerializerMethodField(help_text="Administrators only; null for agents.")
    credentials = serializers.SerializerMethodField(help_text="Administrators only, masked; null for agents.")
    created_at = serializers.DateTimeField()

    def _admin(self) -> bool:
        return bool(self.context.get("admin"))

    def get_settings(self, channel) -> dict | None:
        return channel.settings if self._admin() else None

    def get_credentials(self, channel) -> dict[str, str] | None:
        return crypto.mask_mapping(channel.credentials) if self._admin() else None


class RecentCallsOut(serializers.Serializer):
    since = serializers.DateTimeField()
    total = serializers.IntegerField()
    failed = serializers.IntegerField()


class ChannelStatusOut(serializers.Serializer):
    id = fields.UUIDField(source="uuid")
    status = serializers.ChoiceField(choices=Channel.Status.choices, help_text="ok, error or needs_reconnect.")
    is_active = fields.BooleanField()
    last_error = fields.CharField()
    last_error_at = serializers.DateTimeField(allow_null=True)
    recent_calls = RecentCallsOut(help_text="Provider API calls of the last 24 hours.")


CHANNEL_EXAMPLE = {
    "id": "a1d4c1e2-3b4f-4c5d-8e9f-0a1b2c3d4e5f",
    "name": "CRM integration",
    "kind": "api",
    "channel": "api",
    "is_active": True,
    "status": "ok",
    "webhook_url": "https://helpdesk.example.com/webhooks/api/a1d4c1e2-3b4f-4c5d-8e9f-0a1b2c3d4e5f/",
    "settings": {"callback_url": "https://crm.example.com/hooks/helpdesk", "sandbox": False},
    "credentials": {"secret": "••••Zx8="},
    "created_at": "2026-06-28T15:30:45Z",
}


class ChannelCreateIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=(), help_text="The provider kind.")
    name = fields.CharField(max_length=100)
    settings = serializers.DictField(required=False, help_text="The kind's settings (see docs/channels).")
    credentials = serializers.DictField(required=False, help_text="Write-only secrets; answers show them masked.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = registry.kinds()


class ChannelUpdateIn(serializers.Serializer):
    name = fields.CharField(required=False, max_length=100)
    is_active = fields.BooleanField(required=False)
    settings = serializers.DictField(required=False, help_text="Only the keys given change.")
    credentials = serializers.DictField(required=False, help_text="Only the keys given change; others are kept.")


def _out(channel: Channel, request) -> dict:
    return ChannelOut(channel, context={"admin": request.user.is_admin}).data


def _form_data(form_class, *, name: str, settings: dict, credentials: dict) -> dict:
    """The setup form's data from the API's three parts; unknown or non-scalar keys are refused."""
    form_fields = set(form_class.base_fields) - {"name"}
    credential_fields = set(form_class.credential_fields)
    errors = {}
    for part, values, allowed in (
        ("settings", settings, form_fields - credential_fields),
        ("credentials", credentials, credential_fields),
    ):
        for key, value in values.items():
            if key not in allowed:
                errors[f"{part}.{key}"] = [_("Unknown field for this kind of channel.")]
            elif not isinstance(value, SCALARS):
                errors[f"{part}.{key}"] = [_("Must be a string, number or boolean.")]
    if errors:
        raise ApplicationError(_("Some fields are invalid."), extra={"code": "invalid", "fields": errors})
    return {"name": name, **settings, **credentials}


def _validated_form(form):
    if form.is_valid():
        return form
    credential_fields = set(form.credential_fields)
    fields, general = {}, []
    for name, messages in form.errors.items():
        if name == "__all__":
            general += list(messages)
        elif name == "name":
            fields["name"] = list(messages)
        else:
            fields[f"{'credentials' if name in credential_fields else 'settings'}.{name}"] = list(messages)
    message = general[0] if general else _("Some fields are invalid.")
    raise ApplicationError(message, extra={"code": "invalid", "fields": fields})


class ChannelListApi(ApiView):
    permission_classes = [AdminWrites]
    admin_only_methods = ("post",)
    query_serializer = PageParams

    @extend_schema(
        tags=["channels"],
        summary="List channels",
        description="The channels (inboxes) the caller works; all of them for administrators.",
        parameters=[PageParams],
        responses={200: page_serializer(ChannelOut, "ChannelPage")},
        examples=[
            OpenApiExample(
                "A page", value={"results": [CHANNEL_EXAMPLE], "next": None, "next_cursor": None}, response_only=True
            )
        ],
    )
    def get(self, request):
        params = validated_query(PageParams, request)
        rows, page = paginate(
            selectors.channels_for_user(request.user), request, ordering=("name", "uuid"), params=params
        )
        return Response({"results": [_out(c, request) for c in rows], **page})

    @extend_schema(
        tags=["channels"],
        summary="Create a channel (administrators)",
        description="Validated by the kind's setup form, as in the console. The answer's `webhook_url` is what "
        "to configure at the provider.",
        request=ChannelCreateIn,
        responses={201: ChannelOut},
        examples=[
            OpenApiExample(
                "An API channel",
                value={
                    "kind": "api",
                    "name": "CRM integration",
                    "settings": {"callback_url": "https://crm.example.com/hooks/helpdesk"},
                    "credentials": {},
                },
                request_only=True,
            ),
            OpenApiExample("Created", value=CHANNEL_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request):
        data = validated(ChannelCreateIn, request.data)
        form_class = registry.setup_form_class(data["kind"])
        form = _validated_form(
            form_class(
                data=_form_data(
                    form_class,
                    name=data["name"],
                    settings=data.get("settings", {}),
                    credentials=data.get("credentials", {}),
                )
            )
        )
        channel = services.channel_create(
            kind=data["kind"],
            name=form.cleaned_data["name"],
            settings=form.settings_data(),
            credentials=form.credentials_data(),
        )
        return Response(_out(channel, request), status=status.HTTP_201_CREATED)


class ChannelDetailApi(ApiView):
    permission_classes = [AdminWrites]
    admin_only_methods = ("patch",)

    @extend_schema(
        tags=["channels"],
        summary="Get a channel",
        responses={200: ChannelOut},
        examples=[OpenApiExample("A channel", value=CHANNEL_EXAMPLE, response_only=True)],
    )
    def get(self, request, channel_id):
        return Response(_out(selectors.channel_get_for_user(user=request.user, uuid=channel_id), request))

    @extend_schema(
        tags=["channels"],
        summary="Configure a channel (administrators)",
        description="Partial: settings and credentials not sent are kept. Validated by the kind's setup form.",
        request=ChannelUpdateIn,
        responses={200: ChannelOut},
        examples=[
            OpenApiExample(
                "New callback and secret",
                value={
                    "settings": {"callback_url": "https://crm.example.com/hooks/v2"},
                    "credentials": {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                },
                request_only=True,
            ),
            OpenApiExample("Updated", value=CHANNEL_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, channel_id):
        data = validated(ChannelUpdateIn, request.data)
        with transaction.atomic():
            channel = selectors.channel_get_for_user(user=request.user, uuid=channel_id)
            form_class = registry.setup_form_class(channel.kind)
            form_data = _form_data(
                form_class,
                name=data.get("name", channel.name),
                settings={**_settings_for_form(form_class, channel), **data.get("settings", {})},
                credentials=data.get("credentials", {}),
            )
            form = _validated_form(form_class(data=form_data, channel=channel))
            extra = {"is_active": data["is_active"]} if "is_active" in data else {}
            services.channel_update(
                channel=channel,
                name=form.cleaned_data["name"],
                settings=form.settings_data(),
                credentials=form.credentials_data(),
                **extra,
            )
        return Response(_out(channel, request))


def _settings_for_form(form_class, channel: Channel) -> dict:
    """The channel's current settings that its form knows (so a partial update keeps them)."""
    known = set(form_class.base_fields) - set(form_class.credential_fields) - {"name"}
    return {key: value for key, value in channel.settings.items() if key in known and isinstance(value, SCALARS)}


class ChannelStatusApi(ApiView):
    @extend_schema(
        tags=["channels"],
        summary="A channel's connection status",
        description="Its health as last seen by sends and checks, and its provider calls of the last 24 hours.",
        responses={200: ChannelStatusOut},
        examples=[
            OpenApiExample(
                "Healthy",
                value={
                    "id": CHANNEL_EXAMPLE["id"],
                    "status": "ok",
                    "is_active": True,
                    "last_error": "",
                    "last_error_at": None,
                    "recent_calls": {"since": "2026-06-27T15:30:45Z", "total": 1250, "failed": 3},
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, channel_id):
        channel = selectors.channel_get_for_user(user=request.user, uuid=channel_id)
        since = timezone.now() - timedelta(hours=24)
        channel.recent_calls = {"since": since, **channel_selectors.channel_call_counts(channel=channel, since=since)}
        return Response(ChannelStatusOut(channel).data)
