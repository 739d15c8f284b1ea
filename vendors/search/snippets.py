"""Highlighted snippets: the part of a vendor's text where the query matched, as safe HTML.

The texts are the fields the registry offers for snippets, gathered from the database as the index gathers
them (the index stores no text). Each is analysed with the index's own analyzer, so "billing" highlights
"billed", and returned HTML-escaped with <mark> around matched words and nothing else.
"""

from dataclasses import dataclass

from markupsafe import Markup, escape

from vendors.extensions import db
from vendors.search import registry, schema
from vendors.search.schema import STOP_LIST, WORD_PATTERN, fold, stem_of

WINDOW_WORDS = 28


@dataclass(slots=True)
class _Word:
    start: int
    end: int
    stem: str


def snippets_for(stems: frozenset[str], vendor_ids: list[int]) -> dict[int, Markup]:
    if not vendor_ids:
        return {}
    texts = _texts(vendor_ids)
    return {vendor_id: best_snippet(candidates, stems) for vendor_id, candidates in texts.items()}


def best_snippet(candidates: list[str], stems: frozenset[str]) -> Markup:
    """The candidate text with the most distinct matched words, cut to a window around the matches."""
    best, best_words, best_hits = "", [], -1
    for text in filter(None, candidates):
        words = _words(text)
        hits = len({word.stem for word in words if word.stem in stems})
        if hits > best_hits:
            best, best_words, best_hits = text, words, hits
    return _render(best, best_words, stems)


def _words(text: str) -> list[_Word]:
    """The text's words with their stems and places: the index's analysis, without Whoosh's token objects."""
    words = []
    for match in WORD_PATTERN.finditer(text):
        word = fold(match.group())
        if len(word) > 1 and word not in STOP_LIST:
            words.append(_Word(match.start(), match.end(), stem_of(word)))
    return words


def _render(text: str, words: list[_Word], stems: frozenset[str]) -> Markup:
    if not words:
        return Markup(escape(text[:200]))
    first, last = _window(words, stems)
    start = words[first].start if first > 0 else 0
    end = words[last].end if last < len(words) - 1 else len(text)
    parts = ["… " if first > 0 else ""]
    cursor = start
    for word in words[first : last + 1]:
        if word.stem in stems:
            parts.append(escape(text[cursor : word.start]))
            parts.append(Markup("<mark>%s</mark>") % text[word.start : word.end])
            cursor = word.end
    parts.append(escape(text[cursor:end]))
    parts.append(" …" if last < len(words) - 1 else "")
    return Markup("").join(parts)


def _window(words: list[_Word], stems: frozenset[str]) -> tuple[int, int]:
    """First and last word index of the WINDOW_WORDS-word stretch with the most distinct matches."""
    if len(words) <= WINDOW_WORDS:
        return 0, len(words) - 1
    matched = [i for i, word in enumerate(words) if word.stem in stems]
    if not matched:
        return 0, WINDOW_WORDS - 1
    best_start, best_score = 0, -1
    for i in matched:
        start = max(0, min(i - 3, len(words) - WINDOW_WORDS))
        window = words[start : start + WINDOW_WORDS]
        score = len({word.stem for word in window if word.stem in stems})
        if score > best_score:
            best_start, best_score = start, score
    return best_start, best_start + WINDOW_WORDS - 1


def _texts(vendor_ids: list[int]) -> dict[int, list[str]]:
    """Per vendor: the texts of the fields the registry offers for snippets, as the index holds them."""
    offered = sorted(
        (f for f in registry.VENDORS.fields if f.snippet), key=lambda text_field: text_field.snippet
    )
    wanted = [text_field.name for text_field in offered]
    documents = schema.documents(db.session.connection(), vendor_ids)
    return {document["vid"]: [document[name] for name in wanted] for document in documents}
