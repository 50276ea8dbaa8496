"""Listening: the rules of the staff's listening inbox for social mentions that are not ideas.

`classify.py` sorts a mention's text into question, complaint, suggestion or other with a
documented keyword and pattern list for Korean and English (docs/listening.md).
`spikes.py` counts classified mentions per UTC hour and tells which classes are far above the
same hour on the previous days (spike alerts).
"""
