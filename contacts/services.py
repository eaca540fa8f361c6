"""Writes for contacts."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contacts import identities
from contacts.models import Contact, ContactIdentity
from core import events
from core.db import insert_unless_conflict
from core.exceptions import ApplicationError, Conflict


@dataclass(frozen=True)
class Resolution:
    contact: Contact
    identity: ContactIdentity
    created: bool


def contact_resolve(
    *,
    medium: str,
    address: str,
    name: str = "",
    email: str = "",
    phone: str = "",
    lock: bool = False,
) -> Resolution:
    """Find or create the contact behind an address on a medium.

    A new address joins an existing contact when the same person is already known on a medium
    that shares the address space (a WhatsApp number and its SMS phone), or by the e-mail or
    phone an authenticated sender (the `api` channel, a verified widget visitor) gives.
    Publishes `contact.created` for a new contact. Call inside a transaction; raises
    identities.InvalidAddress for an address that cannot be normalised.

    lock=True keeps the contact's row locked until the transaction ends, for callers that must
    serialise work per contact (taking the lock in the same query as the lookup).
    """
    normalized = identities.normalize(medium, address)
    provider_address = address.strip() if address.strip() != normalized else ""
    identity = _identity(medium, normalized, lock=lock)
    if identity is not None:
        if provider_address and identity.provider_address != provider_address:
            # The provider now spells the address differently (WhatsApp reports a Brazilian number
            # with or without the ninth digit): send to the spelling it uses.
            ContactIdentity.objects.filter(pk=identity.pk).update(provider_address=provider_address)
            identity.provider_address = provider_address
        _fill_blanks(identity.contact, name=name, email=email, phone=phone)
        return Resolution(contact=identity.contact, identity=identity, created=False)

    contact = _find_linked_contact(medium=medium, normalized=normalized, email=email, phone=phone)
    if contact is not None and lock:
        Contact.objects.select_for_update().filter(pk=contact.pk).values_list("pk", flat=True).first()
    created = contact is None
    if contact is None:
        contact = Contact.objects.create(
            name=name[:255],
            email=normalized if medium == "email" else _safe(identities.normalize_email, email),
            phone=_safe(identities.normalize_phone, phone) or (normalized if medium in identities.PHONE_MEDIA else ""),
        )
    identity = ContactIdentity(contact=contact, medium=medium, address=normalized, provider_address=provider_address)
    if not insert_unless_conflict(identity, conflict_fields=("medium", "address")):
        # Another worker created this identity first: theirs wins, and our new contact goes.
        if created:
            Contact.objects.filter(pk=contact.pk).delete()
        identity = _identity(medium, normalized, lock=lock)
        return Resolution(contact=identity.contact, identity=identity, created=False)
    if created:
        events.publish(events.CONTACT_CREATED, contact_id=str(contact.uuid))
    else:
        _fill_blanks(contact, name=name, email=email, phone=phone)
    return Resolution(contact=contact, identity=identity, created=created)


def _identity(medium: str, normalized: str, *, lock: bool) -> ContactIdentity | None:
    identities_found = ContactIdentity.objects.select_related("contact").filter(medium=medium, address=normalized)
    if lock:
        identities_found = identities_found.select_for_update(of=("contact",))
    return identities_found.order_by().first()


def _safe(normalize, raw: str) -> str:
    if not raw:
        return ""
    try:
        return normalize(raw)
    except identities.InvalidAddress:
        return ""


def _find_linked_contact(*, medium: str, normalized: str, email: str, phone: str) -> Contact | None:
    candidates: list[tuple[str, str]] = []
    if medium in identities.PHONE_MEDIA:
        candidates += [(other, normalized) for other in identities.PHONE_MEDIA if other != medium]
    if phone_normalized := _safe(identities.normalize_phone, phone):
        candidates += [(m, phone_normalized) for m in identities.PHONE_MEDIA]
    if email_normalized := _safe(identities.normalize_email, email):
        candidates.append(("email", email_normalized))
    for other_medium, other_address in candidates:
        identity = (
            ContactIdentity.objects.select_related("contact").filter(medium=other_medium, address=other_address).first()
        )
        if identity is not None:
            return identity.contact
    return None


def _fill_blanks(contact: Contact, *, name: str, email: str, phone: str) -> None:
    """Fill empty profile fields from what the provider tells us; never overwrite an agent's edit."""
    changed = []
    if name and not contact.name:
        contact.name = name[:255]
        changed.append("name")
    if email and not contact.email and (value := _safe(identities.normalize_email, email)):
        contact.email = value
        changed.append("email")
    if phone and not contact.phone and (value := _safe(identities.normalize_phone, phone)):
        contact.phone = value
        changed.append("phone")
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])


# --- contacts created and edited by people (console, API) ---------------------------------------
def _field_error(error_class, field: str, message: str):
    code = "conflict" if error_class is Conflict else "invalid"
    return error_class(message, extra={"code": code, "fields": {field: [message]}})


def _normalized(field: str, medium: str, raw: str) -> str:
    try:
        return identities.normalize(medium, raw)
    except identities.InvalidAddress as exc:
        message = {
            "email": _("Enter a valid e-mail address."),
            "phone": _("Enter a valid phone number, e.g. +5511987654321."),
        }.get(medium, _("This address is not valid."))
        raise _field_error(ApplicationError, field, message) from exc


def _attach(contact: Contact, pairs: list[tuple[str, str, str]]) -> None:
    """Give `contact` these (field, medium, normalised address) identities; an address that
    belongs to another contact is a Conflict (merging is a separate, deliberate act)."""
    for field, medium, address in pairs:
        owner = (
            ContactIdentity.objects.filter(medium=medium, address=address).values_list("contact_id", flat=True).first()
        )
        if owner == contact.pk:
            continue
        if owner is not None:
            raise _field_error(Conflict, field, _("Another contact already has this address."))
        ContactIdentity.objects.create(contact=contact, medium=medium, address=address)


@transaction.atomic
def contact_create(
    *,
    name: str = "",
    email: str = "",
    phone: str = "",
    custom_attributes: dict | None = None,
    addresses: list[tuple[str, str]] = (),
) -> Contact:
    """Create a contact by hand with its addresses: `email` and `phone` become e-mail and phone
    identities, `addresses` adds (medium, address) pairs (a WhatsApp number, ...). Raises
    ApplicationError (400) for an address that cannot be normalised and Conflict (409) for one
    that belongs to another contact; nothing is written then. Publishes `contact.created`."""
    pairs = []
    email = _normalized("email", "email", email) if email else ""
    phone = _normalized("phone", "phone", phone) if phone else ""
    if email:
        pairs.append(("email", "email", email))
    if phone:
        pairs.append(("phone", "phone", phone))
    for index, (medium, address) in enumerate(addresses):
        field = f"identities.{index}.address"
        pairs.append((field, medium, _normalized(field, medium, address)))
    contact = Contact.objects.create(
        name=name[:255], email=email, phone=phone, custom_attributes=custom_attributes or {}
    )
    _attach(contact, pairs)
    events.publish(events.CONTACT_CREATED, contact_id=str(contact.uuid))
    return contact


@transaction.atomic
def contact_profile_fill(
    *, contact: Contact, name: str = "", email: str = "", phone: str = "", attributes: dict | None = None
) -> Contact:
    """Store what a contact told us about themselves (a web-chat pre-chat form, an e-mail address
    given to a bot): empty name, e-mail and phone are filled (an agent's edit is never
    overwritten), `attributes` are set on the custom attributes. Self-declared facts never link
    identities or merge contacts. Publishes `contact.updated` when something changed."""
    before = (contact.name, contact.email, contact.phone, dict(contact.custom_attributes))
    _fill_blanks(contact, name=name, email=email, phone=phone)
    if attributes:
        contact.custom_attributes = {**contact.custom_attributes, **attributes}
        contact.save(update_fields=["custom_attributes", "updated_at"])
    if (contact.name, contact.email, contact.phone, contact.custom_attributes) != before:
        events.publish(events.CONTACT_UPDATED, contact_id=str(contact.uuid))
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, name: str, email: str = "", phone: str = "", custom_attributes: dict | None = None
) -> Contact:
    """An agent edits a contact's profile. Publishes `contact.updated`.

    Raises identities.InvalidAddress for an e-mail or phone that cannot be normalised."""
    contact.name = name.strip()[:255]
    contact.email = identities.normalize_email(email) if email.strip() else ""
    contact.phone = identities.normalize_phone(phone) if phone.strip() else ""
    if custom_attributes is not None:
        contact.custom_attributes = custom_attributes
    contact.save()
    events.publish(events.CONTACT_UPDATED, contact_id=str(contact.uuid))
    return contact


@transaction.atomic
def contact_merge(*, source: Contact, target: Contact) -> Contact:
    """Merge `source` into `target`: identities and conversations move to the target, blank
    profile fields are filled from the source, and the source is kept as a pointer
    (`merged_into`) so links to it still resolve. Publishes `contact.updated` for the target."""
    from conversations.models import Conversation

    if source.pk == target.pk:
        raise ValueError("cannot merge a contact into itself")
    # Lock both rows in a fixed order: two merges of the same pair cannot interleave.
    locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    source, target = locked[source.pk], locked[target.pk]
    ContactIdentity.objects.filter(contact=source).update(contact=target)
    Conversation.objects.filter(contact=source).update(contact=target)
    for field in ("name", "email", "phone"):
        if not getattr(target, field) and getattr(source, field):
            setattr(target, field, getattr(source, field))
    target.custom_attributes = {**source.custom_attributes, **target.custom_attributes}
    target.save()
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    events.publish(events.CONTACT_UPDATED, contact_id=str(target.uuid), merged_from=str(source.uuid))
    return target


@transaction.atomic
def identity_attach(*, contact: Contact, medium: str, address: str) -> ContactIdentity:
    """Give a known contact an address on a medium (an agent starting a WhatsApp conversation
    with a contact known by phone). Returns the existing identity when the contact already has
    it. Raises identities.InvalidAddress for an address that cannot be normalised and Conflict
    when it belongs to another contact."""
    from core.exceptions import Conflict

    normalized = identities.normalize(medium, address)
    existing = ContactIdentity.objects.filter(medium=medium, address=normalized).first()
    if existing is not None:
        if existing.contact_id != contact.pk:
            raise Conflict(_("This address already belongs to another contact."))
        return existing
    provider_address = address.strip() if address.strip() != normalized else ""
    try:
        with transaction.atomic():
            return ContactIdentity.objects.create(
                contact=contact, medium=medium, address=normalized, provider_address=provider_address
            )
    except IntegrityError:
        raise Conflict(_("This address already belongs to another contact.")) from None
