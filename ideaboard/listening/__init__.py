"""Listening: the social mentions that are not ideas, and early warning of trouble.

- `classify.py` sorts a mention's text into question, complaint, suggestion or other with a
  documented keyword and pattern list for Korean and English (docs/listening.md); the importer
  stores the class on every logged mention (`mention_log.label`).
- `inbox.py`, `views.py`, `forms.py`: the staff's listening inbox at /staff/listening, one
  queue per brand account of the mentions without an idea tag (and held ideas), with reply,
  convert to an idea, route to a team, dismiss and reopen, each exactly once.
- `spikes.py` (pure rules), `alerts.py`, `models.py`: mentions per UTC hour per class against
  the same hour on the previous days; an unusual hour fires one alert (banner, admin e-mail,
  `mentions.spike` webhook). `chart.py` draws the dashboard's mentions-per-hour chart and
  `spike_views.py` serves the banner and its dismiss button.
"""
