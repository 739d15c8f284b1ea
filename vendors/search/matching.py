"""Text matching and ranking over an open index, reading Whoosh postings a block at a time.

Whoosh only matches text here. Every clause's documents are collected as plain sets (clauses are AND-ed,
exclusions subtracted), then the survivors are scored with one explainable formula:

    score = sum over clauses of idf(clause) * sum over fields of weight(field) * tf / (tf + 1.2)

with the field weights of vendors.search.schema. A word in a vendor's name therefore outranks any number of
mentions in a description, and nothing but the text takes part (no paid boosts, no popularity).

Misspelt words (not in the index under any form) are replaced by the closest words of the index's own
vocabulary (the `spell` field), preferring fewer edits, then more frequent words.
"""

import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from math import log

import numpy
from whoosh import classify

from vendors.search import readcache, registry, replica
from vendors.search.codec_blocks import read_blocks
from vendors.search.parsing import Clause, ParsedQuery
from vendors.search.replica import OpenIndex
from vendors.search.schema import (
    STOP_LIST,
    decode_positions,
    pair_term,
    pair_words_of,
    pairs_field,
    positions_field,
    stem_of,
    text_fields,
)

SATURATION = 1.2
COMPOUND_PART = 3  # letters in each part of a word read as two
PHRASE_BONUS = 1.5


class RankedIds:
    """Vendor ids best first, sorted lazily.

    Scores take few distinct values (they depend on which fields hold the words and how often), so the
    matches are kept as buckets of equal score, best bucket first; a bucket is put in vendor-id order only
    when someone reads that far. A first page of results therefore never pays for sorting 80,000 matches.
    """

    def __init__(self, buckets: list[list[int]], ordered: bool = False):
        self._buckets = buckets
        self._ordered = len(buckets) if ordered else 0
        self._lock = threading.Lock()
        self.count = sum(map(len, buckets))

    @classmethod
    def in_order(cls, vendor_ids: list[int]) -> "RankedIds":
        return cls([list(vendor_ids)], ordered=True)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[int]:
        for position, bucket in enumerate(self._buckets):
            if position >= self._ordered:
                with self._lock:
                    if position >= self._ordered:
                        bucket.sort()
                        self._ordered = position + 1
            yield from bucket

    def unordered(self) -> Iterator[int]:
        """Every id, in no particular order (no sorting)."""
        return chain.from_iterable(self._buckets)


@dataclass
class Ranked:
    vendor_ids: RankedIds
    corrections: dict[str, str]  # misspelt word -> the index word used instead
    stems: frozenset[str] = frozenset()  # every stem a match may hold, for snippets
    partial: bool = False  # no vendor matched every clause: these match the most of them


def rank(index: OpenIndex, parsed: ParsedQuery) -> Ranked:
    """The vendors matching every required clause and no excluded one, best first.

    When none matches them all, the vendors matching the most of them (at least half), marked partial.
    """
    corrections: dict[str, str] = {}
    required, unmatched = [], 0
    for clause in _with_compounds(index, parsed.required):
        corrected = _correct(index, clause, corrections)
        if corrected is None:
            unmatched += 1  # a word the index holds nothing like
        else:
            required.append(corrected)
    stems = frozenset(stem for clause in required for option in clause.options for stem in option.stems)
    if not required and (unmatched or not parsed.excluded):
        every = [] if unmatched else _all_vendor_ids(index)
        return Ranked(RankedIds.in_order(every), corrections, stems)

    matches = [(clause, *_clause_matches(index, clause)) for clause in required]
    docs = None
    for _, _, matched in matches:
        docs = matched if docs is None else docs & matched
    excluded = set().union(*(_clause_docs(index, clause) for clause in parsed.excluded))
    docs = (_all_docnums(index) if docs is None else docs) - excluded
    partial = False
    if (unmatched or not docs) and len(required) + unmatched > 1:
        docs = _most_matched(matches, len(required) + unmatched) - excluded
        partial = bool(docs)
    if not docs:
        return Ranked(RankedIds([]), corrections, stems)
    return Ranked(_by_score(index, docs, matches), corrections, stems, partial)


def _by_score(index: OpenIndex, docs: set[int], matches: list) -> RankedIds:
    scores = dict.fromkeys(docs, 0.0)
    total = max(index.doc_count, 1)
    weights = registry.VENDORS.weights
    for clause, postings, matched in matches:
        idf = log(1 + (total - len(matched) + 0.5) / (len(matched) + 0.5))
        bonus = PHRASE_BONUS if clause.phrase else 1.0
        for field, (_, per_doc) in postings.items():
            factor = idf * bonus * weights[field]
            # Term frequencies take few distinct values: one gain per value, looked up per document.
            gains = {tf: factor * tf / (tf + SATURATION) for tf in set(per_doc.values())}
            gains[0] = 0.0
            if len(per_doc) * 4 < len(scores):
                for docnum, tf in per_doc.items():
                    if docnum in scores:
                        scores[docnum] += gains[tf]
            else:
                frequency = per_doc.get
                scores = {docnum: score + gains[frequency(docnum, 0)] for docnum, score in scores.items()}
    # Best score first; equal scores by vendor id, so the order does not depend on the segment layout.
    vendor_ids = index.vendor_ids
    buckets: dict[float, list[int]] = {}
    for docnum, score in scores.items():
        bucket = buckets.get(score)
        if bucket is None:
            buckets[score] = [vendor_ids[docnum]]
        else:
            bucket.append(vendor_ids[docnum])
    return RankedIds([buckets[score] for score in sorted(buckets, reverse=True)])


def _most_matched(matches: list, clauses: int) -> set[int]:
    """The documents matching the most clauses, if that is at least half of them (and at least one)."""
    held: dict[int, int] = {}
    for _, _, matched in matches:
        for docnum in matched:
            held[docnum] = held.get(docnum, 0) + 1
    most = max(held.values(), default=0)
    if most == 0 or most * 2 < clauses:
        return set()
    return {docnum for docnum, count in held.items() if count == most}


def _clause_matches(index: OpenIndex, clause: Clause) -> tuple[dict, set[int]]:
    """(per field: documents and term frequencies, documents matching) for a clause or any alternative."""
    if not clause.alternatives:
        return _option_matches(index, clause)
    merged: dict[str, dict[int, float]] = {}
    matched: set[int] = set()
    for option in clause.options:
        postings, docs = _option_matches(index, option)
        matched |= docs
        for field, (_, per_doc) in postings.items():
            into = merged.setdefault(field, {})
            for docnum, tf in per_doc.items():
                if tf > into.get(docnum, 0):
                    into[docnum] = tf
    return {field: (per_doc.keys(), per_doc) for field, per_doc in merged.items()}, matched


def _option_matches(index: OpenIndex, clause: Clause) -> tuple[dict, set[int]]:
    postings = _clause_postings(index, clause)
    if clause.phrase:
        return postings, _phrase_docs(index, clause, postings)
    return postings, set().union(*(ids for ids, _ in postings.values())) if postings else set()


def _with_compounds(index: OpenIndex, clauses: tuple[Clause, ...]) -> list[Clause]:
    """Joined and separate forms of two words as one search: "back office" finds "backoffice" where the
    index knows it, and "backoffice" finds "back office" (or, where no vendor writes it joined, is read as
    the two words, as "back office" is)."""
    result: list[Clause] = []
    position = 0
    while position < len(clauses):
        clause = clauses[position]
        following = clauses[position + 1] if position + 1 < len(clauses) else None
        if _single_word(clause) and following is not None and _single_word(following):
            first, second = clause.words[0], following.words[0]
            if _is_word(index, first + second):
                result.append(Clause((first, second), phrase=True, alternatives=(Clause((first + second,)),)))
                position += 2
                continue
        if _single_word(clause) and (parts := _two_words(index, clause.words[0])):
            if _is_word(index, clause.words[0]):
                result.append(Clause(clause.words, alternatives=(Clause(parts, phrase=True),)))
            else:
                result += [Clause((part,)) for part in parts]
        else:
            result.append(clause)
        position += 1
    return result


def _single_word(clause: Clause) -> bool:
    return len(clause.words) == 1 and not clause.alternatives


def _two_words(index: OpenIndex, word: str) -> tuple[str, str] | None:
    """The word as two words the index holds, each of at least COMPOUND_PART letters, the longer first part
    preferred; None when there is no such split."""
    for cut in range(len(word) - COMPOUND_PART, COMPOUND_PART - 1, -1):
        first, second = word[:cut], word[cut:]
        if _is_word(index, first) and _is_word(index, second):
            return first, second
    return None


def _is_word(index: OpenIndex, word: str) -> bool:
    """A word of the index's vocabulary held by some live document: the vocabulary first, as it is cheap."""
    return word in index.vocabulary.counts and word not in STOP_LIST and _is_known(index, stem_of(word))


def _correct(index: OpenIndex, clause: Clause, corrections: dict[str, str]) -> Clause | None:
    """The clause's options whose words the index holds; when there are none, the clause with unknown words
    replaced by their closest index words; None when one has no match."""
    known = [option for option in clause.options if all(_is_known(index, stem) for stem in option.stems)]
    if known:
        return Clause(known[0].words, known[0].phrase, tuple(known[1:]))
    words = []
    for word in clause.words:
        if _is_known(index, stem_of(word)):
            words.append(word)
            continue
        replacement = closest_word(index, word)
        if replacement is None:
            return None
        corrections[word] = replacement
        words.append(replacement)
    return Clause(tuple(words), clause.phrase)


def _is_known(index: OpenIndex, term: str) -> bool:
    """Whether some live document holds term (document frequencies still count deleted documents)."""
    reader = index.searcher.reader()
    return any(
        reader.doc_frequency(field, term) and _term_postings(index, field, term) for field in text_fields()
    )


def closest_word(index: OpenIndex, word: str) -> str | None:
    return index.vocabulary.closest(word, usable=lambda candidate: _is_known(index, stem_of(candidate)))


def _clause_postings(index: OpenIndex, clause: Clause) -> dict[str, tuple[set[int], dict[int, float]]]:
    """Per field: the documents holding all of the clause's words, and their summed term frequency."""
    result = {}
    for field in text_fields():
        per_doc: dict[int, float] | None = None
        for term in clause.stems:
            if clause.phrase and len(clause.stems) > 2:
                # A longer phrase needs the positions too: the positions field's postings also hold the
                # frequencies, so one pass over them gives both.
                _term_positions(index, field, term)
            term_docs = _term_postings(index, field, term)
            if per_doc is None:
                per_doc = term_docs
            else:
                per_doc = {d: tf + term_docs[d] for d, tf in per_doc.items() if d in term_docs}
            if not per_doc:
                break
        if per_doc:
            result[field] = (per_doc.keys(), per_doc)
    return result


def _clause_docs(index: OpenIndex, clause: Clause) -> set[int]:
    postings = _clause_postings(index, clause)
    docs = set().union(*(ids for ids, _ in postings.values())) if postings else set()
    return _phrase_docs(index, clause, postings) if clause.phrase else docs


def _term_postings(index: OpenIndex, field: str, term: str) -> dict[int, float]:
    """docnum -> term frequency of term in field, over all segments, without deleted documents.

    Kept in the read cache for this open index, which never changes.
    """
    key = ("postings", index.token, field, term)
    found = readcache.CACHE.get(key)
    if found is None:
        found = _read_postings(index, field, term)
        readcache.CACHE.put(key, found, len(found) * readcache.COST_PER_POSTING)
    return found


def _read_postings(index: OpenIndex, field: str, term: str) -> dict[int, float]:
    found: dict[int, float] = {}
    for leaf in index.leaves:
        ids, weights = replica.segment_postings(leaf, field, term, _segment_postings)
        if leaf.offset:
            found.update(zip(map(leaf.offset.__add__, ids), weights, strict=True))
        else:
            found.update(zip(ids, weights, strict=True))
        for docnum in leaf.deleted:
            found.pop(leaf.offset + docnum, None)
    return found


def _segment_postings(leaf, field: str, term: str) -> tuple[array, array]:
    """A term's postings in one segment, deleted documents included: (docnums, frequencies)."""
    ids, weights = array("I"), array("f")
    for block_ids, block_weights, _ in read_blocks(leaf.searcher.reader(), field, term, values=False):
        ids.extend(block_ids)
        weights.extend(block_weights)
    return ids, weights


def _term_positions(index: OpenIndex, field: str, term: str) -> dict[int, bytes]:
    """docnum -> the term's encoded positions in field (schema.CompactPositions), remembered like postings.

    Read from the field's parallel positions field: only phrases pay for decoding positions. Its postings
    carry the same frequencies as the field's own, remembered too when not yet known.
    """
    key = ("positions", index.token, field, term)
    found = readcache.CACHE.get(key)
    if found is None:
        found, frequencies = {}, {}
        at = positions_field(field)
        for leaf in index.leaves:
            for ids, weights, values in read_blocks(leaf.searcher.reader(), at, term, values=True):
                ids = list(map(leaf.offset.__add__, ids))
                found.update(zip(ids, values, strict=True))
                frequencies.update(zip(ids, weights, strict=True))
            for docnum in leaf.deleted:
                found.pop(leaf.offset + docnum, None)
                frequencies.pop(leaf.offset + docnum, None)
        readcache.CACHE.put(key, found, len(found) * readcache.COST_PER_POSTING)
        frequencies_key = ("postings", index.token, field, term)
        if readcache.CACHE.get(frequencies_key) is None:
            readcache.CACHE.put(frequencies_key, frequencies, len(frequencies) * readcache.COST_PER_POSTING)
    return found


def _phrase_docs(index: OpenIndex, clause: Clause, postings: dict) -> set[int]:
    """Documents where the clause's words stand next to each other, in order, within one field.

    Two words are one adjacent-pair term (schema.AdjacentPairs). For more, only documents holding every word
    in that field are candidates; their positions are decoded one by one.
    Fields go in the registry's order, heaviest first: a document found in its short name is not checked
    again in its long description.
    """
    docs: set[int] = set()
    if _by_pairs(index, clause):
        pair = pair_term(*clause.stems)
        for field in postings:
            docs.update(_term_postings(index, pairs_field(field), pair))
        return docs
    for field, (candidates, _) in postings.items():
        first, *rest = (_term_positions(index, field, term) for term in clause.stems)
        for docnum in candidates:
            if docnum in docs:
                continue
            following = [set(decode_positions(positions[docnum])) for positions in rest]
            for start in decode_positions(first[docnum]):
                if all(start + step in later for step, later in enumerate(following, 1)):
                    docs.add(docnum)
                    break
    return docs


def _by_pairs(index: OpenIndex, clause: Clause) -> bool:
    """Whether a phrase is one adjacent-pair term: two words, both common (schema.AdjacentPairs)."""
    return len(clause.stems) == 2 and pair_words_of(index.searcher.schema).issuperset(clause.stems)


def _all_docnums(index: OpenIndex) -> set[int]:
    docs = set()
    for leaf in index.leaves:
        count = leaf.searcher.reader().doc_count_all()
        docs.update(leaf.offset + d for d in range(count) if d not in leaf.deleted)
    return docs


def _all_vendor_ids(index: OpenIndex) -> list[int]:
    return sorted(index.vendor_ids[docnum] for docnum in _all_docnums(index))


def key_terms(index: OpenIndex, field_name: str, text: str, number: int) -> list[tuple[str, float]]:
    """The `number` words of text that best tell it apart in field_name, with their weights: what Whoosh's
    Searcher.key_terms_from_text gives (classify.Expander with its Bo1Model, normalised), computed the same
    way, but with each word's collection frequency looked up once per open index (OpenIndex.frequencies)
    rather than in every segment's term table on every call: those look-ups were most of its cost."""
    field = index.searcher.schema[field_name]
    in_text: dict[bytes, float] = {}
    text_total = 0.0
    for term, _, weight, _ in field.index(text):
        text_total += weight
        in_text[term] = in_text.get(term, 0.0) + weight
    if not in_text:
        return []
    reader = index.searcher.reader()
    model = classify.Bo1Model(reader.doc_count_all(), reader.field_length(field_name))
    scored, best = [], 0.0
    for term, weight in in_text.items():
        frequency = _collection_frequency(index, field_name, term)
        if frequency is not None:
            score = model.score(weight, frequency, text_total)
            best = max(best, score)
            scored.append((score, field.from_bytes(term)))
    norm = model.normalizer(best, text_total)
    ranked = sorted(((score / norm, word) for score, word in scored), key=lambda item: (-item[0], item[1]))
    return [(word, weight) for weight, word in ranked[:number]]


def _collection_frequency(index: OpenIndex, field_name: str, term: bytes) -> float | None:
    """How often the term occurs in the field over the whole index (deleted documents included, as Whoosh
    counts them); None when the index does not hold it."""
    key = (field_name, term)
    try:
        return index.frequencies[key]
    except KeyError:
        reader = index.searcher.reader()
        frequency = reader.frequency(field_name, term) if (field_name, term) in reader else None
        index.frequencies[key] = frequency
        return frequency


def more_like(index: OpenIndex, terms: dict[str, float], limit: int, exclude: int) -> list[int]:
    """Vendor ids best matching any of terms (stem -> weight), leaving out the vendor exclude; equal scores
    by vendor id.

    Terms found in few documents pick the candidates: the SHORTLIST_FACTOR * limit best scored by them (equal
    scores by document number). Terms found in many (COMMON_SHARE or more of the index) then add to those
    candidates' scores only, since walking their long postings for every document is what made this slow.
    All terms are walked when the distinctive ones find too few candidates. Scores are summed in arrays, a
    term at a time, with the same floating-point operations in the same order as one document at a time.
    """
    total = max(index.doc_count, 1)
    scored = [_term_scores(index, term, weight, total) for term, weight in terms.items()]
    common = [term for term in scored if term.documents >= total * COMMON_SHARE]
    scores = numpy.zeros(len(index.vendor_ids))
    touched = numpy.zeros(len(index.vendor_ids), dtype=bool)
    for term in scored:
        if term.documents < total * COMMON_SHARE:
            term.add_to(scores, touched)
    candidates = numpy.flatnonzero(touched)
    if len(candidates) <= limit:
        for term in common:
            term.add_to(scores, touched)
        candidates = numpy.flatnonzero(touched)
    else:
        candidates = _best(candidates, scores[candidates], limit * SHORTLIST_FACTOR)
        for term in common:
            term.add_at(scores, candidates)
    vendor_ids = numpy.frombuffer(index.vendor_ids, dtype=index.vendor_ids.typecode)[candidates]
    best = numpy.lexsort((vendor_ids, -scores[candidates]))[: limit + 1]
    return [vendor_id for vendor_id in vendor_ids[best].tolist() if vendor_id != exclude][:limit]


COMMON_SHARE = 0.2
SHORTLIST_FACTOR = 3


def _best(docnums: numpy.ndarray, scores: numpy.ndarray, take: int) -> numpy.ndarray:
    """The `take` docnums (ascending) with the highest scores, equal scores by lower docnum; found by
    partition: sorting every candidate was a fifth of more_like's time."""
    if len(docnums) <= take:
        return docnums
    least = numpy.partition(scores, len(scores) - take)[len(scores) - take]
    above = docnums[scores > least]
    at_least = docnums[scores == least][: take - len(above)]
    return numpy.sort(numpy.concatenate((above, at_least)))


@dataclass(frozen=True, eq=False)
class _TermScores:
    """One term's contribution to more-like-this scores: factor * its gains, in the documents holding it."""

    documents: int
    factor: float
    postings: "_TermPostings"

    def add_to(self, scores: numpy.ndarray, touched: numpy.ndarray) -> None:
        """Add to the score of every document holding the term, and mark them."""
        scores[self.postings.docnums] += self.factor * self.postings.gains
        touched[self.postings.docnums] = True

    def add_at(self, scores: numpy.ndarray, docnums: numpy.ndarray) -> None:
        """Add to the scores of those of docnums (ascending) holding the term."""
        holding = self.postings.docnums
        at = numpy.searchsorted(holding, docnums)
        held = holding[numpy.minimum(at, len(holding) - 1)] == docnums
        scores[docnums[held]] += self.factor * self.postings.gains[at[held]]


@dataclass(frozen=True, eq=False)
class _TermPostings:
    """The documents holding a term in any text field (ascending document number), each with its gain: the sum
    over those fields, in text_fields() order, of weight(field) * tf / (tf + SATURATION). Summed once per term
    and open index, so a vendor's similar vendors take one array operation per term rather than one per
    field (four): that was most of more_like's time."""

    docnums: numpy.ndarray
    gains: numpy.ndarray

    @classmethod
    def of(cls, per_field: dict[str, dict[int, float]]) -> "_TermPostings":
        docnums = numpy.array(sorted(set().union(*per_field.values())), dtype=numpy.intp)
        gains = numpy.zeros(len(docnums))
        weights = registry.VENDORS.weights
        for field, per_doc in per_field.items():
            if per_doc:
                held = numpy.fromiter(per_doc, dtype=numpy.intp, count=len(per_doc))
                frequencies = numpy.fromiter(per_doc.values(), dtype=numpy.float64, count=len(per_doc))
                gains[numpy.searchsorted(docnums, held)] += (
                    weights[field] * frequencies / (frequencies + SATURATION)
                )
        return cls(docnums, gains)


@dataclass(frozen=True, eq=False)
class _TermInFields:
    """What more-like-this reads of a term whatever the vendor: its postings over the fields, and its inverse
    document frequency."""

    idf: float
    postings: _TermPostings


def _term_scores(index: OpenIndex, term: str, weight: float, total: int) -> _TermScores:
    found = _term_in_fields(index, term, total)
    return _TermScores(len(found.postings.docnums), weight * found.idf, found.postings)


def _term_in_fields(index: OpenIndex, term: str, total: int) -> _TermInFields:
    """Kept in the read cache for this open index, as its postings are."""
    key = ("term in fields", index.token, term)
    found = readcache.CACHE.get(key)
    if found is None:
        postings = _TermPostings.of({field: _term_postings(index, field, term) for field in text_fields()})
        documents = len(postings.docnums)
        found = _TermInFields(log(1 + (total - documents + 0.5) / (documents + 0.5)), postings)
        # Its docnums are intp and its gains float64: twice the bytes of the usual array posting.
        readcache.CACHE.put(key, found, documents * readcache.COST_PER_ARRAY_POSTING * 2)
    return found
