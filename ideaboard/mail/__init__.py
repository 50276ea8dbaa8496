"""E-mail: notifications to followers, account mail (verification, password reset), staff mail.

- settings.py: IDEABOARD_SMTP_URL / IDEABOARD_MAIL_FROM and the development mailbox switch;
- enqueue.py: write e-mail outbox rows (a letter's name, the recipient, a dedupe key);
- letters.py: the registry of letters and how one is rendered for its recipient, at send time;
- message.py: the MIME message (multipart text + HTML, safe headers, stable Message-ID);
- sender.py: the outbox senders (SMTP, or the development mailbox), bounce handling;
- tokens.py: signed one-click unsubscribe links;
- subscribers.py: domain events → e-mail rows; views.py: unsubscribe and the dev mailbox.

E-mails are outbox rows of kind "email" and go out with everything else the outbox sends
(`flask ideaboard deliver`, `flask ideaboard worker`).
"""
