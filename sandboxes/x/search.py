"""The subset of X's search query language that IdeaBoard needs, compiled to a predicate.

Supported: `conversation_id:ID`, `in_reply_to_tweet_id:ID`, `from:user`, `to:user`, `@user`,
`#tag`, `lang:xx`, `is:reply|quote|retweet`, plain words and "quoted phrases", each optionally
negated with `-`, combined with spaces (AND). `OR` and parentheses are refused with a 400, so a
query the sandbox cannot evaluate never silently returns the wrong posts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .problems import invalid_request

Predicate = Callable[[dict[str, Any]], bool]
MAX_QUERY_LENGTH = 512
_TOKEN_RE = re.compile(r'-?"[^"]*"|\S+')
_OPERATORS = {"conversation_id", "in_reply_to_tweet_id", "from", "to", "lang", "is"}


def _query_error(query: str, detail: str) -> Exception:
    return invalid_request(
        f"There were errors processing your request: {detail}", {"query": [query]}
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _word_match(term: str) -> Predicate:
    term = term.casefold()
    if term.isascii():
        parts = re.findall(r"\w+", term)
        return lambda t: bool(parts) and all(p in _words(t["source_text"]) for p in parts)
    # Hangul and other scripts glue particles to words ("5G가"): match as a substring.
    return lambda t: term in t["source_text"].casefold()


def _clause(token: str, query: str, user_id_of: Callable[[str], str | None]) -> Predicate:
    if token.startswith('"'):
        phrase = token.strip('"').casefold()
        return lambda t: phrase in t["source_text"].casefold()
    if token.startswith(("#", "＃")) and len(token) > 1:
        tag = token[1:].casefold()
        return lambda t: any(h["tag"].casefold() == tag for h in t["entities"].get("hashtags", []))
    if token.startswith(("@", "＠")) and len(token) > 1:
        name = token[1:].lower()
        return lambda t: any(
            m["username"].lower() == name for m in t["entities"].get("mentions", [])
        )
    name, sep, value = token.partition(":")
    if sep and name.isidentifier() and not value.startswith("//"):
        if name not in _OPERATORS or not value:
            raise _query_error(query, f"Reference to invalid operator '{name}'.")
        return _operator(name, value, query, user_id_of)
    return _word_match(token)


def _operator(
    name: str, value: str, query: str, user_id_of: Callable[[str], str | None]
) -> Predicate:
    if name in ("conversation_id", "in_reply_to_tweet_id"):
        if not value.isdigit():
            raise _query_error(query, f"Invalid value for operator '{name}': '{value}'.")
        wanted = int(value)
        column = name
        return lambda t: t[column] == wanted
    if name in ("from", "to"):
        user_id = user_id_of(value.lstrip("@"))
        column = "author_id" if name == "from" else "in_reply_to_user_id"
        return lambda t: user_id is not None and t[column] == user_id
    if name == "lang":
        return lambda t: t["lang"] == value
    kinds = {"reply": "replied_to", "quote": "quoted", "retweet": "retweeted"}
    if value not in kinds:
        raise _query_error(query, f"Invalid value for operator 'is': '{value}'.")
    kind = kinds[value]
    return lambda t: any(r["type"] == kind for r in t["referenced_tweets"])


def compile_query(query: str, user_id_of: Callable[[str], str | None]) -> Predicate:
    """Compile a search query; raise ApiError 400 for anything outside the supported subset."""
    if not query.strip():
        raise _query_error(query, "query must not be empty.")
    if len(query) > MAX_QUERY_LENGTH:
        raise _query_error(query, f"query is longer than {MAX_QUERY_LENGTH} characters.")
    positive: list[Predicate] = []
    negative: list[Predicate] = []
    for term in _TOKEN_RE.findall(query):
        if term in ("OR", "or") or term.startswith("(") or term.endswith(")"):
            raise _query_error(query, "OR and grouping are not supported by the sandbox.")
        negated = term.startswith("-") and len(term) > 1
        clause = _clause(term[1:] if negated else term, query, user_id_of)
        (negative if negated else positive).append(clause)
    if not positive:
        raise _query_error(query, "a query needs at least one clause that is not negated.")
    return lambda t: all(p(t) for p in positive) and not any(n(t) for n in negative)
