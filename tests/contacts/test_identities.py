"""One person on one medium is one identity; a WhatsApp number and its SMS phone meet."""

import pytest

from contacts import identities
from contacts.models import Contact
from contacts.services import contact_resolve


@pytest.mark.parametrize(
    "raw",
    ["+55 11 98765-4321", "(11) 98765-4321", "5511987654321", "551187654321", "+55 (11) 8765-4321", "011 98765 4321"],
)
def test_brazilian_mobile_spellings_normalise_to_one_e164_number(raw):
    assert identities.normalize_phone(raw) == "+5511987654321"


def test_landlines_and_foreign_numbers_keep_their_digits():
    assert identities.normalize_phone("+55 11 3456-7890") == "+551134567890"  # landline: no ninth digit
    assert identities.normalize_phone("+1 415 555 2671") == "+14155552671"
    assert identities.normalize_phone("+351 912 345 678") == "+351912345678"


@pytest.mark.parametrize("raw", ["", "abc", "123", "+55"])
def test_garbage_is_not_a_phone_number(raw):
    with pytest.raises(identities.InvalidAddress):
        identities.normalize_phone(raw)


def test_emails_are_lower_cased():
    assert identities.normalize("email", " Maria.Silva@Example.COM ") == "maria.silva@example.com"


@pytest.mark.django_db
def test_a_whatsapp_id_without_the_ninth_digit_meets_the_sms_contact():
    sms = contact_resolve(medium="phone", address="+55 11 98765-4321", name="Maria")
    wa = contact_resolve(medium="whatsapp", address="551187654321", name="Maria S.")

    assert wa.contact == sms.contact
    assert not wa.created
    assert wa.identity.address == "+5511987654321"
    assert wa.identity.send_address == "551187654321"  # WhatsApp is answered at the id it used
    assert Contact.objects.count() == 1


@pytest.mark.django_db
def test_the_same_address_twice_is_one_identity_and_fills_blanks_only():
    first = contact_resolve(medium="email", address="ana@example.com")
    second = contact_resolve(medium="email", address="ANA@example.com", name="Ana")
    third = contact_resolve(medium="email", address="ana@example.com", name="Someone else")

    assert first.contact == second.contact == third.contact
    assert first.created and not second.created
    assert Contact.objects.get().name == "Ana"
