"""Create `.env` for the zero-setup run: secrets generated once, kept across runs.

It also keeps `PUBLIC_BASE_URL` pointing at the local server `make run` starts (HOST, PORT), so
management commands run beside it (`simulate whatsapp`, webhook URLs shown in the console) use
the right port. A public address someone wrote there (not loopback) is never touched.
"""

import os
import re
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ENV = Path(__file__).resolve().parent.parent / ".env"
LOCAL_URL = re.compile(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/?$")


def _keep_local_base_url(existing: dict) -> None:
    if "PUBLIC_BASE_URL" in os.environ:
        return  # the environment wins over .env anyway
    current = existing.get("PUBLIC_BASE_URL", "").strip()
    if current and not LOCAL_URL.match(current):
        return
    wanted = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
    if current == wanted:
        return
    lines = [line for line in ENV.read_text().splitlines() if not line.startswith("PUBLIC_BASE_URL=")]
    ENV.write_text("\n".join([*lines, f"PUBLIC_BASE_URL={wanted}"]) + "\n")
    print(f"PUBLIC_BASE_URL={wanted} in {ENV.name}")


def main() -> int:
    existing = {}
    if ENV.exists():
        for line in ENV.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                existing[key.strip()] = value
    wanted = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": lambda: Fernet.generate_key().decode(),
        "DJANGO_SUPERUSER_EMAIL": lambda: "admin@example.com",
        "DJANGO_SUPERUSER_PASSWORD": lambda: secrets.token_urlsafe(12),
    }
    added = [f"{key}={make()}" for key, make in wanted.items() if key not in existing]
    if added:
        with ENV.open("a") as handle:
            if ENV.stat().st_size and not ENV.read_text().endswith("\n"):
                handle.write("\n")
            handle.write("\n".join(added) + "\n")
        print(f"wrote {', '.join(a.split('=')[0] for a in added)} to {ENV.name}")
    _keep_local_base_url(existing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
