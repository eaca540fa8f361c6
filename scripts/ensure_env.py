"""Create `.env` for the zero-setup run: secrets generated once, kept across runs."""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ENV = Path(__file__).resolve().parent.parent / ".env"


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
