"""Languages as ISO 639-1 codes, with English names from pycountry."""

import re

import pycountry


def _plain(name: str) -> str:
    """The name a buyer knows: "Malay (macrolanguage)" is "Malay", "Modern Greek (1453-)" "Modern Greek"."""
    return re.sub(r"\s*\(.*\)$", "", name)


LANGUAGES: dict[str, str] = dict(
    sorted(
        ((lang.alpha_2, _plain(lang.name)) for lang in pycountry.languages if hasattr(lang, "alpha_2")),
        key=lambda item: item[1],
    )
)


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
