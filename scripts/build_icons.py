"""Build static/vendor/lucide-icons-<version>.svg: the console's icons as one SVG sprite.

The icons come from the npm package `lucide-static` (ISC licence; some derived from Feather, MIT):
    cd "$(mktemp -d)" && npm pack lucide-static@<version> && tar xzf lucide-static-*.tgz
    python scripts/build_icons.py <that folder>/package
Templates use them with `{% icon "name" %}` (conversations/templatetags/console.py). To add an
icon, add its Lucide name to ICONS and run this again."""

import json
import re
import sys
from pathlib import Path

ICONS = [
    # rail and menus
    "inbox",
    "users",
    "search",
    "settings",
    "circle-user-round",
    "log-out",
    "languages",
    "arrow-left",
    "book-open-text",
    "external-link",
    "message-circle-more",
    "chevron-down",
    # channels
    "message-circle",
    "mail",
    "globe",
    "plug",
    "smartphone",
    "phone",
    "camera",
    "message-square",
    # conversation
    "paperclip",
    "lock",
    "hourglass",
    "tag",
    "check",
    "check-check",
    "clock",
    "triangle-alert",
    "bot",
    "map-pin",
    "user",
    "alarm-clock",
    "rotate-ccw",
    "mail-open",
    "send",
    "x",
]
# On each symbol: a <use> instance inherits from the page, not from the sprite's root.
ATTRS = 'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"'
OUT = Path(__file__).resolve().parent.parent / "static" / "vendor"


def main(package: Path) -> int:
    version = json.loads((package / "package.json").read_text())["version"]
    symbols = []
    for name in ICONS:
        svg = (package / "icons" / f"{name}.svg").read_text()
        body = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S).group(1)
        body = " ".join(line.strip() for line in body.strip().splitlines())
        symbols.append(f'<symbol id="{name}" viewBox="0 0 24 24" {ATTRS}>{body}</symbol>')
    sprite = (
        f"<!-- Lucide icons (lucide-static {version}), ISC licence: https://lucide.dev/license -->\n"
        '<svg xmlns="http://www.w3.org/2000/svg">\n' + "\n".join(symbols) + "\n</svg>\n"
    )
    for old in OUT.glob("lucide-icons-*.svg"):
        old.unlink()
    (OUT / f"lucide-icons-{version}.svg").write_text(sprite)
    (OUT / "LICENSE-lucide.txt").write_text((package / "LICENSE").read_text())
    print(f"wrote lucide-icons-{version}.svg with {len(symbols)} icons")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
