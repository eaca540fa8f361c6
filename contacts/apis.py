"""API-CONTACT: contacts (`/api/v1/contacts`).

Agents see the contacts of their inboxes' conversations, and contacts in no conversation yet
(conversations.selectors.contacts_for_user); anything else is a 404.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts import idempotency
from contacts import identities, services
from contacts.models import Contact, ContactIdentity
from contacts.search import contacts_matching
from conversations import selectors
from core.api import fields
from core.api.pagination import PageParams, page_serializer, paginate
from core.api.schema import error_response
from core.api.views import ApiView, validated, validated_query


class IdentityOut(serializers.Serializer):
    medium = serializers.ChoiceField(choices=ContactIdentity.Medium.choices)
    address = fields.CharField()


class ContactOut(serializers.Serializer):
    id = fields.UUIDField(source="uuid")
    name = fields.CharField()
    email = fields.CharField()
    phone = fields.CharField(help_text="E.164, e.g. +5511987654321.")
    custom_attributes = serializers.DictField()
    identities = IdentityOut(many=True, help_text="The contact's addresses on each medium.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


CONTACT_EXAMPLE = {
    "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "name": "Maria Silva",
    "email": "maria@example.com",
    "phone": "+5511987654321",
    "custom_attributes": {"crm_id": "C-1042", "plan": "gold"},
    "identities": [
        {"medium": "whatsapp", "address": "+5511987654321"},
        {"medium": "phone", "address": "+5511987654321"},
        {"medium": "email", "address": "maria@example.com"},
    ],
    "created_at": "2026-06-28T15:30:45Z",
    "updated_at": "2026-06-28T15:30:45Z",
}


class IdentityIn(serializers.Serializer):
    medium = serializers.ChoiceField(choices=ContactIdentity.Medium.choices)
    address = fields.CharField(max_length=255)


class ContactWriteIn(serializers.Serializer):
    name = fields.CharField(required=False, allow_blank=True, max_length=255)
    email = fields.CharField(required=False, allow_blank=True, max_length=254)
    phone = fields.CharField(
        required=False, allow_blank=True, max_length=32, help_text="Any spelling; stored as E.164."
    )
    custom_attributes = serializers.DictField(required=False)

    def validate_email(self, value):
        return _address(identities.normalize_email, value, _("Enter a valid e-mail address."))

    def validate_phone(self, value):
        return _address(identities.normalize_phone, value, _("Enter a valid phone number, e.g. +5511987654321."))


def _address(normalize, value: str, message: str) -> str:
    if not value.strip():
        return ""
    try:
        return normalize(value)
    except identities.InvalidAddress as exc:
        raise serializers.ValidationError(message) from exc


class ContactCreateIn(ContactWriteIn):
    identities = IdentityIn(
        many=True, required=False, max_length=20, help_text="More addresses, e.g. a WhatsApp number."
    )


def _contact_out(contact: Contact) -> dict:
    return ContactOut(Contact.objects.prefetch_related("identities").get(pk=contact.pk)).data


class ContactListApi(ApiView):
    class ContactFilters(PageParams):
        q = fields.CharField(
            required=False,
            max_length=100,
            help_text="Search names (accents and case aside), e-mails, addresses and phone numbers (part of any; "
            "phone punctuation and the country code may be left out).",
        )
        email = fields.CharField(required=False, max_length=254, help_text="Exact e-mail (any case).")
        phone = fields.CharField(required=False, max_length=32, help_text="Exact phone number, any spelling.")

        def validate_phone(self, value):
            try:
                return identities.normalize_phone(value)
            except identities.InvalidAddress as exc:
                raise serializers.ValidationError(_("Enter a valid phone number, e.g. +5511987654321.")) from exc

    query_serializer = ContactFilters

    @extend_schema(
        tags=["contacts"],
        summary="List or search contacts",
        description="Most recently changed first, keyset-paginated.",
        parameters=[ContactFilters],
        responses={200: page_serializer(ContactOut, "ContactPage")},
        examples=[
            OpenApiExample(
                "A page", value={"results": [CONTACT_EXAMPLE], "next": None, "next_cursor": None}, response_only=True
            )
        ],
    )
    def get(self, request):
        filters = validated_query(self.ContactFilters, request)
        qs = selectors.contacts_for_user(request.user).prefetch_related("identities")
        if filters.get("q"):
            qs = contacts_matching(qs, filters["q"])
        if "email" in filters:
            qs = qs.filter(email__iexact=filters["email"].strip())
        if "phone" in filters:
            qs = qs.filter(phone=filters["phone"])
        rows, page = paginate(qs, request, ordering=("-updated_at", "-uuid"), params=filters)
        return Response({"results": ContactOut(rows, many=True).data, **page})

    @extend_schema(
        tags=["contacts"],
        summary="Create a contact",
        description="`email` and `phone` become addresses of the contact (phone numbers are normalised to E.164); "
        "`identities` adds others. An address that already belongs to another contact is a 409. Honours "
        "`Idempotency-Key`.",
        parameters=[idempotency.PARAMETER],
        request=ContactCreateIn,
        responses={201: ContactOut, 409: error_response("An address belongs to another contact.")},
        examples=[
            OpenApiExample(
                "New contact",
                value={
                    "name": "Maria Silva",
                    "phone": "(11) 98765-4321",
                    "email": "Maria@Example.com",
                    "custom_attributes": {"crm_id": "C-1042"},
                    "identities": [{"medium": "whatsapp", "address": "+55 11 98765-4321"}],
                },
                request_only=True,
            ),
            OpenApiExample("Created", value=CONTACT_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request):
        return idempotency.run(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        data = validated(ContactCreateIn, request.data)
        contact = services.contact_create(
            name=data.get("name", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            custom_attributes=data.get("custom_attributes"),
            addresses=[(item["medium"], item["address"]) for item in data.get("identities", [])],
        )
        return Response(_contact_out(contact), status=status.HTTP_201_CREATED)


class ContactDetailApi(ApiView):
    @extend_schema(
        tags=["contacts"],
        summary="Get a contact",
        responses={200: ContactOut},
        examples=[OpenApiExample("A contact", value=CONTACT_EXAMPLE, response_only=True)],
    )
    def get(self, request, contact_id):
        return Response(ContactOut(selectors.contact_get_for_user(user=request.user, uuid=contact_id)).data)

    @extend_schema(
        tags=["contacts"],
        summary="Update a contact",
        description="Partial: send only what changes. E-mail and phone are the profile's; the contact's addresses "
        "on each medium (`identities`) come from its conversations and from creation.",
        request=ContactWriteIn,
        responses={200: ContactOut},
        examples=[
            OpenApiExample("Rename", value={"name": "Maria S. Oliveira"}, request_only=True),
            OpenApiExample("Updated", value=CONTACT_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request, contact_id):
        data = validated(ContactWriteIn, request.data)
        with transaction.atomic():
            contact = selectors.contact_get_for_user(user=request.user, uuid=contact_id)
            services.contact_update(
                contact=contact,
                name=data.get("name", contact.name),
                email=data.get("email", contact.email),
                phone=data.get("phone", contact.phone),
                custom_attributes=data.get("custom_attributes"),
            )
        return Response(_contact_out(contact))

    @extend_schema(
        tags=["contacts"],
        summary="Update a contact (same as PUT)",
        request=ContactWriteIn,
        responses={200: ContactOut},
        examples=[
            OpenApiExample("Add a phone", value={"phone": "+55 21 99876-5432"}, request_only=True),
            OpenApiExample("Updated", value=CONTACT_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, contact_id):
        return self.put(request, contact_id)
