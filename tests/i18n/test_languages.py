"""One list of the languages the site speaks: the UI, the switcher, the profile, the replies."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ideaboard.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, TRANSLATIONS_DIR, supported_language
from ideaboard.social.compose import compose_ack
from ideaboard.social.reply_templates import LANGS
from tests.helpers import login


def test_every_supported_language_has_a_catalog_and_a_name() -> None:
    assert SUPPORTED_LOCALES == ("en", "ko")
    assert set(LANGUAGE_NAMES) == set(SUPPORTED_LOCALES)
    for code in SUPPORTED_LOCALES:
        assert (Path(TRANSLATIONS_DIR) / code / "LC_MESSAGES" / "messages.po").exists()


def test_supported_language_falls_back_for_others() -> None:
    assert supported_language("ko") == "ko"
    assert supported_language("en", "ko") == "en"
    assert supported_language("ja", "ko") == "ko"
    assert supported_language(None) == SUPPORTED_LOCALES[0]
    assert supported_language("", "en") == "en"


def test_replies_use_the_same_languages(app: Flask) -> None:
    assert tuple(LANGS) == SUPPORTED_LOCALES
    korean = compose_ack("imported", lang="ko", url="https://x.test/1", signature="AB")
    other = compose_ack("imported", lang="ja", url="https://x.test/1", signature="AB")
    assert "고맙습니다" in korean
    assert other.startswith("Thanks for the idea!")


def test_switcher_and_profile_offer_exactly_the_supported_languages(
    app: Flask, client, make_user
) -> None:
    html = client.get("/").get_data(as_text=True)  # in English: the others are buttons
    assert '<span class="lang-current" lang="en" aria-current="true">English</span>' in html
    for code in SUPPORTED_LOCALES[1:]:
        assert f'action="/locale/{code}"' in html
    assert client.post("/locale/fr").status_code in (400, 404)
    login(client, make_user())
    profile = client.get("/me").get_data(as_text=True)
    for code, name in LANGUAGE_NAMES.items():
        assert f'<option lang="{code}" value="{code}">{name}</option>' in profile
