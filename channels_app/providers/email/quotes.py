"""Stripping the quoted history from a reply's plain text, for display.

Mail clients put the previous mail under a header line that we recognise in English and
Portuguese ("On … wrote:", "Em … escreveu:"), under Outlook's "From:/Sent:" (or "De:/Enviado:")
block or "-----Original Message-----" separator, or as trailing "> " lines. The reply is what
comes before the first such marker. The full original is always kept beside it (the message
payload), so a wrong guess hides nothing for good.
"""

import re

# A header line may be wrapped by the sender's client; it is matched on the line joined with
# the next one too.
_ATTRIBUTION = [
    re.compile(r"^\s*On\b.{4,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*Em\b.{4,300}\bescreveu:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*No dia\b.{4,300}\bescreveu:\s*$", re.IGNORECASE | re.DOTALL),  # pt-PT clients
    re.compile(r"^\s*Le\b.{4,300}\ba écrit\s*:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*El\b.{4,300}\bescribió:\s*$", re.IGNORECASE | re.DOTALL),
]
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(Original Message|Mensagem original|Forwarded message|Mensagem encaminhada"
    r"|Mensaje original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")  # Outlook's rule above its header block
_FROM = re.compile(r"^\s*\*?(From|De)\s*:\*?\s+\S", re.IGNORECASE)
_SENT = re.compile(r"^\s*\*?(Sent|Date|Enviado|Enviada em|Enviado em|Data)\s*:\*?\s+\S", re.IGNORECASE)
_QUOTED = re.compile(r"^\s*>")


def strip_quoted(text: str) -> tuple[str, bool]:
    """(the reply without the quoted history, whether anything was removed). When stripping
    would leave nothing (a forward, an answer written inside the quote), the text is kept."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _first_marker(lines)
    if cut is None:
        cut = _trailing_quote(lines)
    if cut is None:
        return text.strip(), False
    reply = "\n".join(lines[:cut]).rstrip()
    if not reply.strip():
        return text.strip(), False
    return reply.strip("\n"), True


def _first_marker(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        joined = line + (" " + lines[index + 1].strip() if index + 1 < len(lines) else "")
        if any(p.match(line) for p in _ATTRIBUTION) or (
            not _QUOTED.match(line) and any(p.match(joined) for p in _ATTRIBUTION) and _ends_header(joined)
        ):
            return index
        if _SEPARATOR.match(line):
            return index
        if _FROM.match(line) and any(_SENT.match(following) for following in lines[index + 1 : index + 4]):
            # Outlook's header block; the rule of underscores above it goes too.
            above = index - 1
            while above >= 0 and not lines[above].strip():
                above -= 1
            return above if above >= 0 and _UNDERSCORES.match(lines[above]) else index
    return None


def _ends_header(joined: str) -> bool:
    return joined.rstrip().endswith(":")


def _trailing_quote(lines: list[str]) -> int | None:
    """The start of the block of "> " lines that ends the mail (blank lines allowed inside)."""
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and (_QUOTED.match(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    if start == end:
        return None
    while start < end and not lines[start].strip():
        start += 1
    return start
