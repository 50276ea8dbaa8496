"""Outbound webhooks: admin-configured URLs that receive signed notices of what happened.

- models.py: the Webhook row (URL, secret, subscribed events);
- enqueue.py: the event names, payloads, and the outbox rows for one event;
- subscribers.py: which domain events become which webhook events;
- sender.py: the outbox sender for the `webhook` kind (a signed POST).

Configuring webhooks (create, switch off, send a test) is part of the API's services.
"""
