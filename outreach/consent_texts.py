"""The consent texts, versioned, in English and Spanish (outreach/data/consent_texts.toml).

A consent event names the version shown, so a text is looked up by version, never edited:
a new wording is a new version, and ``[current]`` says which one each purpose uses now.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class ConsentTexts:
    current: dict[str, str]  # purpose -> version
    texts: dict[str, dict[str, str]]  # version -> {"purpose", "en", "es"}

    def version(self, purpose: str) -> str:
        return self.current[purpose]

    def text(self, version: str, language: str = "en", **values: Any) -> str:
        entry = self.texts[version]
        return entry.get(language, entry["en"]).format(**values)


def parse_texts(raw: str) -> ConsentTexts:
    """Read the file; a version missing a language or named by [current] but absent raises
    ValueError naming it."""
    data = tomllib.loads(raw)
    texts: dict[str, dict[str, str]] = data.get("texts", {})
    for version, entry in texts.items():
        for field in ("purpose", *LANGUAGES):
            if not isinstance(entry.get(field), str) or not entry[field]:
                raise ValueError(f"consent text {version}: {field} is missing")
    current: dict[str, str] = data.get("current", {})
    for purpose, version in current.items():
        if version not in texts:
            raise ValueError(f"consent texts: current.{purpose} names unknown version {version}")
        if texts[version]["purpose"] != purpose:
            raise ValueError(f"consent texts: current.{purpose} names a {version} of another use")
    return ConsentTexts(current=current, texts=texts)


@lru_cache(maxsize=1)
def consent_texts() -> ConsentTexts:
    return parse_texts(files("outreach").joinpath("data/consent_texts.toml").read_text("utf-8"))


def current_version(purpose: str) -> str:
    return consent_texts().version(purpose)


def render(purpose: str, language: str = "en", **values: Any) -> tuple[str, str]:
    """The current text for ``purpose`` in ``language``, and its version."""
    texts = consent_texts()
    version = texts.version(purpose)
    return texts.text(version, language, **values), version
