"""Local stand-ins for the social networks' APIs, for demos and tests (never for production).

Each network's fake is a separate WSGI app in its own subpackage (``sandboxes.x`` today); none
imports IdeaBoard, and IdeaBoard mounts one only when told to (``IDEABOARD_X_SANDBOX=1``).
"""
