"""Team and label names, and canned-response shortcuts, are unique regardless of case, in the
console (tests/console/test_console_ux.py), the admin site and the database itself."""

import pytest
from django.db import IntegrityError, transaction

from accounts import services
from accounts.models import Team
from conversations.models import CannedResponse, Label

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client, personas):
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client.force_login(personas.admin)
    return personas.admin


def test_the_database_refuses_names_that_differ_only_in_case():
    services.team_create(name="Suporte")
    Label.objects.create(name="vip")

    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="SUPORTE")
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(name="Vip")


def test_a_shortcut_is_saved_lowercased_however_it_is_created():
    assert CannedResponse.objects.create(shortcut="BoasVindas", content="Olá!").shortcut == "boasvindas"


def test_the_admin_site_refuses_a_team_name_in_another_case(client, superuser):
    services.team_create(name="Suporte")

    response = client.post("/admin/accounts/team/add/", {"name": "suporte", "description": ""})

    assert response.status_code == 200 and Team.objects.count() == 1
    assert "A team with this name already exists (names are compared ignoring case)." in response.content.decode()


def test_the_admin_site_refuses_a_label_name_in_another_case(client, superuser):
    Label.objects.create(name="vip")

    response = client.post("/admin/conversations/label/add/", {"name": "VIP", "color": "#2f6feb", "description": ""})

    assert response.status_code == 200 and Label.objects.count() == 1
    assert "A label with this name already exists (names are compared ignoring case)." in response.content.decode()


def test_the_admin_site_lowercases_a_shortcut_and_refuses_one_in_another_case(client, superuser):
    added = client.post("/admin/conversations/cannedresponse/add/", {"shortcut": "Pix", "content": "Aceitamos Pix"})
    again = client.post("/admin/conversations/cannedresponse/add/", {"shortcut": "PIX", "content": "De novo"})

    assert added.status_code == 302
    assert list(CannedResponse.objects.values_list("shortcut", flat=True)) == ["pix"]
    assert again.status_code == 200
    assert "A canned response with this shortcut already exists (shortcuts ignore case)." in again.content.decode()
