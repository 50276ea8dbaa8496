"""Translations: the catalogs' place, their compilation, and names stored as data.

The `.po` catalogs in ideaboard/translations are the source; the `.mo` files gettext reads
are built from them (`make translations`, which `make run` and `make test` depend on) and
never committed. If someone starts the app without that step, `compile_catalogs` builds the
missing or stale ones at start-up and logs a warning, so the site never silently shows
English to Korean readers.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Protocol

from flask_babel import get_locale

logger = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
# The languages the site speaks, each named in its own language (never translated): the UI,
# the locale choice, the header switcher, the profile's form and the replies on X. The first
# is the fallback when nothing else says.
LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}
SUPPORTED_LOCALES: tuple[str, ...] = tuple(LANGUAGE_NAMES)
# The header switcher's cookie; a signed-in user's own setting (User.locale) comes first.
LOCALE_COOKIE = "locale"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600


def supported_language(lang: str | None, fallback: str = SUPPORTED_LOCALES[0]) -> str:
    """Return lang if the site speaks it (e.g. a post's language for its reply), else fallback."""
    return lang if lang is not None and lang in SUPPORTED_LOCALES else fallback


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (it is translated where shown)."""
    return message


# Names the migrations and the demo once stored as data in English only, so `pybabel extract`
# finds them; `web.label()` translates them (the team names kept in old edit history). Stages,
# categories and teams now carry both names (`localized_name`); migration 20261204_c7a1e5d2f940
# copied these translations into their Korean names.
DATA_NAMES = (
    # stages (migration eb11887fe329)
    N_("New"),
    N_("Under Review"),
    N_("Planned"),
    N_("In Progress"),
    N_("Launched"),
    N_("Declined"),
    N_("Duplicate"),
    # categories (migration eb11887fe329 and the demo board)
    N_("Product"),
    N_("App & website"),
    N_("Billing & payments"),
    N_("Customer support"),
    N_("Mobile plans"),
    N_("Home internet"),
    N_("Stores & delivery"),
    # teams (migration 17df64263862)
    N_("Support"),
    N_("Billing"),
    N_("Network"),
)


class Named(Protocol):
    """A stage, category or team: `name` is its English name, `name_ko` its Korean one."""

    @property
    def name(self) -> str: ...

    @property
    def name_ko(self) -> str: ...


def localized_name(obj: Named | None, lang: str | None) -> str:
    """Return obj's name in lang ('ko' or 'en'), falling back to the other when it is empty.

    The one rule for showing a stage, category or team name: pages (in the reader's
    language), replies on X (in the post's language), feeds and the API all call it.
    """
    if obj is None:
        return ""
    english, korean = (obj.name or "").strip(), (obj.name_ko or "").strip()
    if supported_language(lang) == "ko":
        return korean or english
    return english or korean


# What a reply on X calls a stage that has no name in the reply's language, so that a Korean
# reply never carries an English stage name (or the other way round).
UNNAMED_STAGE = {"en": "Status update", "ko": "상태 변경"}


def reply_stage_name(stage: Named, lang: str | None) -> str:
    """Return the stage's name for a reply in lang: its own name, never the other language's."""
    lang = supported_language(lang)
    own = (stage.name_ko if lang == "ko" else stage.name) or ""
    return own.strip() or UNNAMED_STAGE[lang]


def current_language() -> str:
    """The language of the text being written now: the request's (or force_locale's), else 'en'."""
    locale = get_locale()
    return supported_language(locale.language if locale is not None else None)


def display_name(obj: Named | None) -> str:
    """Return obj's name in the current language (pages, flash messages, form errors)."""
    return localized_name(obj, current_language())


def localized_names(obj: Named) -> dict[str, str]:
    """Return both names as stored, {"en": …, "ko": …} (either may be empty, not both)."""
    return {"en": obj.name or "", "ko": obj.name_ko or ""}


def _stale(po: Path, mo: Path) -> bool:
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def stale_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Return the .po catalogs whose .mo is missing or older than the .po."""
    catalogs = sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return [po for po in catalogs if _stale(po, po.with_suffix(".mo"))]


def compile_catalog(po: Path) -> Path:
    """Compile one .po into the .mo next to it (atomically; fuzzy entries are left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    locale = po.parent.parent.name
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    mo = po.with_suffix(".mo")
    handle, temp = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        os.replace(temp, mo)  # several workers may start at once: readers see old or new
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return mo


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Build the missing or stale .mo files; log a warning for each, never fail start-up."""
    built = []
    for po in stale_catalogs(directory):
        try:
            built.append(compile_catalog(po))
        except (OSError, ValueError) as error:
            logger.warning("cannot compile %s (%s): run `make translations`", po, error)
        else:
            logger.warning("compiled %s at start-up: run `make translations` on deploy", po)
    return built
