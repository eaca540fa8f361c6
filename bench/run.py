"""`make bench`: throughput and latency in the production topology, on this machine.

gunicorn (HTTP) + daphne (WebSocket) + the django-q2 cluster, on PostgreSQL and Redis, each in
its own process, exactly as the Procfile runs them. Results are printed as JSON and written to
bench/results/latest.json; docs/benchmarks.md records them with the machine and the command.

    make bench                      # everything
    make bench BENCH_ARGS="ingress" # one part: ingress, processing, latency, inbox
"""

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import signed_webhook_bodies  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "omnichannel_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
FERNET = "s1q0hK1mZ9kYzWqj4K3c0y3r8Z0u8p2oQe2b6tL8XkA="
SECRET = "whsec_" + "YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC1iZW5jaDEy"


def env(**extra) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    base.update(
        DJANGO_SETTINGS_MODULE="omnichannel.settings",
        OMNICHANNEL_SKIP_DOTENV="1",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench-secret-key-0123456789abcdef0123456789",
        FIELD_ENCRYPTION_KEYS=FERNET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PUBLIC_BASE_URL="http://127.0.0.1:8101",
        LOG_LEVEL="WARNING",
        CACHE_KEY_PREFIX="bench",
        CHANNEL_LAYER_PREFIX="bench-asgi",
        Q_CLUSTER_NAME="bench",
    )
    base.update(extra)
    return base


def run(*args, **kwargs):
    return subprocess.run(args, cwd=ROOT, check=True, env=kwargs.pop("env", env()), **kwargs)


def manage(*args, capture=False):
    result = run(sys.executable, "manage.py", *args, capture_output=capture, text=True)
    return result.stdout if capture else None


def start(*args, **extra_env):
    log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env(**extra_env), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    proc.log_path = log.name
    return proc


def stop(*procs):
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_http(url, seconds=40):
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def shell(code: str) -> str:
    return manage("shell", "-c", code, capture=True).strip().splitlines()[-1]


def reset_database():
    admin = f"{PG}/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=True, capture_output=True)
    manage("migrate", "-v0")
    manage("ensure_schedules", "-v0")


def setup_channel() -> str:
    return shell(
        "from channels_app.models import Channel; from accounts import services as s;"
        f"c = Channel.objects.create(kind='api', name='Bench', credentials={{'secret': '{SECRET}'}},"
        f" settings={{'sandbox': True}});"
        "agents = [s.user_create(username=f'agent{i}', email=f'agent{i}@example.com', password='bench-pass-123',"
        " availability='online') for i in range(3)];"
        "s.inbox_members_set(channel=c, users=agents);"
        "print(c.uuid)"
    )


def gunicorn(port=8101, workers=int(os.environ.get("WEB_CONCURRENCY", 3))):
    return start(
        sys.executable,
        "-m",
        "gunicorn",
        "omnichannel.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "--worker-tmp-dir",
        "/dev/shm",
    )


def wrk(url, *, lua=None, connections=64, seconds=15, threads=2):
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if lua:
        args += ["-s", lua]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    return {"rps": round(rps), "non_2xx": int(non2xx.group(1)) if non2xx else 0, "p99": p99.group(0) if p99 else None}


# --- (a) ingress --------------------------------------------------------------------------
def bench_ingress(channel_uuid):
    bodies_path = ROOT / "bench/results/webhook_bodies.txt"
    bodies_path.parent.mkdir(exist_ok=True)
    with open(bodies_path, "w") as handle:
        for body, signature in signed_webhook_bodies(SECRET, 60000, prefix="peak"):
            handle.write(f"{signature}\t{body.decode()}\n")
    web = gunicorn()
    try:
        wait_http("http://127.0.0.1:8101/healthz")
        hello = wrk("http://127.0.0.1:8101/healthz", seconds=10)
        lua = str(ROOT / "bench/webhook.lua")
        os.environ["BENCH_BODIES"] = str(bodies_path)
        peak = wrk(f"http://127.0.0.1:8101/webhooks/api/{channel_uuid}/", lua=lua, seconds=15)
        steady_bodies = ROOT / "bench/results/webhook_bodies_steady.txt"
        with open(steady_bodies, "w") as handle:
            for body, signature in signed_webhook_bodies(SECRET, 500 * 20, prefix="steady"):
                handle.write(f"{signature}\t{body.decode()}\n")
        # Node's event loop paces the open-loop client; a Python client on the same two cores
        # added tens of milliseconds of its own to every request.
        steady = json.loads(
            subprocess.run(
                [
                    "node",
                    str(ROOT / "bench/openloop.js"),
                    "127.0.0.1",
                    "8101",
                    f"/webhooks/api/{channel_uuid}/",
                    "500",
                    "20",
                    str(steady_bodies),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    finally:
        stop(web)
    stored = int(shell("from channels_app.models import InboundEvent; print(InboundEvent.objects.count())"))
    return {
        "hello_world_rps": hello["rps"],
        "webhook_peak_rps": peak["rps"],
        "webhook_non_2xx": peak["non_2xx"],
        "ratio_webhook_to_hello": round(peak["rps"] / hello["rps"], 3),
        "steady_500_per_s": steady,
        "events_stored": stored,
    }


# --- (b) processing ------------------------------------------------------------------------
def bench_processing(channel_uuid, backlog=20000, contacts=4000):
    shell(
        "from channels_app.models import InboundEvent; InboundEvent.objects.all().delete();"
        "from conversations.models import Conversation, Message; Message.objects.all().delete();"
        " Conversation.objects.all().delete();"
        "from contacts.models import Contact; Contact.objects.all().delete(); print('ok')"
    )
    code = (
        "import json; from channels_app.models import InboundEvent, Channel;"
        f"c = Channel.objects.get(uuid='{channel_uuid}');"
        "rows = [InboundEvent(channel=c, kind='api', endpoint=f'channel:{c.uuid}', dedupe_key=f'msg:b{i}',"
        f" body=json.dumps({{'id': f'b{{i}}', 'from': {{'id': f'cust{{i % {contacts}}}',"
        f" 'name': f'Cliente {{i % {contacts}}}'}},"
        " 'text': f'Mensagem número {i} com algum texto realista sobre um pedido'}).encode()) for i in range("
        f"{backlog})];"
        "InboundEvent.objects.bulk_create(rows, batch_size=2000); print(len(rows))"
    )
    shell(code)
    worker = start(sys.executable, "manage.py", "qcluster", Q_WORKERS=os.environ.get("Q_WORKERS", "2"))
    started = time.monotonic()
    try:
        time.sleep(1.0)
        shell("from core import tasks; tasks.kick_now('inbound'); print('kicked')")
        remaining = backlog
        while remaining and time.monotonic() - started < 600:
            time.sleep(1)
            remaining = int(
                shell(
                    "from channels_app.models import InboundEvent;"
                    " print(InboundEvent.objects.exclude(status='processed').count())"
                )
            )
        elapsed = time.monotonic() - started
    finally:
        stop(worker)
    counts = json.loads(
        shell(
            "import json; from conversations.models import Message, Conversation; from contacts.models import Contact;"
            "print(json.dumps({'messages': Message.objects.filter(direction='in').count(),"
            " 'conversations': Conversation.objects.count(), 'contacts': Contact.objects.count(),"
            " 'assigned': Conversation.objects.filter(assignee__isnull=False).count()}))"
        )
    )
    return {
        "backlog": backlog,
        "seconds": round(elapsed, 1),
        "messages_per_s": round(counts["messages"] / elapsed),
        "unprocessed_left": remaining,
        **counts,
    }


# --- (c) webhook → agent latency --------------------------------------------------------------
def bench_latency(channel_uuid, rate=100, seconds=20, mix="steady"):
    """Webhook accepted → WebSocket event at an agent. `steady`: every second 20 new customers
    write (5 messages each, in a row) beside the ongoing ones; `cold`: the first 400 messages all
    come from customers never seen before (a marketing blast), then only known ones."""
    from bench.loadgen import websocket_latency

    session_key = shell(
        "from django.contrib.sessions.backends.db import SessionStore; from accounts.models import User;"
        "u = User.objects.get(username='agent0'); s = SessionStore();"
        "s['_auth_user_id'] = str(u.pk); s['_auth_user_backend'] = 'accounts.backends.EmailOrUsernameBackend';"
        "s['_auth_user_hash'] = u.get_session_auth_hash(); s.create(); print(s.session_key)"
    )
    web = gunicorn()
    ws = start(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "8102", "omnichannel.asgi:application")
    worker = start(sys.executable, "manage.py", "qcluster", Q_WORKERS="2")
    try:
        wait_http("http://127.0.0.1:8101/healthz")
        wait_http("http://127.0.0.1:8102/healthz")
        time.sleep(1.5)
        result = asyncio.run(
            websocket_latency(
                http=("127.0.0.1", 8101, f"/webhooks/api/{channel_uuid}/"),
                ws_url="ws://127.0.0.1:8102/ws/console/",
                cookie=f"sessionid={session_key}",
                secret=SECRET,
                rate=rate,
                seconds=seconds,
                prefix=f"lat{mix}",
                per_contact=5 if mix == "steady" else 0,
            )
        )
    finally:
        stop(web, ws, worker)
    mapping = json.loads(
        shell(
            "import json; from conversations.models import Message;"
            f"print(json.dumps({{str(u): p for u, p in Message.objects"
            f".filter(provider_message_id__startswith='lat{mix}-').values_list('uuid', 'provider_message_id')}}))"
        )
    )
    latencies = []
    for message_uuid, arrived in result["arrivals"].items():
        provider_id = mapping.get(message_uuid)
        if provider_id and provider_id in result["accepted"]:
            latencies.append((arrived - result["accepted"][provider_id]) * 1000)
    latencies.sort()
    return {
        "mix": mix,
        "rate_per_s": rate,
        "sent": len(result["accepted"]),
        "events_seen": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
    }


# --- inbox list at 100k conversations --------------------------------------------------------
def bench_inbox(total=100_000):
    out = run(sys.executable, "bench/inbox.py", "--conversations", str(total), capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next(
        (int(line.split()[1]) // 1024 // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "python": platform.python_version(),
        "postgres": subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("parts", nargs="*", default=["ingress", "processing", "latency", "inbox", "email"])
    args = parser.parse_args()
    reset_database()
    channel_uuid = setup_channel()
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"), "run_id": uuid.uuid4().hex[:8]}
    if "ingress" in args.parts:
        results["ingress"] = bench_ingress(channel_uuid)
        print(json.dumps({"ingress": results["ingress"]}), flush=True)
    if "processing" in args.parts:
        results["processing"] = bench_processing(channel_uuid)
        print(json.dumps({"processing": results["processing"]}), flush=True)
    if "latency" in args.parts:
        results["latency"] = bench_latency(channel_uuid, mix="steady")
        print(json.dumps({"latency": results["latency"]}), flush=True)
        results["latency_cold_start"] = bench_latency(channel_uuid, mix="cold")
        print(json.dumps({"latency_cold_start": results["latency_cold_start"]}), flush=True)
    if "inbox" in args.parts:
        results["inbox"] = bench_inbox()
        print(json.dumps({"inbox": results["inbox"]}), flush=True)
    if "email" in args.parts and (ROOT / "bench/email_ingest.py").exists():
        out = run(sys.executable, "bench/email_ingest.py", capture_output=True, text=True).stdout
        results["email"] = json.loads(out.strip().splitlines()[-1])
        print(json.dumps({"email": results["email"]}), flush=True)
    (ROOT / "bench/results").mkdir(exist_ok=True)
    (ROOT / "bench/results/latest.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
