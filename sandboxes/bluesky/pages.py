"""GET /sandbox/: post as a customer on Bluesky and watch the brand's replies arrive in threads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from ..common.pages import EXPIRED_FORM, html_page, pretty_json, stylesheet, thread_order
from . import auth, faults, limits
from .actions import delete_post, post_mention, timeline
from .context import current_sandbox
from .guard import csrf_ok

bp = Blueprint("bluesky_sandbox_pages", __name__, url_prefix="/sandbox")

DEFAULT_HANDLE = "minji.bsky.social"
MAX_FIELD_CHARS = 4000

_CSS = """\
 body{font:15px/1.45 system-ui,-apple-system,"Apple SD Gothic Neo","Malgun Gothic",sans-serif;
  margin:0;background:#f1f3f5;color:#0b0f14}
 main{max-width:720px;margin:0 auto;padding:16px}
 h1{font-size:20px;margin:8px 0 4px} .muted{color:#42576c;font-size:13px}
 form.compose,.post{background:#fff;border:1px solid #d4dbe2;border-radius:12px;padding:12px;
  margin:12px 0}
 label{display:block;font-size:13px;color:#42576c;margin-top:6px}
 input,textarea{width:100%;box-sizing:border-box;font:inherit;padding:6px;border:1px solid #c5ced8;
  border-radius:6px} textarea{min-height:70px}
 .row{display:flex;gap:8px}.row>div{flex:1}
 button{background:#0a7aff;color:#fff;border:0;border-radius:999px;padding:6px 16px;
  font-weight:600;margin-top:8px;cursor:pointer}
 button.link{background:none;color:#42576c;padding:0;font-weight:400}
 .post{margin:8px 0} .brand{border-left:4px solid #0a7aff} .deleted{opacity:.55}
 .deleted .text{text-decoration:line-through} .who b{margin-right:4px}
 .text{white-space:pre-wrap;margin:4px 0} .tag{color:#0a7aff}
 .actions{display:flex;gap:12px;font-size:13px;align-items:baseline}
 .actions a{color:#42576c;white-space:nowrap}
 .actions form{margin:0} .actions button.link{margin:0;font-size:13px;text-decoration:underline}
 .error{background:#fdecea;border:1px solid #f5c2c0;padding:8px;border-radius:8px}
 details{font-size:13px;margin:12px 0} pre{background:#fff;padding:8px;overflow:auto}
 code.uri{font-size:12px;word-break:break-all}
 .depth-1{margin-left:28px} .depth-2{margin-left:56px} .depth-3{margin-left:84px}
 .depth-4{margin-left:112px} .depth-5{margin-left:140px} .depth-6{margin-left:168px}
"""

_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bluesky sandbox · @{{ brand }}</title>
<link rel="stylesheet" href="{{ url_for('bluesky_sandbox_pages.css') }}"></head><body><main>
<h1>Bluesky sandbox — @{{ brand }}</h1>
<p class="muted">A local stand-in for a Bluesky PDS and AppView. Point IdeaBoard at
 <code>{{ service_url }}</code> (IDEABOARD_BLUESKY_SERVICE). Nothing here reaches bsky.social.</p>
{% if error %}<p class="error">{{ error }}</p>{% endif %}
<form class="compose" method="post" action="{{ url_for('bluesky_sandbox_pages.act') }}">
 <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 <input type="hidden" name="action" value="post">
 <div class="row">
  <div><label for="handle">Customer handle</label>
   <input id="handle" name="handle" value="{{ form.handle }}" required maxlength="253"></div>
  <div><label for="display_name">Display name (optional)</label>
   <input id="display_name" name="display_name" value="{{ form.display_name }}" maxlength="64">
  </div>
 </div>
 <label for="text">Post text (300 graphemes; mention the brand as @{{ brand }})</label>
 <textarea id="text" name="text" required>{{ form.text }}</textarea>
 <div class="row">
  <div><label for="reply_to">In reply to (a post's at:// URI, optional)</label>
   <input id="reply_to" name="reply_to" value="{{ form.reply_to }}"></div>
  <div><label for="quote">Quote (a post's at:// URI, optional)</label>
   <input id="quote" name="quote" value="{{ form.quote }}"></div>
 </div>
 <button type="submit">Post as customer</button>
</form>
<h2 class="muted">Posts ({{ count }})</h2>
{% for item, depth in threads %}
 <div class="post depth-{{ depth }} {{ 'brand' if item.did == brand_did }}
  {{- ' deleted' if item.deleted }}">
  <div class="who"><b>{{ item.display_name }}</b><span class="muted">@{{ item.handle }} ·
   {{ item.created_at }}{% if item.langs %} · {{ item.langs|join(', ') }}{% endif %}
   {% if item.deleted %} · deleted{% endif %}</span></div>
  <div class="text">{% for part, kind, href in item.segments -%}
   {%- if kind == "link" %}<a href="{{ href }}" rel="nofollow noopener">{{ part }}</a>
   {%- elif kind %}<span class="tag">{{ part }}</span>
   {%- else %}{{ part }}{% endif %}{% endfor %}</div>
  {% if item.quote %}<div class="muted">quoting <code class="uri">{{ item.quote }}</code></div>
  {% endif %}
  <div class="actions">
   <a href="{{ url_for('bluesky_sandbox_pages.index', reply_to=item.uri) }}#text"
    >Reply as customer</a>
   <code class="uri" title="{{ item.url }}">{{ item.uri }}</code>
   {% if not item.deleted %}
   <form method="post" action="{{ url_for('bluesky_sandbox_pages.act') }}">
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <input type="hidden" name="action" value="delete">
    <input type="hidden" name="uri" value="{{ item.uri }}">
    <button class="link" type="submit">Delete</button></form>
   {% endif %}
  </div>
 </div>
{% else %}<p class="muted">No posts yet.</p>{% endfor %}
<details><summary>App password, faults and rate limits</summary>
<p>The brand logs in as <code>{{ brand }}</code> with the sandbox's app password
 ({{ 'revoked' if password_revoked else 'working' }}).</p>
<form method="post" action="{{ url_for('bluesky_sandbox_pages.act') }}">
 <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 <input type="hidden" name="action" value="{{ 'restore' if password_revoked else 'expire' }}">
 <button type="submit">{{ 'Restore' if password_revoked else 'Revoke' }} the app password</button>
</form>
<p>POST JSON to <code>{{ url_for('bluesky_sandbox_admin.set_faults') }}</code> and
 <code>{{ url_for('bluesky_sandbox_admin.set_rate_limits') }}</code> to change these.</p>
<pre>{{ faults }}</pre><pre>{{ rate_limits }}</pre>
<form method="post" action="{{ url_for('bluesky_sandbox_pages.act') }}">
 <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 <input type="hidden" name="action" value="reset">
 <button type="submit">Reset the sandbox</button></form>
</details>
</main></body></html>
"""


def _threads(items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Threads: roots newest first, each reply under its parent, oldest first."""
    return thread_order(items, key="uri", parent="reply_parent")


def _segments(item: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """Split a post's text by its facets: (text, None | "link" | "tag" | "mention", href)."""
    data = item["text"].encode("utf-8")
    parts: list[tuple[str, str | None, str | None]] = []
    cursor = 0
    facets = item["facets"] if isinstance(item["facets"], list) else []
    spans = []
    for facet in facets:
        index = facet.get("index") if isinstance(facet, dict) else None
        features = facet.get("features") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not isinstance(features, list) or not features:
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data):
            spans.append((start, end, features[0] if isinstance(features[0], dict) else {}))
    for start, end, feature in sorted(spans, key=lambda span: span[0]):
        if start < cursor:
            continue  # overlapping facets: keep the first
        kind = str(feature.get("$type", "")).rpartition("#")[2] or None
        href = feature.get("uri") if kind == "link" else None
        if not (isinstance(href, str) and href.startswith(("https://", "http://"))):
            href = None
            kind = None if kind == "link" else kind
        parts.append((data[cursor:start].decode("utf-8", "replace"), None, None))
        parts.append((data[start:end].decode("utf-8", "replace"), kind, href))
        cursor = end
    parts.append((data[cursor:].decode("utf-8", "replace"), None, None))
    return parts


def _render(form: dict[str, str], error: str | None = None, status: int = 200) -> Response:
    sandbox = current_sandbox()
    items = timeline(sandbox.store)
    for item in items:
        item["segments"] = _segments(item)
    with sandbox.store.transaction() as tx:
        password = sandbox.store.app_password(tx, sandbox.brand_did)
    return html_page(
        _PAGE,
        status,
        brand=sandbox.brand_handle,
        brand_did=sandbox.brand_did,
        service_url=request.url_root.rstrip("/"),
        form=form,
        error=error,
        threads=_threads(items),
        count=len(items),
        password_revoked=bool(password and password["revoked"]),
        faults=pretty_json(faults.get_faults(sandbox.store).to_dict()),
        rate_limits=pretty_json(limits.get_config(sandbox.store)),
    )


@bp.get("/")
def index() -> Response:
    """The compose form and the threaded posts."""
    sandbox = current_sandbox()
    form = {
        "handle": DEFAULT_HANDLE,
        "display_name": "",
        "text": f"@{sandbox.brand_handle} 지하철에서도 5G가 잘 터지면 좋겠어요 #아이디어",
        "reply_to": request.args.get("reply_to", "")[:MAX_FIELD_CHARS],
        "quote": "",
    }
    return _render(form)


@bp.get("/sandbox.css")
def css() -> Response:
    """The page's styles (a file: the Content-Security-Policy allows no inline style)."""
    return stylesheet(_CSS)


@bp.post("/")
def act() -> BaseResponse:
    """The page's forms: post as a customer, delete, revoke/restore the password, reset."""
    if not csrf_ok():
        return _render(_form_values(), EXPIRED_FORM, 400)
    sandbox = current_sandbox()
    action = request.form.get("action", "post")
    try:
        if action == "reset":
            sandbox.store.reset()
        elif action == "delete":
            delete_post(sandbox.store, request.form.get("uri", "")[:MAX_FIELD_CHARS])
        elif action == "expire":
            auth.expire_app_password(sandbox.store, sandbox.brand_did)
        elif action == "restore":
            auth.restore_app_password(sandbox.store, sandbox.brand_did)
        else:
            form = _form_values()
            post_mention(
                sandbox.store,
                handle=form["handle"],
                text=form["text"],
                display_name=form["display_name"] or None,
                reply_to=form["reply_to"] or None,
                quote=form["quote"] or None,
            )
    except ValueError as exc:
        return _render(_form_values(), str(exc), 400)
    return redirect(url_for("bluesky_sandbox_pages.index"), code=303)


def _form_values() -> dict[str, str]:
    keys = ("handle", "display_name", "text", "reply_to", "quote")
    return {key: request.form.get(key, "")[:MAX_FIELD_CHARS].strip() for key in keys}
