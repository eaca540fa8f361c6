"""Housekeeping around WhatsApp: statuses no send of ours ever claims are pruned daily, and the
Meta-app lookup every app-level delivery makes is cached like the channel lookup."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from channels_app import services, tasks
from channels_app.adapters import StatusUpdate
from channels_app.models import PendingStatus
from channels_app.providers.whatsapp import services as wa_services
from channels_app.selectors import webhook_cache_clear
from conversations import services as conversation_services
from core import tasks as core_tasks
from tests.channels_app.providers.whatsapp.conftest import fixture_bytes, make_channel, post_to_channel, post_webhook

pytestmark = pytest.mark.django_db


def test_statuses_for_messages_we_never_sent_are_pruned_after_a_day(wa_channel):
    for wamid in ("wamid.old", "wamid.fresh"):
        conversation_services.message_status_apply(
            channel=wa_channel, update=StatusUpdate(state="delivered", provider_message_id=wamid)
        )
    PendingStatus.objects.filter(provider_message_id="wamid.old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    assert tasks.prune_pending_statuses() == 1

    assert list(PendingStatus.objects.values_list("provider_message_id", flat=True)) == ["wamid.fresh"]


def test_the_prune_runs_daily():
    core_tasks.ensure_schedules()

    schedule = Schedule.objects.get(name="prune-pending-statuses")
    assert (schedule.func, schedule.schedule_type) == ("channels_app.tasks.prune_pending_statuses", Schedule.DAILY)


@pytest.fixture
def meta_app(db):
    return wa_services.meta_app_create(name="Loja app", app_secret="app-level-secret", verify_token="vt-app")


def _meta_app_queries(captured) -> int:
    return sum('"whatsapp_metaapp"' in q["sql"] for q in captured.captured_queries)


def test_app_level_deliveries_look_the_meta_app_up_once_per_few_seconds(client, meta_app):
    url = f"/webhooks/whatsapp/app/{meta_app.uuid}/"

    with CaptureQueriesContext(connection) as captured:
        for name in ("text", "text_forwarded", "image"):
            assert post_webhook(client, url, fixture_bytes(name), secret="app-level-secret").status_code == 200

    assert _meta_app_queries(captured) == 1


def test_numbers_served_by_a_meta_app_verify_with_the_cached_app(client, meta_app):
    channel = make_channel("Loja 1", meta_app=str(meta_app.uuid))
    channel.credentials = {"access_token": "t"}  # secrets come from the Meta app
    channel.save()

    with CaptureQueriesContext(connection) as captured:
        for name in ("text", "text_forwarded"):
            assert post_to_channel(client, channel, fixture_bytes(name), secret="app-level-secret").status_code == 200

    assert _meta_app_queries(captured) == 1


def test_a_deactivated_meta_app_stops_answering_once_the_cache_expires(client, meta_app):
    url = f"/webhooks/whatsapp/app/{meta_app.uuid}/"
    assert post_webhook(client, url, fixture_bytes("text"), secret="app-level-secret").status_code == 200
    meta_app.is_active = False
    meta_app.save()

    webhook_cache_clear()  # what the passing of a few seconds does

    assert post_webhook(client, url, fixture_bytes("image"), secret="app-level-secret").status_code == 404
    assert services.inbound_drain() == 1  # only the first delivery was kept
