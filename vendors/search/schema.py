"""What the index holds for a vendor, and how text becomes terms.

The schema is lean on purpose: the only stored value is the vendor id (as a column, read per segment in one
go). Each text field is indexed three times: with term frequencies only (what matching and ranking read, so a
block of postings carries no positions to decode); with positions in a parallel field (`name_at`, ...) read
only to check quoted phrases of three words or more; and as adjacent word pairs (`name_pairs`, ...), which
answer a two-word phrase, the common kind, with one lookup. The unstemmed words used for typo correction
live beside the index (vendors.search.vocabulary), not in it. Filters, facets and display data never come
from the index; they come from the database.

The fields, their weights and how their text is gathered are declared once, in vendors.search.registry:
everything here is derived from that declaration at call time.
"""

import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import pairwise

from sqlalchemy import Connection, select
from whoosh import columns, fields, formats
from whoosh.analysis import STOP_WORDS, RegexTokenizer, Token, Tokenizer
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

from vendors.reference import search_words
from vendors.search import registry

# "it" (as in IT services) and "us" (as in US-based) are words buyers search for.
STOP_LIST = frozenset(STOP_WORDS - {"it", "us"})

# Raise when what is indexed changes in a way the field list does not show (a format, the analysis, how a
# field's text is gathered): every generation written before is then rebuilt.
SCHEMA_VERSION = 4


def text_fields(kind: registry.DocumentKind | None = None) -> tuple[str, ...]:
    return (kind or registry.VENDORS).field_names


def positions_field(field: str) -> str:
    """The parallel field holding the positions of field's terms (read only for phrases)."""
    return f"{field}_at"


def position_fields(kind: registry.DocumentKind | None = None) -> tuple[str, ...]:
    return tuple(map(positions_field, text_fields(kind)))


def pairs_field(field: str) -> str:
    """The parallel field holding field's adjacent word pairs (read only for two-word phrases)."""
    return f"{field}_pairs"


def pair_fields(kind: registry.DocumentKind | None = None) -> tuple[str, ...]:
    return tuple(map(pairs_field, text_fields(kind)))


def pair_term(first: str, second: str) -> str:
    """The term for two stems standing next to each other; the space keeps it apart from any word's stem."""
    return f"{first} {second}"


WORD_PATTERN = re.compile(r"\w+(?:\.?\w+)*")

# Whoosh pickles the schema into every index's table of contents. The index is always opened with the schema
# built here (vendors.search.store), so that copy is never read; the project's own classes below pickle as
# the Whoosh class each stands in for, so no name of the project is ever written into an index, and renaming
# or moving these classes cannot make an index unreadable.
_stems: dict[str, str] = {}


def fold(word: str) -> str:
    """Case-folded and accent-folded, the form words are compared in. Case folding, not lower-casing, so
    "Straße" meets "STRASSE" and a ligature its letters ("ﬁnance", "finance"); the combining marks that
    decomposing leaves go ("İstanbul" lower-cases to an i with a dot above), then what does not decompose
    ("ł") is mapped."""
    word = word.casefold()
    if word.isascii():
        return word
    bare = "".join(part for part in unicodedata.normalize("NFKD", word) if not unicodedata.combining(part))
    return bare.translate(accent_map)


def stem_of(word: str) -> str:
    """The English (Porter) stem of a folded word, so "billing" and "billed" meet at "bill"; British and
    American spellings meet too ("centre" and "center" at "center"), as vendors.reference.search_words
    lists them."""
    stemmed = _stems.get(word)
    if stemmed is None:
        if len(_stems) > 500_000:
            _stems.clear()
        stemmed = _stems[word] = stem(_respelt(word))
    return stemmed


def _respelling_rules() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """From each listed pair, the part that differs: "organise"/"organize" gives "organis" -> "organiz",
    which respells "organisation" and "organised" too. A pair whose differing part is too short to be safe
    ("enrol"/"enroll") is only respelt as a whole word."""
    whole, prefixes = {}, {}
    for other, kept in search_words.SPELLING.items():
        whole[other], whole[f"{other}s"] = kept, f"{kept}s"
        common = _shared_start(other, kept)
        suffix = _shared_start(other[common:][::-1], kept[common:][::-1])
        differing, replacement = other[: len(other) - suffix], kept[: len(kept) - suffix]
        if len(differing) > common and len(differing) >= MIN_RESPELT_PREFIX:
            prefixes[differing] = replacement
    return whole, tuple(sorted(prefixes.items(), key=lambda rule: -len(rule[0])))


def _shared_start(one: str, other: str) -> int:
    """How many leading characters the two strings share."""
    return next(
        (i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b), min(len(one), len(other))
    )


MIN_RESPELT_PREFIX = 5
_WHOLE_WORDS, _PREFIXES = _respelling_rules()


def _respelt(word: str) -> str:
    """The word in the spelling the index keeps (vendors.reference.search_words)."""
    if word in _WHOLE_WORDS:
        return _WHOLE_WORDS[word]
    for differing, replacement in _PREFIXES:
        if word.startswith(differing):
            return replacement + word[len(differing) :]
    return word


class FoldedWords(Tokenizer):
    """Words, lower-cased and accent-folded, stop words dropped, optionally stemmed: in one pass.

    The same steps as Whoosh's RegexTokenizer | LowercaseFilter | CharsetFilter | StopFilter | StemFilter
    chain, fused because indexing spends most of its time in the analyzer: this is several times faster.
    Positions count only the words kept, so a phrase matches across a dropped stop word ("support in Manila"
    finds "support Manila") exactly as Whoosh's StopFilter does.
    """

    def __init__(self, stemming: bool = True):
        self.stemming = stemming

    def __reduce__(self):
        return RegexTokenizer, ()

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash((type(self), self.stemming))

    def terms(self, value: str) -> list[str]:
        """Just the terms, in order: what indexing needs, without Whoosh's token objects."""
        folded = (fold(word) for word in WORD_PATTERN.findall(value))
        kept = [word for word in folded if len(word) > 1 and word not in STOP_LIST]
        return [stem_of(word) for word in kept] if self.stemming else kept

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        position = start_pos
        for match in WORD_PATTERN.finditer(value):
            original = match.group()
            text = fold(original)
            if len(text) < 2 or text in STOP_LIST:
                continue
            token.text = stem_of(text) if self.stemming else text
            token.boost, token.stopped = 1.0, False
            if keeporiginal:
                token.original = original
            if positions:
                token.pos = position
            position += 1
            if chars:
                token.startchar, token.endchar = start_char + match.start(), start_char + match.end()
            yield token


class AdjacentPairs(FoldedWords):
    """Each pair of common words standing next to each other, as one term ("custom support"): a phrase of two
    common words is then one lookup, instead of decoding the positions of two words that may each be in a
    third of the vendors. Pairs of other words are left out: most of them are unique, and a term per pair
    would make a full build several times slower, while a phrase with a rare word is quick from positions.

    `words` are the common stems, chosen when a generation is built (choose_pair_words) and kept with it.
    """

    def __init__(self, words: frozenset[str] = frozenset()):
        super().__init__()
        self.words = words

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.words == self.words

    def __hash__(self) -> int:
        return hash((type(self), self.words))

    def terms(self, value: str) -> list[str]:
        words = self.words
        return [
            pair_term(first, second)
            for first, second in pairwise(super().terms(value))
            if first in words and second in words
        ]

    def __call__(self, value, mode="", **kwargs):
        token = Token(mode=mode)
        for pair in self.terms(value):
            token.text, token.boost, token.stopped = pair, 1.0, False
            yield token


WORDS = FoldedWords(stemming=False)
STEMS = FoldedWords()

# A stem in at least this share of the sampled documents is common: its pairs with other common stems are
# indexed as adjacent-pair terms.
PAIR_WORD_SHARE = 0.05
PAIR_WORD_SAMPLE = 2_000


def choose_pair_words(documents: list[dict], kind: registry.DocumentKind | None = None) -> frozenset[str]:
    """The stems found in at least PAIR_WORD_SHARE of documents (a sample of the catalogue)."""
    held: Counter = Counter()
    for document in documents:
        held.update({stem for field in text_fields(kind) for stem in STEMS.terms(document[field])})
    least = max(1, PAIR_WORD_SHARE * len(documents))
    return frozenset(stem for stem, count in held.items() if count >= least)


def pair_words_of(whoosh_schema: fields.Schema, kind: registry.DocumentKind | None = None) -> frozenset[str]:
    """The common stems an opened index was built with (the same for every field)."""
    return whoosh_schema[pairs_field(text_fields(kind)[0])].analyzer.words


def words_in(text: str) -> set[str]:
    """The distinct folded words of text, stop words kept out: what the spelling vocabulary collects."""
    return {word for word in map(fold, WORD_PATTERN.findall(text)) if len(word) > 1} - STOP_LIST


class Counts(formats.Format):
    """Term frequencies only, kept as the postings' weights: a block holds no per-posting values at all.

    Whoosh's Frequency format also packs each frequency into a value string, which every block read would
    unpickle; the weight already says the same.
    """

    posting_size = 0

    def __reduce__(self):
        return formats.Frequency, ()

    def __init__(self, field_boost: float = 1.0):
        self.field_boost = field_boost
        self.options = {}

    def word_values(self, value, analyzer, **kwargs):
        if isinstance(analyzer, FoldedWords):
            counts = Counter(analyzer.terms(value))
        else:
            counts = Counter(token.text for token in analyzer(value, mode=kwargs.get("mode", "")))
        boost = self.field_boost
        for word, frequency in counts.items():
            yield word, frequency, frequency * boost, b""


class CompactPositions(formats.Positions):
    """Whoosh's Positions format with positions stored as a raw array of 32-bit ints.

    Whoosh pickles a list of position deltas for every posting; encoding and decoding those pickles was the
    largest single cost of indexing and of phrase matching. A raw array is written and read in C.
    """

    def __reduce__(self):
        return formats.Positions, ()

    def word_values(self, value, analyzer, **kwargs):
        positions: dict[str, list[int]] = defaultdict(list)
        if isinstance(analyzer, FoldedWords):
            for position, term in enumerate(analyzer.terms(value)):
                positions[term].append(position)
        else:
            for token in analyzer(value, positions=True, mode=kwargs.get("mode", "")):
                positions[token.text].append(token.pos)
        boost = self.field_boost
        for word, found in positions.items():
            yield word, len(found), len(found) * boost, array("I", found).tobytes()

    def encode(self, poslist) -> bytes:
        return array("I", poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decode_positions(valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // POSITION_SIZE

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(position, 1.0) for position in decode_positions(valuestring)]


POSITION_SIZE = array("I").itemsize


def decode_positions(valuestring: bytes) -> array:
    positions = array("I")
    positions.frombytes(valuestring)
    return positions


def schema_signature(kind: registry.DocumentKind | None = None) -> str:
    """What a generation records of the schema it was written for: SCHEMA_VERSION and every text field's
    declaration (each field indexed twice, with counts and with positions, as build_schema makes them). Names
    of classes and modules play no part, so renaming or moving them never makes an index unreadable. A
    generation written for another signature is rebuilt, never read."""
    kind = kind or registry.VENDORS
    return f"v{SCHEMA_VERSION} {kind.name} {kind.signature}"


def build_schema(
    kind: registry.DocumentKind | None = None, pair_words: frozenset[str] = frozenset()
) -> fields.Schema:
    """`id` (the document's id as text, unique: what an update replaces), `vid` (the same as a number, read a
    segment at a time) and each text field of kind three times (counts, positions, adjacent pairs)."""
    text = {}
    for name in text_fields(kind):
        text[name] = fields.TEXT(analyzer=STEMS, phrase=False)
        text[name].format = Counts()
        at = text[positions_field(name)] = fields.TEXT(analyzer=STEMS, phrase=True)
        at.format = CompactPositions()
        at.scorable = False  # no field lengths: ranking reads the frequency field's
        pairs = text[pairs_field(name)] = fields.TEXT(analyzer=AdjacentPairs(pair_words), phrase=False)
        pairs.format = Counts()
        pairs.scorable = False
    return fields.Schema(id=fields.ID(unique=True), vid=fields.COLUMN(columns.NumericColumn("I")), **text)


def documents(
    connection: Connection,
    ids: list[int] | None = None,
    batch: int = 2000,
    after: int = 0,
    upto: int | None = None,
    kind: registry.DocumentKind | None = None,
) -> Iterator[dict]:
    """Index documents for the published documents of kind among ids (when None: all published ones with
    after < id <= upto, in id order). Kind defaults to vendors.

    Read with Core in batches: a full rebuild of 100,000 vendors should not build 100,000 ORM objects.
    """
    kind = kind or registry.VENDORS
    id_column = kind.model.id
    if ids is None:
        last = after
        while True:
            statement = _rows(kind).where(id_column > last).order_by(id_column).limit(batch)
            if upto is not None:
                statement = statement.where(id_column <= upto)
            rows = connection.execute(statement).all()
            if not rows:
                return
            yield from _documents_for(connection, kind, rows)
            last = rows[-1].id
    else:
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), batch):
            chunk = wanted[start : start + batch]
            rows = connection.execute(_rows(kind).where(id_column.in_(chunk))).all()
            yield from _documents_for(connection, kind, rows)


def _rows(kind: registry.DocumentKind):
    return select(*(getattr(kind.model, column) for column in kind.columns)).where(kind.published)


def _documents_for(connection: Connection, kind: registry.DocumentKind, rows) -> Iterator[dict]:
    if not rows:
        return
    values: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    stored = kind.attribute_rows
    if stored is not None:
        statement = (
            select(stored.owner_column, stored.model.facet, stored.model.value)
            .where(
                stored.owner_column.in_([row.id for row in rows]), stored.model.facet.in_(kind.stored_facets)
            )
            .order_by(stored.owner_column, stored.model.facet, stored.model.position)
        )
        for owner, facet, value in connection.execute(statement):
            values[owner][facet].append(value)
    for row in rows:
        yield document(row, values[row.id], kind)


def document(row, values: dict[str, list[str]], kind: registry.DocumentKind | None = None) -> dict:
    """The index document of one row: each field's text, three times (counts, positions, pairs), and its
    ids."""
    kind = kind or registry.VENDORS
    text = {text_field.name: kind.text(text_field, row, values) for text_field in kind.fields}
    return {
        "id": str(row.id),
        "vid": row.id,
        **text,
        **{positions_field(field): value for field, value in text.items()},
        **{pairs_field(field): value for field, value in text.items()},
    }
