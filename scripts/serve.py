"""Run the zero-setup topology in the foreground: daphne (HTTP + WebSocket) and the django-q2
worker. Ctrl-C stops both; if either dies, the other is stopped too."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def wait_until_up(url: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def main() -> int:
    import environ

    environ.Env.read_env(ROOT / ".env", overwrite=False)
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    env = {**os.environ, "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", f"http://{host}:{port}")}
    web = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", host, "-p", port, "omnichannel.asgi:application"], cwd=ROOT, env=env
    )
    worker = subprocess.Popen([PYTHON, "manage.py", "qcluster"], cwd=ROOT, env=env)
    children = [web, worker]

    def stop(*_args):
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        if wait_until_up(f"http://{host}:{port}/healthz"):
            print(
                "\n"
                f"  Helpdesk is running at http://{host}:{port}/\n"
                f"  Sign in as {os.environ.get('DJANGO_SUPERUSER_EMAIL', 'admin@example.com')}"
                f" with password {os.environ.get('DJANGO_SUPERUSER_PASSWORD', '(see .env)')}\n"
                "  Demo shop page with the web chat widget, for signed-in agents and admins (sign in first):"
                f" http://{host}:{port}/widget/demo/\n"
                "  Press Ctrl-C to stop.\n",
                flush=True,
            )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a process exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
