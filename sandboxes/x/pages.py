"""GET /sandbox/: a page to post as a customer and watch the brand's replies arrive in threads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from ..common.pages import EXPIRED_FORM, html_page, pretty_json, stylesheet, thread_order
from . import faults, limits
from .actions import delete_post, post_mention, timeline
from .context import current_sandbox
from .guard import csrf_ok

bp = Blueprint("x_sandbox_pages", __name__, url_prefix="/sandbox")

DEFAULT_HANDLE = "minji_kim"

_CSS = """\
 body{font:15px/1.45 system-ui,-apple-system,"Apple SD Gothic Neo","Malgun Gothic",sans-serif;
  margin:0;background:#f7f9f9;color:#0f1419}
 main{max-width:720px;margin:0 auto;padding:16px}
 h1{font-size:20px;margin:8px 0 4px} .muted{color:#536471;font-size:13px}
 form.compose,.post{background:#fff;border:1px solid #eff3f4;border-radius:12px;padding:12px;
  margin:12px 0}
 label{display:block;font-size:13px;color:#536471;margin-top:6px}
 input,textarea{width:100%;box-sizing:border-box;font:inherit;padding:6px;border:1px solid #cfd9de;
  border-radius:6px} textarea{min-height:70px}
 .row{display:flex;gap:8px}.row>div{flex:1}
 button{background:#1d9bf0;color:#fff;border:0;border-radius:999px;padding:6px 16px;
  font-weight:600;margin-top:8px;cursor:pointer}
 button.link{background:none;color:#536471;padding:0;font-weight:400}
 .post{margin:8px 0} .brand{border-left:4px solid #1d9bf0} .deleted{opacity:.55}
 .deleted .text{text-decoration:line-through} .who b{margin-right:4px}
 .text{white-space:pre-wrap;margin:4px 0} .tag{color:#1d9bf0}
 .actions{display:flex;gap:12px;font-size:13px;align-items:baseline} .actions a{color:#536471}
 .actions form{margin:0} .actions button.link{margin:0;font-size:13px;text-decoration:underline}
 .error{background:#fdecea;border:1px solid #f5c2c0;padding:8px;border-radius:8px}
 details{font-size:13px;margin:12px 0} pre{background:#fff;padding:8px;overflow:auto}
 .depth-1{margin-left:28px} .depth-2{margin-left:56px} .depth-3{margin-left:84px}
 .depth-4{margin-left:112px} .depth-5{margin-left:140px} .depth-6{margin-left:168px}
"""

_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>X sandbox · @{{ brand }}</title>
<link rel="stylesheet" href="{{ url_for('x_sandbox_pages.css') }}"></head><body><main>
<h1>X sandbox — @{{ brand }}</h1>
<p class="muted">A local stand-in for the X API v2. Point IdeaBoard at
 <code>{{ api_url }}</code> (IDEABOARD_X_API_URL). Nothing here reaches x.com.</p>
{% if error %}<p class="error">{{ error }}</p>{% endif %}
<form class="compose" method="post" action="{{ url_for('x_sandbox_pages.index') }}">
 <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 <input type="hidden" name="action" value="post">
 <div class="row">
  <div><label for="username">Customer handle</label>
   <input id="username" name="username" value="{{ form.username }}" required></div>
  <div><label for="name">Display name (optional)</label>
   <input id="name" name="name" value="{{ form.name }}"></div>
 </div>
 <label for="text">Post text</label>
 <textarea id="text" name="text" required>{{ form.text }}</textarea>
 <div class="row">
  <div><label for="reply">In reply to post id (optional)</label>
   <input id="reply" name="in_reply_to_tweet_id" value="{{ form.in_reply_to_tweet_id }}"></div>
  <div><label for="created_at">Created at, RFC 3339 (optional: a late-indexed post)</label>
   <input id="created_at" name="created_at" value="{{ form.created_at }}"
    placeholder="2026-08-01T09:00:00Z"></div>
 </div>
 <button type="submit">Post as customer</button>
</form>
<h2 class="muted">Timeline ({{ count }} posts)</h2>
{% for item, depth in threads %}
 <div class="post depth-{{ depth }} {{ 'brand' if item.author_id == brand_id }}
  {{- ' deleted' if item.deleted }}" id="t{{ item.id }}">
  <div class="who"><b>{{ item.name }}</b><span class="muted">@{{ item.username }} ·
   {{ item.created_at }} · id {{ item.id }}{% if item.deleted %} · deleted{% endif %}</span></div>
  <div class="text">{% for part, href in item.segments %}{% if href %}<a href="{{ href }}"
   >{{ part }}</a>{% else %}{{ part }}{% endif %}{% endfor %}</div>
  <div class="actions">
   <a href="{{ url_for('x_sandbox_pages.index', reply_to=item.id) }}#text">Reply as customer</a>
   <a href="#t{{ item.id }}" title="{{ item.url }}">permalink</a>
   {% if not item.deleted %}
   <form method="post" action="{{ url_for('x_sandbox_pages.index') }}">
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 <input type="hidden" name="action" value="delete">
    <input type="hidden" name="id" value="{{ item.id }}">
    <button class="link" type="submit">Delete</button></form>
   {% endif %}
  </div>
 </div>
{% else %}<p class="muted">No posts yet.</p>{% endfor %}
<details><summary>Fault switches and rate limits</summary>
<p>POST JSON to <code>{{ url_for('x_sandbox_admin.set_faults') }}</code> and
 <code>{{ url_for('x_sandbox_admin.set_rate_limits') }}</code> to change these.</p>
<pre>{{ faults }}</pre><pre>{{ rate_limits }}</pre>
<form method="post" action="{{ url_for('x_sandbox_pages.index') }}">
 <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 <input type="hidden" name="action" value="reset">
 <button type="submit">Reset the sandbox</button></form>
</details>
</main></body></html>
"""


def _threads(items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Threads: roots newest first, each reply under its parent, oldest first."""
    return thread_order(
        items, key="id", parent="in_reply_to_tweet_id", child_order=lambda c: int(c["id"])
    )


def _segments(item: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Split a post's text so t.co links show (and open) their expanded URL."""
    text = item["text"]
    parts: list[tuple[str, str | None]] = []
    cursor = 0
    for url in sorted(item["entities"].get("urls", []), key=lambda u: u["start"]):
        parts.append((text[cursor : url["start"]], None))
        parts.append((url["display_url"], url["expanded_url"]))
        cursor = url["end"]
    parts.append((text[cursor:], None))
    return parts


def _render(form: dict[str, str], error: str | None = None, status: int = 200) -> Response:
    sandbox = current_sandbox()
    items = timeline(sandbox.store, sandbox.post_url)
    for item in items:
        item["segments"] = _segments(item)
    return html_page(
        _PAGE,
        status,
        brand=sandbox.brand_username,
        brand_id=sandbox.brand_user_id,
        api_url=request.url_root.rstrip("/"),
        form=form,
        error=error,
        threads=_threads(items),
        count=len(items),
        faults=pretty_json(faults.get_faults(sandbox.store).to_dict()),
        rate_limits=pretty_json(limits.get_config(sandbox.store)),
    )


@bp.get("/")
def index() -> Response:
    """Show the compose form and the threaded timeline."""
    sandbox = current_sandbox()
    form = {
        "username": DEFAULT_HANDLE,
        "name": "",
        "text": f"@{sandbox.brand_username} 지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어",
        "in_reply_to_tweet_id": request.args.get("reply_to", ""),
        "created_at": "",
    }
    return _render(form)


@bp.get("/sandbox.css")
def css() -> Response:
    """The page's styles (a file, not inline: the Content-Security-Policy allows no inline)."""
    return stylesheet(_CSS)


@bp.post("/")
def act() -> BaseResponse:
    """Handle the page's forms: post as a customer, delete a post, or reset the sandbox."""
    if not csrf_ok():
        return _render(_form_values(), EXPIRED_FORM, 400)
    store = current_sandbox().store
    action = request.form.get("action", "post")
    if action == "reset":
        store.reset()
    elif action == "delete":
        try:
            delete_post(store, request.form.get("id", ""))
        except ValueError as exc:
            return _render(_form_values(), str(exc), 400)
    else:
        form = _form_values()
        try:
            post_mention(
                store,
                username=form["username"],
                text=form["text"],
                name=form["name"] or None,
                in_reply_to_tweet_id=form["in_reply_to_tweet_id"] or None,
                created_at=form["created_at"] or None,
            )
        except ValueError as exc:
            return _render(form, str(exc), 400)
    return redirect(url_for("x_sandbox_pages.index"), code=303)


def _form_values() -> dict[str, str]:
    keys = ("username", "name", "text", "in_reply_to_tweet_id", "created_at")
    return {key: request.form.get(key, "").strip() for key in keys}
