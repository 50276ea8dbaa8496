"""The catalogs: every string the code and templates mark is in ko (translated, not fuzzy).

`pybabel extract` runs over the repository exactly as `make catalogs` does, so a string
wrapped in `_()` / `{% trans %}` and not yet translated fails here, with its text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from ideaboard import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _catalog(locale: str) -> Catalog:
    path = i18n.TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        return read_po(source, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Extract every marked string of the repository into a fresh template."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    done = subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", *KEYWORDS, "-o", str(pot), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with pot.open("rb") as source:
        return read_po(source)


def _key(message) -> tuple[str | None, str]:  # type: ignore[no-untyped-def]
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def _where(message) -> str:  # type: ignore[no-untyped-def]
    return ", ".join(sorted({path for path, _line in message.locations}))


def test_extraction_finds_the_strings_of_code_templates_and_data_names(extracted):
    ids = {_key(m) for m in extracted if m.id}
    assert (None, "Share an idea") in ids  # a template
    assert (None, "Thank you! Your idea is on the board.") in ids  # a flash message
    assert (None, "One sentence: what should we make or change?") in ids  # a lazy form text
    assert (None, "Under Review") in ids  # a stage name stored as data
    assert (None, "Stores & delivery") in ids  # a demo category
    assert ("sort tab", "New") in ids  # a string with a context


def test_every_extracted_string_is_translated_in_korean(extracted):
    ko = _catalog("ko")
    problems = []
    for message in extracted:
        if not message.id:
            continue
        found = ko.get(message.id, context=message.context)
        if found is None:
            problems.append(f"missing: {message.id!r} ({_where(message)})")
            continue
        strings = [found.string] if isinstance(found.string, str) else list(found.string)
        if not all(strings):
            problems.append(f"empty: {message.id!r} ({_where(message)})")
        if found.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
    assert not problems, "run `make catalogs` and translate:\n" + "\n".join(problems)


def test_the_english_catalog_has_every_string_too(extracted):
    en = _catalog("en")
    missing = [m.id for m in extracted if m.id and en.get(m.id, context=m.context) is None]
    assert not missing, "run `make catalogs`: " + repr(missing)


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_catalogs_have_no_fuzzy_entries_and_keep_every_placeholder(locale):
    catalog = _catalog(locale)
    assert not catalog.fuzzy, "the header is marked fuzzy"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        source = message.id if isinstance(message.id, str) else message.id[-1]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) != set(PLACEHOLDER.findall(source)):
                problems.append(f"placeholders differ: {message.id!r} -> {string!r}")
    for message, errors in catalog.check():
        problems.extend(f"{message.id!r}: {error}" for error in errors)
    assert not problems, "\n".join(problems)


def test_korean_catalog_has_one_plural_form():
    assert _catalog("ko").num_plurals == 1


def test_stale_and_missing_mo_files_are_compiled_at_start(tmp_path):
    folder = tmp_path / "ko" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "messages.po"
    po.write_bytes((i18n.TRANSLATIONS_DIR / "ko" / "LC_MESSAGES" / "messages.po").read_bytes())
    assert i18n.stale_catalogs(tmp_path) == [po]
    assert i18n.compile_catalogs(tmp_path) == [po.with_suffix(".mo")]
    assert i18n.stale_catalogs(tmp_path) == []
    assert i18n.compile_catalogs(tmp_path) == []  # nothing to do: cheap at every start
    later = time.time() + 5
    os.utime(po, (later, later))  # someone edited the .po after the last build
    assert i18n.stale_catalogs(tmp_path) == [po]


def test_compiled_catalog_translates(tmp_path):
    from babel.support import Translations

    folder = tmp_path / "ko" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "messages.po"
    po.write_bytes((i18n.TRANSLATIONS_DIR / "ko" / "LC_MESSAGES" / "messages.po").read_bytes())
    i18n.compile_catalog(po)
    translations = Translations.load(str(tmp_path), ["ko"])
    assert translations.gettext("Share an idea") == "아이디어 올리기"
    assert translations.pgettext("sort tab", "New") == "최신순"
    assert translations.gettext("New") == "신규"


def test_app_reads_the_catalogs_from_an_absolute_path(app):
    path = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert path.is_absolute()
    assert path == i18n.TRANSLATIONS_DIR
    assert (path / "ko" / "LC_MESSAGES" / "messages.mo").exists()
