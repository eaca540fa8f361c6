"""Message templates: which parameters a template needs, the `components` Meta expects when it is
sent, and the text the agent sees as a preview. Pure.

A synced template's components look like Meta's listing:
    [{"type": "HEADER", "format": "TEXT" | "IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION", "text"?},
     {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} saiu."},
     {"type": "FOOTER", "text"},
     {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY" | "URL" | "PHONE_NUMBER" | "COPY_CODE", "text", "url"?}]}]
Placeholders are positional ({{1}}) or named ({{first_name}}). Our parameters, from the composer
and the API, are one mapping per component, keyed by placeholder:
    {"header": {"1": "Maria"} | {"link": "https://…/photo.jpg"},
     "body": {"1": "Maria", "2": "#4521"},            # a list is read as {"1": …, "2": …}
     "buttons": {"0": "<payload or URL suffix>"}}     # by button position
and become Meta's send components:
    {"type": "body", "parameters": [{"type": "text", "text": "Maria"}, …]}   (+ "parameter_name" when named)
    {"type": "header", "parameters": [{"type": "image", "image": {"link": …}}]}
    {"type": "button", "sub_type": "url" | "quick_reply" | "copy_code", "index": "1", "parameters": [...]}
(`index` is a string, as in Meta's own SDK documentation.)
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
MEDIA_FORMATS = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}
# A media header's kind as the agent reads it in a field's label.
_MEDIA_NAMES = {"IMAGE": gettext_lazy("image"), "VIDEO": gettext_lazy("video"), "DOCUMENT": gettext_lazy("document")}


class TemplateProblem(ValueError):
    """The parameters do not fit the template (or the template cannot be sent by us)."""


@dataclass(frozen=True)
class Field:
    """One value an agent fills in before sending."""

    component: str  # header | body | buttons
    key: str  # placeholder name ("1", "first_name"), "link" for a media header, button index
    label: str
    kind: str  # text | media | url_suffix | payload | coupon_code
    required: bool = True
    example: str = ""


def _component(components: list, kind: str) -> dict | None:
    for component in components or []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == kind:
            return component
    return None


def placeholders(text: str) -> list[str]:
    """Placeholder names in order of first appearance, each once."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


def is_named(components: list) -> bool:
    names = []
    for kind in ("HEADER", "BODY"):
        component = _component(components, kind)
        if component:
            names += placeholders(str(component.get("text") or ""))
    return any(not name.isdigit() for name in names)


def _examples(component: dict, key: str) -> list[str]:
    example = component.get("example") if isinstance(component.get("example"), dict) else {}
    values = example.get(key) or []
    if values and isinstance(values[0], list):
        values = values[0]
    return [str(v) for v in values] if isinstance(values, list) else []


def _header_label(name: str) -> str:
    return _("Header {{%(name)s}}") % {"name": name}


def _body_label(name: str) -> str:
    return _("Text {{%(name)s}}") % {"name": name}


def fields(components: list) -> list[Field]:
    """What a template asks for, in the order a form shows it."""
    found: list[Field] = []
    header = _component(components, "HEADER")
    if header:
        header_format = str(header.get("format") or "TEXT").upper()
        if header_format == "TEXT":
            examples = _examples(header, "header_text")
            for i, name in enumerate(placeholders(str(header.get("text") or ""))):
                found.append(
                    Field("header", name, _header_label(name), "text", example=examples[i] if i < len(examples) else "")
                )
        elif header_format in MEDIA_FORMATS:
            found.append(
                Field("header", "link", _("Header %(kind)s (link)") % {"kind": _MEDIA_NAMES[header_format]}, "media")
            )
    body = _component(components, "BODY")
    if body:
        examples = _examples(body, "body_text")
        for i, name in enumerate(placeholders(str(body.get("text") or ""))):
            found.append(
                Field("body", name, _body_label(name), "text", example=examples[i] if i < len(examples) else "")
            )
    buttons = _component(components, "BUTTONS")
    for index, button in enumerate((buttons or {}).get("buttons") or []):
        if not isinstance(button, dict):
            continue
        button_type = str(button.get("type") or "").upper()
        label = str(button.get("text") or "")
        if button_type == "URL" and placeholders(str(button.get("url") or "")):
            base = PLACEHOLDER.sub("…", str(button.get("url") or ""))
            label_text = _("End of the link of “%(label)s” (%(url)s)") % {"label": label, "url": base}
            found.append(Field("buttons", str(index), label_text, "url_suffix"))
        elif button_type == "QUICK_REPLY":
            found.append(
                Field(
                    "buttons",
                    str(index),
                    _("Reply id of the button “%(label)s”") % {"label": label},
                    "payload",
                    required=False,
                )
            )
        elif button_type == "COPY_CODE":
            found.append(
                Field("buttons", str(index), _("Code copied by “%(label)s”") % {"label": label}, "coupon_code")
            )
    return found


def normalise(parameters: dict | None) -> dict[str, dict[str, str]]:
    """Parameters from a form or the API as {component: {key: value}} of stripped strings."""
    result: dict[str, dict[str, str]] = {"header": {}, "body": {}, "buttons": {}}
    if parameters is None:
        return result
    if not isinstance(parameters, dict):
        raise TemplateProblem(_("Template parameters must be an object with header, body and buttons."))
    for component in result:
        given = parameters.get(component)
        if given is None:
            continue
        if isinstance(given, list):
            given = {str(i + 1): v for i, v in enumerate(given)}
        if not isinstance(given, dict):
            raise TemplateProblem(_("Template parameters for %(part)s must be an object.") % {"part": component})
        result[component] = {str(k): ("" if v is None else str(v)).strip() for k, v in given.items()}
    return result


def check(components: list, parameters: dict | None) -> dict[str, dict[str, str]]:
    """Normalised parameters, or TemplateProblem naming what is missing."""
    header = _component(components, "HEADER")
    if header and str(header.get("format") or "").upper() == "LOCATION":
        raise TemplateProblem(_("Templates with a location header cannot be sent from here yet."))
    values = normalise(parameters)
    wanted = fields(components)
    missing = [f.label for f in wanted if f.required and not values[f.component].get(f.key)]
    if missing:
        raise TemplateProblem(_("Fill in the template's parameters: %(missing)s.") % {"missing": ", ".join(missing)})
    # Extra values are refused rather than dropped: a caller counting placeholders wrong (four
    # values for three) would otherwise send the customer a message it did not mean.
    for component, given in values.items():
        known = [f.key for f in wanted if f.component == component]
        extra = sorted(key for key, value in given.items() if value and key not in known)
        if extra:
            raise TemplateProblem(
                _("The template's %(part)s takes %(count)s parameter(s) (%(known)s), not: %(extra)s.")
                % {"part": component, "count": len(known), "known": ", ".join(known) or "-", "extra": ", ".join(extra)}
            )
    link = values["header"].get("link", "")
    if link and not link.startswith(("https://", "http://")):
        raise TemplateProblem(_("The header file must be given as an http(s) link."))
    return values


def _text_parameters(text: str, values: dict[str, str], named: bool) -> list[dict]:
    parameters = []
    for name in placeholders(text):
        parameter = {"type": "text", "text": values[name]}
        if named:
            parameter["parameter_name"] = name
        parameters.append(parameter)
    return parameters


def send_components(components: list, parameters: dict | None) -> list[dict]:
    """Meta's `template.components` for a send. Raises TemplateProblem."""
    values = check(components, parameters)
    named = is_named(components)
    result: list[dict] = []
    header = _component(components, "HEADER")
    if header:
        header_format = str(header.get("format") or "TEXT").upper()
        if header_format == "TEXT" and placeholders(str(header.get("text") or "")):
            result.append({"type": "header", "parameters": _text_parameters(header["text"], values["header"], named)})
        elif header_format in MEDIA_FORMATS:
            kind = MEDIA_FORMATS[header_format]
            result.append({"type": "header", "parameters": [{"type": kind, kind: {"link": values["header"]["link"]}}]})
    body = _component(components, "BODY")
    if body and placeholders(str(body.get("text") or "")):
        result.append({"type": "body", "parameters": _text_parameters(body["text"], values["body"], named)})
    for field in fields(components):
        if field.component != "buttons" or not values["buttons"].get(field.key):
            continue
        value = values["buttons"][field.key]
        sub_type, parameter = {
            "url_suffix": ("url", {"type": "text", "text": value}),
            "payload": ("quick_reply", {"type": "payload", "payload": value}),
            "coupon_code": ("copy_code", {"type": "coupon_code", "coupon_code": value}),
        }[field.kind]
        result.append({"type": "button", "sub_type": sub_type, "index": field.key, "parameters": [parameter]})
    return result


def preview(components: list, parameters: dict | None = None) -> str:
    """The message as the customer will read it (placeholders left visible when not filled)."""
    values = normalise(parameters) if parameters is not None else normalise({})

    def fill(text: str, mapping: dict[str, str]) -> str:
        return PLACEHOLDER.sub(lambda m: mapping.get(m.group(1)) or m.group(0), text or "")

    lines = []
    header = _component(components, "HEADER")
    if header:
        header_format = str(header.get("format") or "TEXT").upper()
        if header_format == "TEXT":
            lines.append(fill(str(header.get("text") or ""), values["header"]))
        elif header_format in MEDIA_FORMATS:
            lines.append(f"[{header_format.lower()}] {values['header'].get('link', '')}".strip())
    body = _component(components, "BODY")
    if body:
        lines.append(fill(str(body.get("text") or ""), values["body"]))
    footer = _component(components, "FOOTER")
    if footer and footer.get("text"):
        lines.append(str(footer["text"]))
    buttons = _component(components, "BUTTONS")
    labels = [
        f"[{b.get('text')}]" for b in (buttons or {}).get("buttons") or [] if isinstance(b, dict) and b.get("text")
    ]
    if labels:
        lines.append(" ".join(labels))
    return "\n".join(line for line in lines if line)
