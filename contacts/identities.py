"""Normalising addresses so that one person on one medium is one identity.

Brazilian mobile numbers gained a ninth digit (a leading 9 in the subscriber number) in
2012–2016; WhatsApp still reports many of them without it (`wa_id` 551187654321 for
+55 11 98765-4321). Both forms normalise to the nine-digit E.164 number, so the WhatsApp and SMS
identities of a person meet on one contact.
"""

import phonenumbers

DEFAULT_REGION = "BR"
PHONE_MEDIA = ("phone", "whatsapp")


class InvalidAddress(ValueError):
    pass


def display_phone(value: str) -> str:
    """An E.164 number (or its digits, as WhatsApp ids are) as people write it
    (`+5511987654321` → `+55 11 98765-4321`); anything else is returned as it is."""
    text = str(value or "")
    if not (text.startswith("+") or text.isdigit()):
        return text
    try:
        parsed = phonenumbers.parse(text if text.startswith("+") else f"+{text}", None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(parsed):
        return text
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """Any reasonable spelling of a phone number → E.164 (`+5511987654321`).

    Tried in order: as written (national numbers in `region`), then as an international number
    missing its "+" (provider ids such as WhatsApp's wa_id). The first valid reading wins."""
    text = (raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 6:
        raise InvalidAddress(f"not a phone number: {raw!r}")
    readings = [text]
    if not text.startswith("+") and not text.startswith("0"):
        readings.append("+" + digits)
    possible = None
    for reading in readings:
        try:
            parsed = _with_brazilian_ninth_digit(phonenumbers.parse(reading, region))
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if possible is None and phonenumbers.is_possible_number(parsed):
            possible = parsed
    if possible is None:
        raise InvalidAddress(f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(possible, phonenumbers.PhoneNumberFormat.E164)


def _with_brazilian_ninth_digit(parsed: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    national = str(parsed.national_number)
    # Two-digit area code + eight-digit subscriber starting 6–9 is an old-style mobile number.
    if parsed.country_code == 55 and len(national) == 10 and national[2] in "6789":
        return phonenumbers.PhoneNumber(country_code=55, national_number=int(national[:2] + "9" + national[2:]))
    return parsed


def normalize_email(raw: str) -> str:
    text = (raw or "").strip().lower()
    if "@" not in text or text.startswith("@") or text.endswith("@") or " " in text:
        raise InvalidAddress(f"not an e-mail address: {raw!r}")
    return text


def normalize(medium: str, raw: str) -> str:
    if medium in PHONE_MEDIA:
        return normalize_phone(raw)
    if medium == "email":
        return normalize_email(raw)
    text = (raw or "").strip()
    if not text:
        raise InvalidAddress(f"empty {medium} address")
    return text[:255]
