"""Play the customer's phone against a sandbox WhatsApp channel.

    python manage.py simulate whatsapp --channel <uuid or name> --from +5511999990000 --text "Olá"
    ... --image photo.jpg --caption "Olha isso" | --audio note.ogg | --video clip.mp4
    ... --document boleto.pdf | --sticker s.webp | --location=-23.5614,-46.6559 --place "Av. Paulista"
    ... --contact "Maria Silva:+5511988887777" | --button-reply yes:Sim | --list-reply row-2:Entrega
    ... --template-button TRACK:Rastrear | --reaction 👍 [--to <wamid>] | --unreact [--to <wamid>]
    ... --reply-to <wamid|last> --name "Maria" --show

Each run posts one webhook shaped like Meta's, signed with the channel's app secret, to the
channel's webhook URL on the running server (or --url), exactly as Meta would. Files are put in
the sandbox's media store first, so the server downloads them through the sandbox Graph API.
`--show` prints the conversation as the phone shows it, agent replies with their ticks.
"""

import hashlib
import mimetypes
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from channels_app.models import Channel
from channels_app.providers.whatsapp import sandbox, signature, simulator
from channels_app.providers.whatsapp.selectors import customer_transcript, last_business_wamid
from channels_app.registry import adapter_for
from contacts import identities
from conversations.models import Message
from core import http
from core.parse import uuid_or_none

TICKS = {"queued": "🕓", "sending": "🕓", "sent": "✓", "delivered": "✓✓", "read": "✓✓ (read)", "failed": "⚠"}


class Command(BaseCommand):
    help = "Play a customer's phone: post a signed WhatsApp webhook to a sandbox channel."

    def add_arguments(self, parser):
        parser.add_argument("provider", choices=["whatsapp"], help="The channel kind to simulate (only whatsapp).")
        parser.add_argument("--channel", required=True, help="The sandbox channel's UUID or name.")
        parser.add_argument("--from", dest="sender", default="+5511999990000", help="The customer's phone number.")
        parser.add_argument("--name", default="Cliente Simulado", help="The customer's WhatsApp profile name.")
        kinds = parser.add_mutually_exclusive_group()
        kinds.add_argument("--text", help='Send a text message (the default, "Olá!").')
        for kind, what in (
            ("image", "an image (see --caption)"),
            ("audio", "audio (an .ogg file as a voice note)"),
            ("video", "a video (see --caption)"),
            ("document", "a document, e.g. a PDF (see --caption)"),
            ("sticker", "a sticker (.webp)"),
        ):
            kinds.add_argument(f"--{kind}", metavar="PATH", help=f"Send this file as {what}.")
        kinds.add_argument(
            "--location", metavar="LAT,LNG", help="Send a location, e.g. --location=-23.5614,-46.6559 (see --place)."
        )
        kinds.add_argument("--contact", metavar="NAME:PHONE", help="Send a contact card, e.g. 'Maria:+5511988887777'.")
        kinds.add_argument("--button-reply", metavar="ID:TITLE", help="Tap a reply button of the agent's last message.")
        kinds.add_argument("--list-reply", metavar="ID:TITLE", help="Pick a row of the agent's last list message.")
        kinds.add_argument(
            "--template-button", metavar="PAYLOAD:TEXT", help="Tap a quick-reply button of a template message."
        )
        kinds.add_argument("--reaction", metavar="EMOJI", help="React to a message (see --to) with this emoji.")
        kinds.add_argument("--unreact", action="store_true", help="Remove the reaction from a message (see --to).")
        parser.add_argument("--caption", default="", help="Caption of an --image, --video or --document.")
        parser.add_argument("--place", default="", help="Name of the place sent with --location.")
        parser.add_argument("--to", default="", help="wamid a reaction is for (default: the agent's last message).")
        parser.add_argument("--reply-to", default="", help="wamid to quote, or `last` for the agent's last message.")
        parser.add_argument("--url", default="", help="Webhook URL to post to (default: the channel's).")
        parser.add_argument("--show", action="store_true", help="Print the conversation afterwards.")
        parser.add_argument("--wait", type=float, default=2.0, help="Seconds to wait before --show.")

    def handle(self, *args, **options):
        channel = self._channel(options["channel"])
        app_secret, _token = adapter_for(channel).webhook_secrets()
        number = sandbox.channel_numbers()
        business = next(n.business for n in number if n.channel_id == channel.pk)
        sender = options["sender"]
        try:
            identities.normalize_phone(sender)
        except identities.InvalidAddress as exc:
            raise CommandError(str(exc)) from exc
        message, reply_to = self._message(channel, business, sender, options)
        payload = simulator.message_webhook(
            business, sender=sender, name=options["name"], message=message, reply_to=reply_to
        )
        body = simulator.encode(payload)
        url = options["url"] or channel.webhook_url
        try:
            if options["url"]:
                response = http.request(
                    "POST",
                    url,
                    provider="whatsapp_simulator",
                    operation="inbound_webhook",
                    channel_id=channel.pk,
                    content=body,
                    headers={"Content-Type": "application/json", signature.HEADER: signature.sign(app_secret, body)},
                    secrets=[app_secret],
                )
            else:
                response = sandbox.post_signed(channel, body, operation="simulated_inbound")
        except http.TransportError as exc:
            raise CommandError(f"The server at {url} did not answer ({exc.message}). Is it running?") from exc
        wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        self.stdout.write(f"{response.status_code} {response.text.strip()}  {message['type']} {wamid}")
        if response.status_code != 200:
            raise CommandError("The webhook was refused.")
        if options["show"]:
            time.sleep(options["wait"])
            self._show(channel, sender)

    def _channel(self, ref: str) -> Channel:
        channels = Channel.objects.filter(kind="whatsapp")
        channel = channels.filter(uuid=ref).first() if uuid_or_none(ref) else channels.filter(name=ref).first()
        if channel is None:
            raise CommandError(f"No WhatsApp channel {ref!r}.")
        if not channel.settings.get("sandbox"):
            raise CommandError(
                f"{channel.name} is a real number: the simulator only plays customers of sandbox channels."
            )
        return channel

    def _message(self, channel, business, sender, options) -> tuple[dict, str]:
        reply_to = options["reply_to"]
        if reply_to == "last":
            reply_to = last_business_wamid(channel=channel, phone=sender)
        for kind in ("image", "audio", "video", "document", "sticker"):
            if options[kind]:
                path = Path(options[kind])
                if not path.is_file():
                    raise CommandError(f"No file {path}.")
                data = path.read_bytes()
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                if kind == "audio" and path.suffix == ".ogg":
                    mime = "audio/ogg; codecs=opus"
                media_id = sandbox.StorageMediaStore().put(data, mime.split(";")[0], business.phone_number_id)
                return simulator.media(
                    kind,
                    media_id=media_id,
                    mime_type=mime,
                    sha256=hashlib.sha256(data).hexdigest(),
                    caption=options["caption"],
                    filename=path.name,
                ), reply_to
        if options["location"]:
            try:
                latitude, longitude = (float(x) for x in options["location"].split(","))
            except ValueError as exc:
                raise CommandError("--location takes LAT,LNG, e.g. --location=-23.5614,-46.6559") from exc
            return simulator.location(latitude, longitude, name=options["place"]), reply_to
        if options["contact"]:
            name, phone = _pair(options["contact"], "--contact")
            return simulator.contact_card(name, phone), reply_to
        if options["button_reply"]:
            return simulator.button_reply(
                *_pair(options["button_reply"], "--button-reply")
            ), reply_to or last_business_wamid(channel=channel, phone=sender)
        if options["list_reply"]:
            return simulator.list_reply(*_pair(options["list_reply"], "--list-reply")), reply_to or last_business_wamid(
                channel=channel, phone=sender
            )
        if options["template_button"]:
            payload, text = _pair(options["template_button"], "--template-button")
            return simulator.template_button(payload, text), reply_to or last_business_wamid(
                channel=channel, phone=sender
            )
        if options["reaction"] or options["unreact"]:
            target = options["to"] or last_business_wamid(channel=channel, phone=sender)
            if not target:
                raise CommandError("Nothing to react to: give --to <wamid>.")
            return simulator.reaction(target, "" if options["unreact"] else options["reaction"]), ""
        return simulator.text(options["text"] or "Olá!"), reply_to

    def _show(self, channel, sender):
        messages = customer_transcript(channel=channel, phone=sender)
        if not messages:
            self.stdout.write("(no conversation yet: is the worker running?)")
        for message in messages:
            if message.direction == Message.Direction.INBOUND:
                self.stdout.write(f"  me      › {message.content}")
            else:
                ticks = TICKS.get(message.status, message.status)
                extra = f"  — {message.error_reason}" if message.error_reason else ""
                self.stdout.write(f"  business‹ {message.content}  {ticks}{extra}")


def _pair(value: str, option: str) -> tuple[str, str]:
    first, sep, second = value.partition(":")
    if not sep or not first or not second:
        raise CommandError(f"{option} takes two values separated by ':'.")
    return first, second
