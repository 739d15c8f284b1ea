"""Languages as ISO 639-1 codes, with English names from pycountry."""

import pycountry

LANGUAGES: dict[str, str] = dict(
    sorted(
        ((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")),
        key=lambda item: item[1],
    )
)


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
