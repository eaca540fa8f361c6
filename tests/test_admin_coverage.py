"""Every model of ours is in the Django admin, and every admin page opens."""

import pytest
from django.apps import apps
from django.contrib import admin

OUR_APPS = {
    "accounts",
    "contacts",
    "channels_app",
    "conversations",
    "monitoring",
    "core",
    "webhooks",
    "whatsapp",
    "email_channel",
    "web_widget",
}


def _our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


def test_every_model_is_registered_in_the_admin():
    missing = [f"{m._meta.app_label}.{m.__name__}" for m in _our_models() if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.django_db
def test_every_admin_list_and_add_page_opens(client, personas):
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client.force_login(personas.admin)
    for model in _our_models():
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        assert client.get(url).status_code == 200, url
        assert client.get(url + "?q=x").status_code == 200, url
