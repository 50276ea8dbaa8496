"""GET /sandbox/: post a mention of the brand as a customer and watch the brand's replies.

The form picks the visibility (public, unlisted, followers only, direct), an optional content
warning and an optional status to reply to. Statuses show threaded, with their visibility and
content warning; the brand's replies are marked. Status links (/@acct/id) open this page there.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from ..common.pages import EXPIRED_FORM, html_page, pretty_json, stylesheet, thread_order
from . import faults
from .actions import delete_status, post_mention, timeline
from .context import current_sandbox
from .guard import csrf_ok

bp = Blueprint("mastodon_sandbox_pages", __name__)

DEFAULT_ACCT = "minji"
PAGE_STATUSES = 300  # the page shows the newest 300 statuses
VISIBILITY_LABELS = {
    "public": "Public",
    "unlisted": "Quiet public (unlisted)",
    "private": "Followers only",
    "direct": "Private mention (direct)",
}

_AVATAR = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40"'
    ' rx="8" fill="#6364ff"/><circle cx="20" cy="16" r="7" fill="#fff"/><rect x="9" y="26"'
    ' width="22" height="9" rx="4" fill="#fff"/></svg>'
)

_CSS = """\
 body{font:15px/1.45 system-ui,-apple-system,"Apple SD Gothic Neo","Malgun Gothic",sans-serif;
  margin:0;background:#f2f2f7;color:#282c37}
 main{max-width:720px;margin:0 auto;padding:16px}
 h1{font-size:20px;margin:8px 0 4px} .muted{color:#606984;font-size:13px}
 form.compose,.status{background:#fff;border:1px solid #e1e3ec;border-radius:8px;padding:12px;
  margin:12px 0}
 label{display:block;font-size:13px;color:#606984;margin-top:6px}
 input,textarea,select{width:100%;box-sizing:border-box;font:inherit;padding:6px;
  border:1px solid #c0c4d6;border-radius:4px} textarea{min-height:70px}
 .row{display:flex;gap:8px}.row>div{flex:1}
 button{background:#6364ff;color:#fff;border:0;border-radius:4px;padding:6px 16px;
  font-weight:600;margin-top:8px;cursor:pointer}
 button.link{background:none;color:#606984;padding:0;font-weight:400;margin:0;
  text-decoration:underline;font-size:13px}
 .status{margin:8px 0} .brand{border-left:4px solid #6364ff} .deleted{opacity:.55}
 .deleted .text{text-decoration:line-through}
 .text{white-space:pre-wrap;margin:4px 0} .badge{font-size:12px;background:#eef;padding:1px 6px;
  border-radius:8px;margin-left:4px}
 .actions{display:flex;gap:12px;font-size:13px;align-items:baseline} .actions a{color:#606984}
 .actions form{margin:0}
 .error{background:#fdecea;border:1px solid #f5c2c0;padding:8px;border-radius:8px}
 details{margin:4px 0} pre{background:#fff;padding:8px;overflow:auto;font-size:13px}
 .depth-1{margin-left:28px} .depth-2{margin-left:56px} .depth-3{margin-left:84px}
 .depth-4{margin-left:112px} .depth-5{margin-left:140px} .depth-6{margin-left:168px}
"""

_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mastodon sandbox · @{{ brand }}</title>
<link rel="stylesheet" href="{{ url_for('mastodon_sandbox_pages.css') }}"></head><body><main>
<h1>Mastodon sandbox — @{{ brand }}</h1>
<p class="muted">A local stand-in for a Mastodon server (statuses up to {{ max_characters }}
 characters). Point IdeaBoard at <code>{{ api_url }}</code> (IDEABOARD_MASTODON_BASE_URL).
 Nothing here leaves this machine.</p>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form class="compose" method="post" action="{{ url_for('mastodon_sandbox_pages.act') }}">
 <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 <input type="hidden" name="action" value="post">
 <div class="row">
  <div><label for="acct">Customer account (user, or user@other.server)</label>
   <input id="acct" name="acct" value="{{ form.acct }}" required maxlength="300"></div>
  <div><label for="display_name">Display name (optional)</label>
   <input id="display_name" name="display_name" value="{{ form.display_name }}"
    maxlength="60"></div>
 </div>
 <label for="text">Status text</label>
 <textarea id="text" name="text" required maxlength="5000">{{ form.text }}</textarea>
 <div class="row">
  <div><label for="visibility">Visibility</label>
   <select id="visibility" name="visibility">
   {% for value, label in visibilities.items() %}
    <option value="{{ value }}"{{ ' selected' if value == form.visibility }}>{{ label }}</option>
   {% endfor %}</select></div>
  <div><label for="spoiler_text">Content warning (optional)</label>
   <input id="spoiler_text" name="spoiler_text" value="{{ form.spoiler_text }}"
    maxlength="500"></div>
  <div><label for="reply_to">In reply to status id (optional)</label>
   <input id="reply_to" name="reply_to" value="{{ form.reply_to }}" maxlength="19"></div>
 </div>
 <button type="submit">Post as customer</button>
</form>
<h2 class="muted">Statuses (the newest {{ count }})</h2>
{% for item, depth in threads %}
 <div class="status depth-{{ depth }}{{ ' brand' if item.account_id == brand_id }}
  {{- ' deleted' if item.deleted }}" id="s{{ item.id }}">
  <div><b>{{ item.display_name }}</b> <span class="muted">@{{ item.acct }} · {{ item.created_at }}
   · id {{ item.id }}</span><span class="badge">{{ item.visibility }}</span>
   {% if item.deleted %}<span class="badge">deleted</span>{% endif %}</div>
  {% if item.spoiler_text %}<details><summary>CW: {{ item.spoiler_text }}</summary>
   <div class="text">{{ item.text }}</div></details>
  {% else %}<div class="text">{{ item.text }}</div>{% endif %}
  <div class="actions">
   <a href="{{ url_for('mastodon_sandbox_pages.index', reply_to=item.id) }}#text"
    >Reply as customer</a>
   {% if not item.deleted %}
   <form method="post" action="{{ url_for('mastodon_sandbox_pages.act') }}">
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <input type="hidden" name="action" value="delete">
    <input type="hidden" name="id" value="{{ item.id }}">
    <button class="link" type="submit">Delete</button></form>
   {% endif %}
  </div>
 </div>
{% else %}<p class="muted">No statuses yet.</p>{% endfor %}
<details><summary class="muted">Fault switches</summary>
<p class="muted">POST JSON to <code>{{ url_for('mastodon_sandbox_admin.faults') }}</code>
 to change them.</p>
<pre>{{ faults }}</pre>
<form method="post" action="{{ url_for('mastodon_sandbox_pages.act') }}">
 <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 <input type="hidden" name="action" value="reset">
 <button type="submit">Reset the sandbox</button></form>
</details>
</main></body></html>
"""


def _threads(items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Threads: roots newest first, each reply under its parent, oldest first."""
    return thread_order(items, key="id", parent="in_reply_to_id", child_order=lambda c: c["id"])


def _render(form: dict[str, str], error: str | None = None, status: int = 200) -> Response:
    sandbox = current_sandbox()
    items = timeline(sandbox.store, PAGE_STATUSES)
    return html_page(
        _PAGE,
        status,
        brand=sandbox.brand_username,
        brand_id=sandbox.brand_id,
        max_characters=sandbox.max_characters,
        api_url=sandbox.root(),
        form=form,
        error=error,
        visibilities=VISIBILITY_LABELS,
        threads=_threads(items),
        count=len(items),
        faults=pretty_json(faults.get_faults(sandbox.store).to_dict()),
    )


@bp.get("/sandbox/")
def index() -> Response:
    """The compose form and the threaded statuses."""
    sandbox = current_sandbox()
    form = {
        "acct": DEFAULT_ACCT,
        "display_name": "",
        "text": f"@{sandbox.brand_username} 지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어",
        "visibility": "public",
        "spoiler_text": "",
        "reply_to": request.args.get("reply_to", "")[:19],
    }
    return _render(form)


@bp.post("/sandbox/")
def act() -> BaseResponse:
    """The page's forms: post as a customer, delete a status, reset the sandbox."""
    if not csrf_ok():
        return _render(_form_values(), EXPIRED_FORM, 400)
    store = current_sandbox().store
    action = request.form.get("action", "post")
    if action == "reset":
        store.reset()
    elif action == "delete":
        try:
            delete_status(store, request.form.get("id", ""))
        except ValueError as exc:
            return _render(_form_values(), str(exc), 400)
    else:
        form = _form_values()
        try:
            post_mention(
                store,
                acct=form["acct"],
                text=form["text"],
                visibility=form["visibility"],
                spoiler_text=form["spoiler_text"],
                reply_to=form["reply_to"] or None,
                display_name=form["display_name"] or None,
            )
        except ValueError as exc:
            return _render(form, str(exc), 400)
    return redirect(url_for("mastodon_sandbox_pages.index"), code=303)


def _form_values() -> dict[str, str]:
    keys = ("acct", "display_name", "text", "visibility", "spoiler_text", "reply_to")
    values = {key: request.form.get(key, "").strip() for key in keys}
    values["text"] = request.form.get("text", "")  # keep line breaks and spaces as typed
    return values


@bp.get("/sandbox/sandbox.css")
def css() -> Response:
    """The page's styles (a file: the Content-Security-Policy allows no inline style)."""
    return stylesheet(_CSS)


@bp.get("/sandbox/avatar.svg")
def avatar() -> Response:
    """Everyone's avatar: one picture, no data."""
    return Response(_AVATAR, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@bp.get("/@<acct>/<int:status_id>")
def status_link(acct: str, status_id: int) -> BaseResponse:
    """A status's public address: the sandbox page at that status."""
    return redirect(url_for("mastodon_sandbox_pages.index") + f"#s{status_id}", code=302)


@bp.get("/@<acct>")
def profile_link(acct: str) -> BaseResponse:
    """An account's public address: the sandbox page."""
    return redirect(url_for("mastodon_sandbox_pages.index"), code=302)
