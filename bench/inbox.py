"""Inbox list server time with N conversations in PostgreSQL (run by bench/run.py).

Creates N conversations across 3 channels (bulk insert, no events), then times the full Django
request (middleware, selector, template) for the first page and a deep keyset page, as an admin
and as an agent who works one channel. Server time, measured in-process: no network."""

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnichannel.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as account_services  # noqa: E402
from accounts.models import User  # noqa: E402
from channels_app.models import Channel  # noqa: E402
from contacts.models import Contact  # noqa: E402
from conversations.models import Conversation  # noqa: E402


def populate(total: int):
    channels = [
        Channel.objects.create(kind="api", name=f"Inbox {i}", credentials={"secret": "x" * 20}) for i in range(3)
    ]
    admin = User.objects.filter(username="bench-admin").first() or account_services.user_create(
        username="bench-admin", email="bench-admin@example.com", password="bench-pass-123", role="admin"
    )
    agent = User.objects.filter(username="bench-agent").first() or account_services.user_create(
        username="bench-agent", email="bench-agent@example.com", password="bench-pass-123", availability="online"
    )
    account_services.inbox_member_add(channel=channels[0], user=agent)
    now = timezone.now()
    batch = 10_000
    for start in range(0, total, batch):
        contacts = Contact.objects.bulk_create([Contact(name=f"Cliente {start + i}") for i in range(batch)])
        Conversation.objects.bulk_create(
            [
                Conversation(
                    channel=channels[(start + i) % 3],
                    contact=contact,
                    status=("open", "open", "pending", "resolved")[(start + i) % 4],
                    assignee=agent if (start + i) % 5 == 0 else None,
                    last_activity_at=now - timedelta(seconds=start + i),
                    last_message_preview=f"Mensagem {start + i} sobre o pedido",
                    unread_count=(start + i) % 3,
                )
                for i, contact in enumerate(contacts)
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return admin, agent


def timed(client, url, rounds=40):
    client.get(url)  # warm
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
        "queries": len(ctx),
    }


def main():
    total = int(sys.argv[sys.argv.index("--conversations") + 1]) if "--conversations" in sys.argv else 100_000
    admin, agent = populate(total)
    results = {"conversations": Conversation.objects.count()}
    for who, user in (("admin", admin), ("agent", agent)):
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)
        results[f"{who}_first_page"] = timed(client, "/inbox/?view=all&status=open")
        deep = Conversation.objects.filter(status="open").order_by("-last_activity_at", "-pk")[total // 3]
        results[f"{who}_deep_page"] = timed(
            client,
            f"/inbox/list/?view=all&status=open&before_at={deep.last_activity_at.isoformat()}&before_id={deep.pk}".replace(
                "+", "%2B"
            ),
        )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(agent)
    results["agent_mine"] = timed(client, "/inbox/?view=mine&status=open")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
