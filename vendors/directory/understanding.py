"""Words in a search that name a filter value act as that filter.

"nearshore" lists what the Nearshore filter lists (for the buyer's country), "philippines" what the
Philippines delivery-country filter lists, and so on for specialisations, languages, certifications,
coverage ("24/7", "round the clock") and regions ("Latin America": its countries). What is understood is
taken out of the text search and shown, each with a way back: the same search with those words in quotes,
which are always read as text. No Flask here.

The phrases are the vocabularies' own labels and the other names in vendors/reference/search_words.toml,
compared word by word after folding and stemming, so "Philippines", "philippines" and "PHILIPPINES" are the
same and "virtual assistants" is "virtual assistant".
"""

import re
from dataclasses import dataclass
from functools import cache

from vendors.reference import search_words
from vendors.reference.countries import COUNTRIES
from vendors.search import registry
from vendors.search.schema import fold, stem_of

_PLAIN_OR_QUOTED = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"[^\W_]+")
_LONGEST = 6  # words in the longest phrase looked for


@dataclass(frozen=True)
class Meaning:
    facet: str
    values: tuple[str, ...]
    name: str  # what the buyer is shown: "Philippines", "Latin America"


@dataclass(frozen=True)
class Understood:
    phrase: str  # as typed
    meaning: Meaning
    start: int
    end: int

    @property
    def facet(self) -> str:
        return self.meaning.facet

    @property
    def values(self) -> tuple[str, ...]:
        return self.meaning.values


@dataclass(frozen=True)
class Understanding:
    q: str
    text: str  # what is left for the text search
    understood: tuple[Understood, ...]

    def label(self, item: Understood, buyer_country_name: str) -> str:
        """What the page says it understood: "Nearshore for United States", "Delivery country: India"."""
        if item.facet == "shore":
            return f"{item.meaning.name} for {buyer_country_name}"
        if item.facet == "country" and len(item.values) > 1:
            return f"Delivery country in {item.meaning.name}"
        return f"{registry.VENDORS.by_facet[item.facet].title}: {item.meaning.name}"

    def as_words(self, item: Understood) -> str:
        """The search with item's words in quotes: read as text, not as a filter."""
        return f'{self.q[: item.start]}"{item.phrase}"{self.q[item.end :]}'

    def phrases(self) -> str:
        return " ".join(item.phrase for item in self.understood)


def understand(q: str) -> Understanding:
    """The filter values q names outside quotes and exclusions, and the text left once they are taken out."""
    found: list[Understood] = []
    for run in _plain_runs(q):
        found += _meanings_in(q, run)
    text = q
    for item in reversed(found):
        text = text[: item.start] + " " + text[item.end :]
    return Understanding(q, " ".join(text.split()), tuple(found))


def _plain_runs(q: str) -> list[list[tuple[str, int, int]]]:
    """The words of q outside quotes and -exclusions, with their places, in runs a quote or exclusion ends."""
    runs: list[list[tuple[str, int, int]]] = [[]]
    for match in _PLAIN_OR_QUOTED.finditer(q):
        token = match.group(3)
        if token is None or (token.startswith("-") and len(token) > 1):
            runs.append([])
            continue
        offset = match.start(3)
        runs[-1] += [
            (word.group(), offset + word.start(), offset + word.end()) for word in _WORD.finditer(token)
        ]
    return [run for run in runs if run]


def _meanings_in(q: str, run: list[tuple[str, int, int]]) -> list[Understood]:
    phrases, as_text = _phrases(), _as_text()
    stems = [_stem(word) for word, _, _ in run]
    found, position = [], 0
    while position < len(run):
        words = next((len(key) for key in as_text if tuple(stems[position : position + len(key)]) == key), 0)
        if words:  # read as text, whatever its words name
            position += words
            continue
        for length in range(min(_LONGEST, len(run) - position), 0, -1):
            meaning = phrases.get(tuple(stems[position : position + length]))
            if meaning is None:
                continue
            end = position + length
            if meaning.facet == "certification":
                while end < len(run) and fold(run[end][0]) in search_words.CERTIFICATION_QUALIFIERS:
                    end += 1
            start_char, end_char = run[position][1], run[end - 1][2]
            found.append(Understood(q[start_char:end_char], meaning, start_char, end_char))
            position = end
            break
        else:
            position += 1
    return found


def _stem(word: str) -> str:
    return stem_of(fold(word))


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(_stem(word) for word in _WORD.findall(phrase))


@cache
def _phrases() -> dict[tuple[str, ...], Meaning]:
    """Every phrase that names a filter value -> its meaning; the first to claim a phrase keeps it, so a
    country's name is a country before it is a language."""
    phrases: dict[tuple[str, ...], Meaning] = {}

    def claim(phrase: str, meaning: Meaning) -> None:
        key = _key(phrase)
        if key and key not in phrases:
            phrases[key] = meaning

    for facet in ("shore", "country", "specialisation", "certification", "coverage", "language"):
        vocabulary = registry.VENDORS.by_facet[facet].vocabulary
        for value, label in vocabulary.items():
            name = _plain_label(label)
            meaning = Meaning(facet, (value,), name)
            if facet != "language" or len(name) > 3:  # "Ewe", "Ido": words, not requests
                claim(name, meaning)
            for other in search_words.FILTER_WORDS.get(facet, {}).get(value, ()):
                claim(other, meaning)
    for region, codes in _regions().items():
        meaning = Meaning("country", codes, region)
        claim(region, meaning)
        for other in search_words.REGION_NAMES.get(region, ()):
            claim(other, meaning)
    for area, regions in search_words.AREAS.items():
        codes = tuple(code for region in regions for code in _regions()[region])
        claim(area, Meaning("country", codes, area))
    return phrases


@cache
def _as_text() -> tuple[tuple[str, ...], ...]:
    """The phrases read as text, longest first."""
    return tuple(sorted({_key(phrase) for phrase in search_words.AS_TEXT}, key=len, reverse=True))


def _regions() -> dict[str, tuple[str, ...]]:
    regions: dict[str, list[str]] = {}
    for code, country in COUNTRIES.items():
        regions.setdefault(country.region, []).append(code)
    return {region: tuple(codes) for region, codes in regions.items()}


def _plain_label(label: str) -> str:
    """A label as a buyer types it: "Malay (macrolanguage)" is "Malay", "Spanish; Castilian" is "Spanish"."""
    return re.split(r"[;(]", label)[0].strip()
