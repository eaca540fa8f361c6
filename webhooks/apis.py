"""API-HOOK: webhook subscriptions (`/api/v1/webhooks`) and their delivery log.

A subscription belongs to the user who registered it and receives only events of what that
user may see. Administrators see every subscription; others see their own (anything else: 404).
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts import idempotency
from core.api import fields
from core.api.pagination import PageParams, page_serializer, paginate
from core.api.schema import error_response
from core.api.views import ApiView, validated, validated_query
from webhooks import catalog, selectors, services
from webhooks.models import WebhookDelivery


class SubscriptionOut(serializers.Serializer):
    id = fields.UUIDField(source="uuid")
    url = fields.URLField()
    events = serializers.ListField(child=fields.CharField())
    description = fields.CharField()
    is_active = fields.BooleanField(help_text="false once disabled after failing for 3 days.")
    secret = fields.CharField(source="masked_secret", help_text="Masked; shown in full only at registration.")
    failing_since = serializers.DateTimeField(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = fields.CharField()
    created_at = serializers.DateTimeField()


class SubscriptionCreatedOut(SubscriptionOut):
    secret = fields.CharField(help_text="The signing secret (`whsec_…`): store it now, it is not shown again.")


class AttemptOut(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField()
    response_excerpt = fields.CharField()
    error = fields.CharField()


class DeliveryOut(serializers.Serializer):
    id = fields.UUIDField(source="uuid")
    webhook_id = fields.CharField(help_text="The `webhook-id` header sent (the same on every attempt).")
    event = fields.CharField()
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.SerializerMethodField(help_text="Attempts made so far (the length of `attempt_log`).")
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = fields.CharField()
    payload = serializers.DictField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    attempt_log = AttemptOut(many=True)

    def get_attempts(self, delivery) -> int:
        # The log, not the queue's retry counter (which a manual redelivery sets back to 0).
        return len(delivery.attempt_log.all())  # prefetched by the selectors


SUBSCRIPTION_EXAMPLE = {
    "id": "9b2f6a53-2c1d-4f7e-8a9b-0c1d2e3f4a5b",
    "url": "https://crm.example.com/hooks/helpdesk",
    "events": ["message.received", "conversation.status_changed"],
    "description": "CRM sync",
    "is_active": True,
    "secret": "••••0Q==",
    "failing_since": None,
    "last_success_at": "2026-06-28T15:30:46Z",
    "disabled_reason": "",
    "created_at": "2026-06-28T15:00:00Z",
}


class SubscriptionListApi(ApiView):
    query_serializer = PageParams

    @extend_schema(
        tags=["webhooks"],
        summary="List webhook subscriptions",
        description="Your subscriptions (every subscription for administrators).",
        parameters=[PageParams],
        responses={200: page_serializer(SubscriptionOut, "SubscriptionPage")},
        examples=[
            OpenApiExample(
                "A page",
                value={"results": [SUBSCRIPTION_EXAMPLE], "next": None, "next_cursor": None},
                response_only=True,
            )
        ],
    )
    def get(self, request):
        params = validated_query(PageParams, request)
        qs = selectors.subscriptions_for_user(request.user)
        rows, page = paginate(qs, request, ordering=("-created_at", "-uuid"), params=params)
        return Response({"results": SubscriptionOut(rows, many=True).data, **page})


class SubscriptionRegisterApi(ApiView):
    class SubscriptionRegisterIn(serializers.Serializer):
        url = fields.URLField(max_length=500, help_text="Public http(s) URL; private addresses are refused.")
        events = serializers.ListField(
            child=fields.CharField(max_length=64),
            min_length=1,
            max_length=50,
            help_text='Event names (see docs/webhooks.md), or ["*"] for all.',
        )
        secret = fields.CharField(
            required=False,
            allow_blank=True,
            max_length=200,
            help_text="Your own `whsec_…` secret; one is generated if omitted.",
        )
        description = fields.CharField(required=False, allow_blank=True, max_length=200)

    @extend_schema(
        tags=["webhooks"],
        summary="Register a webhook subscription",
        description="Events are POSTed to `url` signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, "
        "`webhook-signature`) with the returned secret, and retried with backoff for about 3 days. Available "
        "events: " + ", ".join(f"`{name}`" for name in catalog.EVENTS) + ".",
        parameters=[idempotency.PARAMETER],
        request=SubscriptionRegisterIn,
        responses={201: SubscriptionCreatedOut},
        examples=[
            OpenApiExample(
                "Subscribe",
                value={
                    "url": "https://crm.example.com/hooks/helpdesk",
                    "events": ["message.received", "conversation.status_changed"],
                    "description": "CRM sync",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Registered",
                value={**SUBSCRIPTION_EXAMPLE, "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request):
        return idempotency.run(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        data = validated(self.SubscriptionRegisterIn, request.data)
        subscription = services.subscription_register(
            owner=request.user,
            url=data["url"],
            events=data["events"],
            secret=data.get("secret", ""),
            description=data.get("description", ""),
        )
        body = {**SubscriptionOut(subscription).data, "secret": subscription.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class SubscriptionDetailApi(ApiView):
    @extend_schema(
        tags=["webhooks"],
        summary="Get a webhook subscription",
        responses={200: SubscriptionOut},
        examples=[OpenApiExample("A subscription", value=SUBSCRIPTION_EXAMPLE, response_only=True)],
    )
    def get(self, request, subscription_id):
        return Response(
            SubscriptionOut(selectors.subscription_get_for_user(user=request.user, uuid=subscription_id)).data
        )

    @extend_schema(
        tags=["webhooks"],
        summary="Delete a webhook subscription",
        description="Stops deliveries at once; pending ones are dropped with the delivery log.",
        responses={204: None},
    )
    def delete(self, request, subscription_id):
        subscription = selectors.subscription_get_for_user(user=request.user, uuid=subscription_id)
        services.subscription_delete(subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListApi(ApiView):
    class DeliveryFilters(PageParams):
        status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, required=False)

    query_serializer = DeliveryFilters

    @extend_schema(
        tags=["webhooks"],
        summary="A subscription's delivery log",
        description="Newest first, with every attempt's status code, latency and an excerpt of the answer.",
        parameters=[DeliveryFilters],
        responses={200: page_serializer(DeliveryOut, "DeliveryPage")},
        examples=[
            OpenApiExample(
                "A page",
                value={
                    "results": [
                        {
                            "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                            "webhook_id": "msg_1c2d3e4f5a6b4c7d8e9f0a1b2c3d4e5f",
                            "event": "message.received",
                            "status": "pending",
                            "attempts": 1,
                            "next_attempt_at": "2026-06-28T15:31:00Z",
                            "last_status_code": 503,
                            "last_error": "the receiver answered 503",
                            "payload": {"event": "message.received", "timestamp": "2026-06-28T15:30:45Z", "data": {}},
                            "created_at": "2026-06-28T15:30:45Z",
                            "delivered_at": None,
                            "attempt_log": [
                                {
                                    "attempted_at": "2026-06-28T15:30:46Z",
                                    "status_code": 503,
                                    "latency_ms": 87,
                                    "response_excerpt": "Service Unavailable",
                                    "error": "",
                                }
                            ],
                        }
                    ],
                    "next": None,
                    "next_cursor": None,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, subscription_id):
        filters = validated_query(self.DeliveryFilters, request)
        subscription = selectors.subscription_get_for_user(user=request.user, uuid=subscription_id)
        qs = selectors.delivery_log(subscription=subscription, status=filters.get("status"))
        rows, page = paginate(qs, request, ordering=("-created_at", "-uuid"), params=filters)
        return Response({"results": DeliveryOut(rows, many=True).data, **page})


class DeliveryRedeliverApi(ApiView):
    @extend_schema(
        tags=["webhooks"],
        summary="Send a delivery again",
        description="Queues the delivery again now, with the same `webhook-id` and payload and a fresh 3-day retry "
        "window. The subscription must be active.",
        request=None,
        responses={
            202: DeliveryOut,
            422: error_response("The subscription is disabled, or the delivery is in flight."),
        },
    )
    def post(self, request, delivery_id):
        delivery = selectors.delivery_get_for_user(user=request.user, uuid=delivery_id)
        services.delivery_redeliver(delivery=delivery)
        delivery = selectors.delivery_get_for_user(user=request.user, uuid=delivery_id)
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)
