"""The agent console's WebSocket: one per browser tab, at /ws/console/.

Joins the groups of the inboxes the user may see (the authorisation selector decides) and their
own user group; forwards events as JSON. A client may also subscribe to one conversation's group
(typing indicators), which is checked against the same selector.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from conversations import live, selectors
from core import realtime


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.groups_joined = await self._allowed_groups()
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await realtime.ensure_relay_started()
        await self.accept()
        await self.send_json({"type": "hello", "groups": len(self.groups_joined)})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "subscribe":
            group = await self._conversation_group(content.get("conversation_id"))
            if group is None:
                await self.send_json({"type": "error", "error": "not_found"})
                return
            if group not in self.groups_joined:
                self.groups_joined.append(group)
                await self.channel_layer.group_add(group, self.channel_name)
            await self.send_json({"type": "subscribed", "conversation_id": content.get("conversation_id")})
        elif kind == "typing":
            group = await self._conversation_group(content.get("conversation_id"))
            if group is not None:
                await realtime.broadcast_from_socket(
                    [group],
                    {
                        "type": "console.typing",
                        "conversation_id": content.get("conversation_id"),
                        "user_id": str(self.user.uuid),
                        "name": self.user.display_name,
                        "typing": bool(content.get("typing", True)),
                    },
                )
                # Web chat visitors see that someone is answering (a name and a flag, nothing else).
                visitor_groups = await self._visitor_groups(content.get("conversation_id"))
                if visitor_groups:
                    await live.visitor_typing_send(
                        visitor_groups, name=self.user.display_name, typing=bool(content.get("typing", True))
                    )
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def console_event(self, message):
        facts = message["facts"]
        data = {k: v for k, v in facts.items() if not k.endswith("_pk")}
        # Internal ids never leave the server; what the client needs is whether it is theirs.
        if "assignee_pk" in facts:
            data["mine"] = facts["assignee_pk"] == self.user.pk
            data["unassigned"] = facts["assignee_pk"] is None
        await self.send_json(
            {"type": "event", "event": message["event"], "timestamp": message["timestamp"], "data": data}
        )

    async def console_typing(self, message):
        if message.get("user_id") != str(self.user.uuid):
            await self.send_json({**message, "type": "typing"})

    @database_sync_to_async
    def _allowed_groups(self) -> list[str]:
        groups = [
            live.inbox_group(uuid) for uuid in selectors.channels_for_user(self.user).values_list("uuid", flat=True)
        ]
        groups.append(live.user_group(self.user.uuid))
        if self.user.is_admin:
            groups.append(live.ADMINS_GROUP)
        return groups

    @database_sync_to_async
    def _conversation_group(self, conversation_id) -> str | None:
        try:
            conversation = selectors.conversation_get_for_user(user=self.user, uuid=conversation_id)
        except Exception:
            return None
        return live.conversation_group(conversation.uuid)

    @database_sync_to_async
    def _visitor_groups(self, conversation_id) -> list[str]:
        try:
            conversation = selectors.conversation_get_for_user(user=self.user, uuid=conversation_id)
        except Exception:
            return []
        return live.visitor_groups_for_conversation(
            channel_uuid=str(conversation.channel.uuid), conversation_pk=conversation.pk
        )
