"""Every user-facing string is marked for translation and translated in all six languages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = [
    path
    for path in sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po"))
    if path.parts[-3] != "en"  # English is the source language.
] + [ROOT / "accounts/allauth_locale/vi/LC_MESSAGES/django.po"]
SOURCE_DIRS = ("config", "accounts", "gateway", "billing", "privacy", "templates", "locale")
# Words allowed outside translation tags: the product's name.
UNTRANSLATABLE = {"Tokengate"}


def catalog_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_all_six_languages_have_a_catalog():
    languages = {path.parts[-3] for path in ROOT.glob("locale/*/LC_MESSAGES/django.po")}
    assert languages == {"en", "zh_Hans", "ja", "vi", "fr", "ru"}


@pytest.mark.parametrize("catalog", CATALOGS, ids=catalog_id)
def test_every_message_is_translated(catalog: Path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(catalog)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


@pytest.fixture(scope="module")
def extracted_strings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run makemessages on a copy of the source and return the template (.pot) it extracts."""
    copy = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "manage.py", copy)
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--keep-pot", "--no-location"],
        cwd=copy,
        env=os.environ | {"VAR_DIR": str(copy / "var")},
        check=True,
        capture_output=True,
    )
    return copy / "locale" / "django.pot"


@pytest.mark.parametrize("catalog", CATALOGS[:-1], ids=catalog_id)
def test_every_catalog_translates_every_string_in_the_source(
    catalog: Path, extracted_strings: Path
):
    result = subprocess.run(
        ["msgcmp", str(catalog), str(extracted_strings)], capture_output=True, text=True
    )

    assert result.returncode == 0, f"Run `make messages` and translate:\n{result.stderr}"


def visible_text(template_source: str) -> str:
    """The template's text outside tags, translation blocks, comments, scripts and styles."""
    pieces: list[str] = []
    skip_until: str | None = None
    for token in Lexer(template_source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            if skip_until is None and name in {"blocktranslate", "blocktrans", "comment"}:
                skip_until = "end" + name
            elif name == skip_until:
                skip_until = None
            pieces.append("\x00")
        elif token.token_type == TokenType.TEXT and skip_until is None:
            pieces.append(token.contents)
        else:
            pieces.append("\x00")
    text = "".join(pieces)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->|<[^>]*>|&\w+;", " ", text, flags=re.S)
    return text


@pytest.mark.parametrize("template", sorted((ROOT / "templates").rglob("*.html")), ids=catalog_id)
def test_templates_have_no_text_outside_translation_tags(template: Path):
    words = set(re.findall(r"[^\W\d_]{2,}", visible_text(template.read_text())))

    assert words <= UNTRANSLATABLE, f"Mark for translation: {sorted(words - UNTRANSLATABLE)}"
