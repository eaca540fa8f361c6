"""The visitor's WebSocket, at /ws/widget/, one per open chat frame.

The handshake is refused unless `Origin` is our own (the chat frame; see security.py). The
first message must be `{"type": "auth", "token": "<visitor token>"}` (kept out of the URL, so it
never lands in access logs); then the socket joins only its visitor's group and receives:
- `message`: an agent or bot message being delivered (from the adapter's send()), or the
  visitor's own message stored (from the live fan-out, re-read here through the visitor
  selectors);
- `seen`: an agent read the conversation; `conversation`: its status changed;
- `typing`: an agent is typing.
The visitor may send `typing` (relayed to the agents who have the conversation open) and `ping`.
"""

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from channels_app.providers.web_widget import payloads, security, selectors
from conversations import live
from core import realtime

AUTH_TIMEOUT_SECONDS = 10
TYPING_EVERY_SECONDS = 1.0


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _own_origins(scope) -> set[str]:
    origins = security.own_origins()
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    host = _header(scope, b"host")
    here = security.parse_origin(f"{scheme}://{host}") if host else None
    if here:
        origins.add(str(here))
    return origins


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.visitor = None
        self.group = None
        if _header(self.scope, b"origin") not in _own_origins(self.scope):
            await self.close()  # before accept: the handshake is refused with 403
            return
        self.opened_at = time.monotonic()
        self.last_typing = 0.0
        await realtime.ensure_relay_started()
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if self.visitor is None:
            if kind != "auth" or not await self._authenticate(str(content.get("token") or "")):
                await self.close(code=4401)
            return
        if kind == "typing":
            await self._typing(bool(content.get("typing", True)))
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def _authenticate(self, token: str) -> bool:
        if time.monotonic() - self.opened_at > AUTH_TIMEOUT_SECONDS:
            return False
        visitor = security.token_read(token)
        if visitor is None or not await self._may_connect(visitor):
            return False
        self.visitor = visitor
        self.group = live.visitor_group(visitor.address)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "ready"})
        return True

    @database_sync_to_async
    def _may_connect(self, visitor) -> bool:
        self.channel = selectors.channel_for_widget(visitor.channel_uuid)
        if self.channel is None:
            return False
        if self.channel.settings.get("require_verified") and not visitor.verified:
            return False
        return security.site_allowed(self.channel, visitor.origin, own=_own_origins(self.scope))

    async def _typing(self, typing: bool):
        now = time.monotonic()
        if typing and now - self.last_typing < TYPING_EVERY_SECONDS:
            return
        self.last_typing = now
        target = await database_sync_to_async(selectors.visitor_current_conversation)(
            channel=self.channel, visitor=self.visitor
        )
        if target is None:
            return
        groups, message = live.visitor_typing_message(
            conversation_uuid=str(target.uuid), name=target.contact.display_name, typing=typing
        )
        await realtime.broadcast_from_socket(groups, message)

    # --- from the channel layer --------------------------------------------------------------
    async def dispatch(self, message):
        # This socket only speaks `widget.*`; anything else sent to its group is not for visitors.
        if message.get("type", "").startswith(("widget.", "websocket.")):
            await super().dispatch(message)

    async def widget_message(self, message):
        await self.send_json({"type": "message", "message": message["message"]})

    async def widget_typing(self, message):
        await self.send_json({"type": "typing", "name": message.get("name", ""), "typing": bool(message.get("typing"))})

    async def widget_event(self, message):
        event = message.get("event")
        if event == "message.received" and message.get("message_id"):
            payload = await self._own_message(message["message_id"])
            if payload is not None:
                await self.send_json({"type": "message", "message": payload})
        elif event == "conversation.updated":
            await self.send_json({"type": "seen", "conversation_id": message["conversation_id"]})
        elif event == "conversation.status_changed":
            await self.send_json(
                {"type": "conversation", "conversation_id": message["conversation_id"], "status": message.get("status")}
            )

    @database_sync_to_async
    def _own_message(self, message_uuid) -> dict | None:
        found = selectors.visitor_message_get(channel=self.channel, visitor=self.visitor, uuid=message_uuid)
        return payloads.message_for_visitor(found) if found is not None else None
