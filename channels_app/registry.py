"""Provider kind → adapter class. The one list of channel kinds."""

from functools import cache
from importlib import import_module

from channels_app.adapters import ChannelAdapter

ADAPTERS: dict[str, str] = {
    "api": "channels_app.providers.api.adapter.ApiChannelAdapter",
    "whatsapp": "channels_app.providers.whatsapp.adapter.WhatsAppAdapter",
    "web_widget": "channels_app.providers.web_widget.adapter.WebWidgetAdapter",
    "email": "channels_app.providers.email.adapter.EmailChannelAdapter",
}


def register(kind: str, dotted_path: str) -> None:
    ADAPTERS[kind] = dotted_path
    adapter_class.cache_clear()


@cache
def adapter_class(kind: str) -> type[ChannelAdapter]:
    try:
        module_path, _, class_name = ADAPTERS[kind].rpartition(".")
    except KeyError:
        raise LookupError(f"unknown channel kind {kind!r}") from None
    return getattr(import_module(module_path), class_name)


def adapter_for(channel) -> ChannelAdapter:
    return adapter_class(channel.kind)(channel)


def kinds() -> list[tuple[str, str]]:
    return [(kind, adapter_class(kind).label) for kind in ADAPTERS]


def setup_form_class(kind: str):
    module_path, _, class_name = adapter_class(kind).setup_form.rpartition(".")
    return getattr(import_module(module_path), class_name)
