"""Credentials are encrypted at rest, masked where shown, and re-encryptable under a new key."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from channels_app.models import Channel

pytestmark = pytest.mark.django_db
SECRET = "whsec_super-secret-value-9876"


def _raw_column(channel) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_app_channel WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


def test_the_database_column_holds_no_plaintext():
    channel = Channel.objects.create(kind="api", name="Enc", credentials={"secret": SECRET, "token": "EAAG-token-1234"})

    raw = _raw_column(channel)

    assert "super-secret" not in raw and "EAAG" not in raw and "secret" not in raw
    assert raw.startswith("gAAAA")  # a Fernet token
    assert Channel.objects.get(pk=channel.pk).credentials == {"secret": SECRET, "token": "EAAG-token-1234"}


def test_admin_shows_only_masked_values_and_keeps_them_unless_replaced(client, personas):
    channel = Channel.objects.create(kind="api", name="Enc", credentials={"secret": SECRET})
    client.force_login(personas.admin)
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()

    page = client.get(f"/admin/channels_app/channel/{channel.pk}/change/").content.decode()

    assert SECRET not in page
    assert "••••9876" in page

    form = {
        "kind": "api",
        "name": "Renamed",
        "is_active": "on",
        "settings": "{}",
        "assignment_strategy": "round_robin",
        "sticky_assignment": "on",
        "new_credentials": "",
    }
    assert client.post(f"/admin/channels_app/channel/{channel.pk}/change/", form).status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renamed"
    assert channel.credentials == {"secret": SECRET}

    form["new_credentials"] = '{"secret": "whsec_replaced-1111"}'
    client.post(f"/admin/channels_app/channel/{channel.pk}/change/", form)
    channel.refresh_from_db()
    assert channel.credentials == {"secret": "whsec_replaced-1111"}


def test_rotation_reencrypts_every_row_under_the_newest_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        channel = Channel.objects.create(kind="api", name="Rot", credentials={"secret": SECRET})
        before = _raw_column(channel)

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))
        after = _raw_column(channel)

    assert after != before
    Fernet(new.encode()).decrypt(after.encode())  # readable with the new key...
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(after.encode())  # ...and no longer with the old one
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert Channel.objects.get(pk=channel.pk).credentials == {"secret": SECRET}
