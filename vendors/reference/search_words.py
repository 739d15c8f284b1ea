"""The words buyers use, and what the search makes of them: data in search_words.toml, read once.

Everything here is folded (lower case, no accents) and split into words as the index splits them; phrases
are tuples of those words. The directory (vendors.directory.understanding) reads the filter words, the
search (vendors.search.parsing and schema) the rest.
"""

import tomllib
from pathlib import Path

_DATA = tomllib.loads((Path(__file__).with_name("search_words.toml")).read_text(encoding="utf-8"))

Phrase = tuple[str, ...]

# word -> the spelling the index keeps
SPELLING: dict[str, str] = dict(_DATA["spelling"])
# words that describe every vendor; never required
EVERYWHERE: frozenset[str] = frozenset(_DATA["everywhere"])
CERTIFICATION_QUALIFIERS: frozenset[str] = frozenset(_DATA["certification_qualifiers"])
# phrases read as words, though a word of them names a filter value
AS_TEXT: tuple[str, ...] = tuple(_DATA["as_text"])
# each group: phrases meaning the same, as written in the file
SAME: tuple[tuple[str, ...], ...] = tuple(tuple(group["phrases"]) for group in _DATA["same"])
# facet -> value -> other phrases naming it
FILTER_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    facet: {value: tuple(phrases) for value, phrases in values.items()}
    for facet, values in _DATA["filter_words"].items()
}
# region name (vendors.reference.countries) -> other names for it
REGION_NAMES: dict[str, tuple[str, ...]] = {name: tuple(other) for name, other in _DATA["regions"].items()}
# a broader area's name -> the regions it covers
AREAS: dict[str, tuple[str, ...]] = {name: tuple(regions) for name, regions in _DATA["areas"].items()}
