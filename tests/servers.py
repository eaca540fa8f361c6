"""Starting the real server processes that some tests drive over HTTP and WebSocket."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback test server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {seconds}s")


@contextmanager
def processes(*commands: list[str], env: dict, log_dir: Path):
    """Run commands in the project directory; stop them (and say what they printed) at the end."""
    started = []
    try:
        for index, command in enumerate(commands):
            log = open(log_dir / f"proc{index}.log", "wb")  # noqa: SIM115 - closed below
            started.append(
                (
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                    ),
                    log,
                )
            )
        yield [p for p, _ in started]
    finally:
        for proc, _ in started:
            proc.terminate()
        for proc, log in started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def daphne(port: int) -> list[str]:
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "omnichannel.asgi:application"]


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def base_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "PYTEST_"))}
    env.update(overrides)
    return env
