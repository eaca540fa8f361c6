"""HTML mail bodies: sanitised for display (nh3) and turned into plain text.

The plain text is what the inbox shows and what quote stripping works on; blockquotes become
"> " lines so a quoted history in HTML is recognised like one in text. (html2text would do this
too but is GPL-3.0; the standard library's parser is enough for mail.)
"""

import re
from html import unescape
from html.parser import HTMLParser

import nh3

# Allow what mail needs to look like mail; no scripts, forms, frames or event handlers.
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup", "dd", "del", "div",
    "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre",
    "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"align", "dir", "lang", "title", "class"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "width", "valign"},
    "th": {"colspan", "rowspan", "width", "valign"},
    "table": {"width", "cellpadding", "cellspacing", "border"},
    "font": {"color", "size", "face"},
    "blockquote": {"type", "cite"},
}
# `cid:` stays so the console can point inline images at their stored attachments.
_SCHEMES = {"http", "https", "mailto", "tel", "cid"}

_BLOCK = {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "center", "dl"}
_SKIP = {"style", "script", "head", "title", "noscript", "template"}


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.quote = 0
        self.pre = 0

    def _newline(self):
        self.out.append("\n")

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self._newline()
        elif tag == "blockquote":
            self._newline()
            self.quote += 1
        elif tag == "li":
            self._newline()
            self.out.append("- ")
        elif tag in _BLOCK:
            self._newline()
            if tag == "pre":
                self.pre += 1
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self._newline()
        elif tag in _BLOCK or tag == "li":
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self._newline()

    def handle_data(self, data):
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        if self.quote:
            data = data.replace("\n", "\n" + "> " * self.quote)
            if not self.out or self.out[-1].endswith("\n"):
                data = "> " * self.quote + data.lstrip()
        self.out.append(data)


def to_text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html or "")
    parser.close()
    text = unescape("".join(parser.out))
    lines = [line.rstrip() for line in text.split("\n")]
    # Quote markers on lines that only carried markup.
    lines = [line for line in lines if line.strip(" >") or not line.strip()]
    text = "\n".join(line.lstrip() if not line.lstrip().startswith(">") else line.lstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
