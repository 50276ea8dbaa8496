"""The outbox: the one queue of everything IdeaBoard sends.

- models.py: the `outbox` table (OutboxMessage), its kinds and states;
- rules.py: claim, mark sent/failed, retry, cancel, spending-cap parking and release;
- senders.py: the registry of senders by kind and the typed outcomes they report;
- delivery.py: the loop that claims due rows, calls the senders and commits;
- queries.py: what the pages read from it.

Rows are written by subscribers to domain events (ideaboard/events.py) in the transaction of
the change they report; the senders live with their networks (social/senders.py,
webhooks/sender.py).
"""
