"""E-mail ingestion: mails per second from a local IMAP server into conversations on PostgreSQL,
and the cost of a poll that finds nothing new.

Starts a real Dovecot (tests/fakes/dovecot.py) on loopback, loads N realistic mails into one
mailbox (Portuguese and English, replies with quoted history, threads, HTML with inline images,
PDF attachments, ISO-8859-1, auto-replies; about 300 senders), then runs the production code
path: the scheduled poll (IMAP fetch → raw InboundEvents → \\Seen) and the inbound drain
(parse → contact → conversation → message → attachments) until every mail is a message.
Loading the mails is not timed. Prints one JSON line.

    python bench/email_ingest.py [--mails 1000] [--pg postgres://postgres@127.0.0.1:5432]

Uses (and recreates) the database `omnichannel_bench_email` and Redis db 6 by default.
"""

import argparse
import base64
import json
import os
import platform
import random
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" * 40
FIRST = ["Maria", "João", "Ana", "Pedro", "Lucas", "Juliana", "Carlos", "Fernanda", "José", "Patrícia", "John", "Emma"]
LAST = ["Silva", "Souza", "Oliveira", "Santos", "Lima", "Pereira", "Araújo", "Costa", "Rocha", "Almeida", "Smith"]
TOPICS = [
    ("Pedido {n} não chegou", "Olá, meu pedido {n} ainda não chegou. Podem verificar com a transportadora?"),
    ("Troca de produto", "Bom dia! Recebi o tamanho errado e gostaria de trocar por um M. Como faço?"),
    ("Nota fiscal", "Preciso da nota fiscal da compra {n} para reembolso da empresa."),
    ("Invoice {n}", "Hello, could you send me a corrected invoice for order {n}? The VAT number is wrong."),
    ("Promoção de inverno", "A promoção de inverno ainda está válida para pagamento no Pix?"),
    ("Cancelamento", "Quero cancelar a assinatura a partir do próximo mês, por favor."),
]


def environment(args) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="omnichannel.settings",
        OMNICHANNEL_SKIP_DOTENV="1",
        DATABASE_URL=f"{args.pg}/{args.db}",
        REDIS_URL=args.redis,
        SECRET_KEY="bench-secret-key-0123456789abcdef0123456789",
        FIELD_ENCRYPTION_KEYS="s1q0hK1mZ9kYzWqj4K3c0y3r8Z0u8p2oQe2b6tL8XkA=",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        CACHE_KEY_PREFIX="bench-email",
        MEDIA_ROOT=tempfile.mkdtemp(prefix="bench-email-media-"),
    )


def recreate_database(args) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        connection.execute(f'CREATE DATABASE "{args.db}"')


def realistic_mails(count: int, address: str, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    senders = [(f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"cliente{i}@example{i % 17}.com.br") for i in range(300)]
    mails, sent_ids = [], []
    for n in range(count):
        name, sender = rng.choice(senders)
        subject, text = rng.choice(TOPICS)
        msg = EmailMessage()
        msg["From"] = f"{name} <{sender}>"
        msg["To"] = f"Acme Suporte <{address}>"
        msg["Date"] = "Mon, 16 Nov 2026 10:00:00 -0300"
        msg["Message-ID"] = f"<bench-{n}@example.com.br>"
        body = text.format(n=1000 + n)
        kind = n % 10
        if kind in (1, 2) and sent_ids:  # a reply in an earlier thread, quoting it
            parent = rng.choice(sent_ids)
            msg["Subject"] = f"Re: {subject.format(n=1000 + n)}"
            msg["In-Reply-To"] = f"<{parent}>"
            msg["References"] = f"<{parent}>"
            body += f"\n\nEm seg., 16 de nov. de 2026 às 09:00, {name} <{sender}> escreveu:\n> {text}\n> Obrigado!"
        else:
            msg["Subject"] = subject.format(n=1000 + n)
        if kind == 3:
            msg["Auto-Submitted"] = "auto-replied"
            body = "Estou fora do escritório até segunda-feira."
        if kind == 4:  # HTML with an inline image
            msg.set_content(body)
            msg.add_alternative(f"<html><body><p>{body}</p><img src='cid:foto{n}@x'></body></html>", subtype="html")
            msg.get_payload()[1].add_related(PNG, "image", "png", cid=f"<foto{n}@x>", filename="foto.png")
        elif kind == 5:  # a PDF attachment
            msg.set_content(body)
            msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="comprovante.pdf")
        elif kind == 6:  # Latin-1
            msg.set_content(body, charset="iso-8859-1")
        else:
            msg.set_content(body + "\n\nAtenciosamente,\n" + name)
        mails.append(msg.as_bytes())
        sent_ids.append(f"bench-{n}@example.com.br")
    return mails


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default="omnichannel_bench_email")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"))
    args = parser.parse_args()
    environment(args)
    recreate_database(args)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.utils import timezone

    from channels_app import services as channel_services
    from channels_app.models import Channel, InboundEvent
    from channels_app.providers.email import services as email_services
    from channels_app.providers.email.models import Mailbox
    from conversations.models import Conversation, Message
    from core import tasks
    from tests.fakes.dovecot import Dovecot

    tasks.kick_now = lambda queue: None  # no worker here: this script drains the queues itself
    dovecot = Dovecot().start()
    try:
        address = "suporte@acme.test"
        mails = realistic_mails(args.mails, address)
        with dovecot.client(address, Dovecot.PASSWORD) as client:
            for raw in mails:
                client.append("INBOX", raw)
        channel = Channel.objects.create(
            kind="email",
            name="Bench",
            credentials={"password": Dovecot.PASSWORD},
            settings={
                "address": address,
                "display_name": "Acme Suporte",
                "auth_method": "password",
                "protocol": "imap",
                "inbound_host": "127.0.0.1",
                "inbound_port": dovecot.imap_port,
                "inbound_security": "none",
                "smtp_host": "127.0.0.1",
                "smtp_port": 25,
                "smtp_security": "none",
                "folder": "INBOX",
                "after_fetch": "seen",
                "poll_interval": 30,
                "import_since": "2000-01-01",
            },
        )

        started = time.perf_counter()
        give_up = time.monotonic() + 600  # a mail that never becomes an event must not hang the bench
        while InboundEvent.objects.filter(channel=channel).count() < args.mails:
            if time.monotonic() > give_up:
                raise SystemExit(f"only {InboundEvent.objects.filter(channel=channel).count()} mails fetched in 600 s")
            email_services.mailboxes_poll()
            Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
        fetched = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx("channel_services.inbound_drain()", globals(), locals(), "/tmp/email.prof")
        else:
            channel_services.inbound_drain()
        done = time.perf_counter()

        # What a 30-second interval costs when nothing is new: one login, one SELECT, one logout.
        quiet = []
        for _ in range(20):
            Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
            began = time.perf_counter()
            email_services.mailboxes_poll()
            quiet.append((time.perf_counter() - began) * 1000)
        messages = Message.objects.filter(channel=channel, direction=Message.Direction.INBOUND).count()
        failed = InboundEvent.objects.filter(channel=channel).exclude(status=InboundEvent.Status.PROCESSED).count()
        result = {
            "bench": "email_ingest",
            "mails": args.mails,
            "messages": messages,
            "conversations": Conversation.objects.filter(channel=channel).count(),
            "unprocessed_events": failed,
            "fetch_seconds": round(fetched - started, 2),
            "process_seconds": round(done - fetched, 2),
            "total_seconds": round(done - started, 2),
            "mails_per_second": round(args.mails / (done - started), 1),
            "fetch_mails_per_second": round(args.mails / (fetched - started), 1),
            "process_mails_per_second": round(args.mails / (done - fetched), 1),
            "quiet_poll_ms_median": round(sorted(quiet)[len(quiet) // 2], 1),
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        }
        print(json.dumps(result))
        if messages != args.mails or failed:
            sys.exit(1)
    finally:
        dovecot.stop()


if __name__ == "__main__":
    main()
