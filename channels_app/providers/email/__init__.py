"""The e-mail channel: IMAP/POP3 mailboxes in, SMTP out, password or OAuth 2.0 (XOAUTH2).

A provider package (adapter, setup form, setup views) and a Django app of its own
(label `email_channel`) for the mailbox polling state, so its migrations never collide with
another provider's. See docs/channels/email.md.
"""
