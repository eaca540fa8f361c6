"""Settings → API keys in the console: created keys are shown once and work; revoking them
stops their tokens; only administrators reach the page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_key_sees_it_once_and_it_works(client, personas):
    client.force_login(personas.admin)

    response = client.post("/settings/api-keys/", {"name": "CRM sync", "user": personas.agent_a.pk, "rate_limit": "50"})

    # Post/Redirect/Get: reloading the page after creating a key must not create another.
    assert response.status_code in (302, 303) and response["Location"] == "/settings/api-keys/"
    key = ApiKey.objects.get()
    assert (key.user, key.rate_limit, key.created_by) == (personas.agent_a, 50, personas.admin)
    shown = client.get(response["Location"])
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    raw = shown.context["raw_key"]
    assert raw.startswith("ock_") and raw.encode() in shown.content
    assert "Key “CRM sync” created" in shown.content.decode()
    assert services.api_key_authenticate(raw_key=raw) == key
    again = client.get("/settings/api-keys/")
    assert raw.encode() not in again.content  # never shown again
    assert key.prefix.encode() in again.content
    assert "no-store" not in again.get("Cache-Control", "")
    assert ApiKey.objects.count() == 1


def test_the_new_key_is_never_written_to_the_log(client, personas, caplog):
    client.force_login(personas.admin)

    with caplog.at_level("DEBUG"):
        response = client.post("/settings/api-keys/", {"name": "CRM sync", "user": personas.agent_a.pk}, follow=True)

    raw = response.context["raw_key"]
    assert raw and raw not in caplog.text


def test_an_invalid_form_is_shown_again_without_a_redirect(client, personas):
    client.force_login(personas.admin)

    response = client.post("/settings/api-keys/", {"name": "", "user": personas.agent_a.pk})

    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert response.context["form"].errors["name"]


def test_an_expiry_centuries_ahead_is_refused_not_a_server_error(client, personas):
    client.force_login(personas.admin)

    response = client.post(
        "/settings/api-keys/", {"name": "Forever", "user": personas.agent_a.pk, "expires_at": "9999-12-31T23:59"}
    )

    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert "Choose a date within the next 10 years." in response.content.decode()


def test_an_expiry_in_the_past_is_refused(client, personas):
    client.force_login(personas.admin)
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post("/settings/api-keys/", {"name": "Old", "user": personas.agent_a.pk, "expires_at": past})

    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert response.context["form"].errors["expires_at"] == ["The expiry date must be in the future."]
    assert "The expiry date must be in the future." in response.content.decode()


def test_an_expiry_in_the_future_is_kept(client, personas):
    client.force_login(personas.admin)
    future = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")

    response = client.post("/settings/api-keys/", {"name": "Soon", "user": personas.agent_a.pk, "expires_at": future})

    assert response.status_code == 302
    assert ApiKey.objects.get().expires_at > timezone.now() + timedelta(days=29)


def test_revoking_from_the_page_stops_the_keys_tokens(client, personas):
    key, raw = services.api_key_create(name="k", user=personas.agent_a, created_by=personas.admin)
    token = client.post("/api/v1/auth/token", {"api_key": raw}, content_type="application/json").json()["access"]
    client.force_login(personas.admin)

    response = client.post(f"/settings/api-keys/{key.uuid}/revoke/")

    assert response.status_code == 302
    assert client.get("/api/v1/channels", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_agents_get_404(client, personas):
    client.force_login(personas.agent_a)

    assert client.get("/settings/api-keys/").status_code == 404
    assert client.post("/settings/api-keys/", {"name": "x", "user": personas.agent_a.pk}).status_code == 404
    assert not ApiKey.objects.exists()


def test_the_admin_site_shows_a_new_key_once(client, personas):
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client.force_login(personas.admin)

    response = client.post("/admin/accounts/apikey/add/", {"name": "Script", "user": personas.agent_b.pk})

    assert response.status_code == 200
    raw = response.context["raw_key"]
    assert services.api_key_authenticate(raw_key=raw).name == "Script"


def test_the_admin_site_refuses_an_expiry_in_the_past(client, personas):
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client.force_login(personas.admin)
    past = timezone.localtime() - timedelta(days=1)

    response = client.post(
        "/admin/accounts/apikey/add/",
        {
            "name": "Script",
            "user": personas.agent_b.pk,
            "expires_at_0": past.strftime("%Y-%m-%d"),
            "expires_at_1": past.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert "The expiry date must be in the future." in response.content.decode()
