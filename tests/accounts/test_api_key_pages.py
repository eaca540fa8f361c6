"""Settings → API keys in the console: created keys are shown once and work; revoking them
stops their tokens; only administrators reach the page."""

import pytest

from accounts import services
from accounts.models import ApiKey

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_key_sees_it_once_and_it_works(client, personas):
    client.force_login(personas.admin)

    response = client.post("/settings/api-keys/", {"name": "CRM sync", "user": personas.agent_a.pk, "rate_limit": "50"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get()
    raw = response.context["raw_key"]
    assert raw.startswith("ock_") and raw.encode() in response.content
    assert (key.user, key.rate_limit, key.created_by) == (personas.agent_a, 50, personas.admin)
    assert services.api_key_authenticate(raw_key=raw) == key
    again = client.get("/settings/api-keys/")
    assert raw.encode() not in again.content  # never shown again
    assert key.prefix.encode() in again.content


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
