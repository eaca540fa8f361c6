"""WhatsApp Business Cloud API: the channel provider (adapter.py) and its own Django app (label
`whatsapp`) for what belongs to it alone: the Meta app record shared by channels, and the message
templates synced from each WhatsApp Business Account. See docs/channels/whatsapp.md."""
