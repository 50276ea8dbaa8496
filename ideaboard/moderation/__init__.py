"""Staff moderation and oversight: people and blocking, CSV export, the staff dashboard."""
