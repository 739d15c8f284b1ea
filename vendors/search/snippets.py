"""Highlighted snippets: the part of a vendor's text where the query matched, as safe HTML.

The texts are the fields the registry offers for snippets, gathered from the database as the index gathers
them (the index stores no text). Each is analysed with the index's own analyzer, so "billing" highlights
"billed", and returned HTML-escaped with <mark> around matched words and nothing else.
"""

from markupsafe import Markup, escape

from vendors.extensions import db
from vendors.search import registry, schema
from vendors.search.schema import STOP_LIST, WORD_PATTERN, fold, stem_of

WINDOW_WORDS = 28


def snippets_for(stems: frozenset[str], vendor_ids: list[int]) -> dict[int, Markup]:
    if not vendor_ids:
        return {}
    texts = _texts(vendor_ids)
    return {vendor_id: best_snippet(candidates, stems) for vendor_id, candidates in texts.items()}


def best_snippet(candidates: list[str], stems: frozenset[str]) -> Markup:
    """The candidate text with the most distinct matched words, cut to a window around the matches."""
    best, best_stems, best_hits = "", [], -1
    for text in filter(None, candidates):
        text_stems = _stems(text)
        hits = len(stems.intersection(text_stems))
        if hits > best_hits:
            best, best_stems, best_hits = text, text_stems, hits
    return _render(best, best_stems, stems)


def _kept(word: str) -> bool:
    return len(word) > 1 and word not in STOP_LIST


def _stems(text: str) -> list[str]:
    """The stems of the text's words in order, as the index analyses them. Only strings: the places of the
    few words a snippet shows are found afterwards (see _spans), which halves a cold search's snippet time."""
    if text.isascii():
        words = WORD_PATTERN.findall(text.lower())
    else:
        words = [fold(word) for word in WORD_PATTERN.findall(text)]
    return [stem_of(word) for word in words if _kept(word)]


def _spans(text: str, first: int, last: int) -> list[tuple[int, int]]:
    """Character spans of the kept words first..last (counted as _stems counts them)."""
    spans, kept = [], -1
    for match in WORD_PATTERN.finditer(text):
        if _kept(fold(match.group())):
            kept += 1
            if kept >= first:
                spans.append(match.span())
                if kept == last:
                    break
    return spans


def _render(text: str, text_stems: list[str], stems: frozenset[str]) -> Markup:
    if not text_stems:
        return escape(text[:200])
    first, last = _window(text_stems, stems)
    spans = _spans(text, first, last)
    start = spans[0][0] if first > 0 else 0
    end = spans[-1][1] if last < len(text_stems) - 1 else len(text)
    parts = ["… " if first > 0 else ""]
    cursor = start
    for (word_start, word_end), stem in zip(spans, text_stems[first : last + 1], strict=True):
        if stem in stems:
            parts.append(escape(text[cursor:word_start]))
            parts.append(Markup("<mark>%s</mark>") % text[word_start:word_end])
            cursor = word_end
    parts.append(escape(text[cursor:end]))
    parts.append(" …" if last < len(text_stems) - 1 else "")
    return Markup("").join(parts)


def _window(text_stems: list[str], stems: frozenset[str]) -> tuple[int, int]:
    """First and last word index of the WINDOW_WORDS-word stretch with the most distinct matches."""
    if len(text_stems) <= WINDOW_WORDS:
        return 0, len(text_stems) - 1
    matched = [i for i, stem in enumerate(text_stems) if stem in stems]
    if not matched:
        return 0, WINDOW_WORDS - 1
    best_start, best_score = 0, -1
    for i in matched:
        start = max(0, min(i - 3, len(text_stems) - WINDOW_WORDS))
        score = len(stems.intersection(text_stems[start : start + WINDOW_WORDS]))
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
