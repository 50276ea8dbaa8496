"""Code the sandboxes (x, bluesky, mastodon) share: the SQLite store's basics, fault injection,
the browser pages' form helpers, the admin JSON helpers and the app factory's error handling.

Each sandbox keeps its own routes, error shapes and public functions; what lives here is the
logic that is the same in all of them. Like the sandboxes, it imports nothing from `ideaboard`.
"""
