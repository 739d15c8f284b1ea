"""What a buyer typed, as clauses: words (all required), "quoted phrases", and -excluded words or phrases.

There is no syntax to get wrong: anything that is not a well-formed quote or a leading minus is read as
plain words, so no query can fail to parse. Field names, wildcards and boolean operators are not special.

Plain words are read as buyers mean them (vendors.reference.search_words): a phrase of a group of synonyms
("contact centre") is one clause, satisfied by its words in one field or by another phrase of its group;
words describing every vendor ("BPO", "services") are not required. Hyphens separate words as spaces do,
so "back-office" and "back office" are the same search ("e-mail" stays one word). Quoted text is taken as
written.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from vendors.reference import search_words
from vendors.search.schema import WORDS, stem_of

MAX_QUERY_LENGTH = 200

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')


class QueryTooLong(ValueError):
    def __init__(self, length: int):
        self.length = length
        super().__init__(f"the search is {length} characters long; the limit is {MAX_QUERY_LENGTH}")


@dataclass(frozen=True)
class Clause:
    words: tuple[str, ...]  # lower-cased, accent-folded, stop words removed, not stemmed
    phrase: bool = False
    # Other clauses any of which satisfies this one (the other phrases of a group of synonyms).
    alternatives: tuple["Clause", ...] = ()
    # The same words as typed, only lower-cased, when that differs ("bogotá"): the database fallback, which
    # cannot fold the text it searches, finds a word spelled as it is stored. The index needs only `words`.
    spellings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(stem_of(word) for word in self.words)

    @property
    def options(self) -> tuple["Clause", ...]:
        """This clause as written, then its alternatives."""
        return (Clause(self.words, self.phrase, spellings=self.spellings), *self.alternatives)


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    required: tuple[Clause, ...]
    excluded: tuple[Clause, ...]

    def highlight_stems(self) -> frozenset[str]:
        return frozenset(s for clause in self.required for option in clause.options for s in option.stems)


def words_of(text: str) -> tuple[str, ...]:
    return tuple(token.text for token in WORDS(text))


def typed_words(text: str) -> list[tuple[str, str]]:
    """Each word of text (as words_of gives it) with its spelling as typed, lower-cased."""
    return [(token.text, token.original.lower()) for token in WORDS(text, keeporiginal=True)]


def _clause(typed: list[tuple[str, str]], **options) -> Clause:
    words = tuple(word for word, _ in typed)
    spellings = tuple(spelling for _, spelling in typed)
    return Clause(words, spellings=spellings if spellings != words else (), **options)


@lru_cache(maxsize=1024)
def parse(q: str) -> ParsedQuery:
    if len(q) > MAX_QUERY_LENGTH:
        raise QueryTooLong(len(q))
    required: list[Clause] = []
    excluded: list[Clause] = []
    plain: list[tuple[str, str]] = []  # the plain words since the last quote or exclusion, read together
    for match in _TOKEN.finditer(q):
        if match.group(2) is not None:
            required += _as_meant(plain)
            plain = []
            typed = typed_words(match.group(2))
            clauses = [_clause(typed, phrase=len(typed) > 1)] if typed else []
            (excluded if match.group(1) else required).extend(clauses)
            continue
        token = match.group(3)
        if token.startswith("-") and len(token) > 1:
            required += _as_meant(plain)
            plain = []
            typed = typed_words(token)
            if typed:
                excluded.append(_clause(typed, phrase=len(typed) > 1))
        else:
            plain += typed_words(_joined_if_lettered(token))
    required += _as_meant(plain)
    return ParsedQuery(q, tuple(dict.fromkeys(required)), tuple(dict.fromkeys(excluded)))


def _joined_if_lettered(token: str) -> str:
    """ "e-mail" and "e-commerce" as the one word they are; other hyphens separate words."""
    parts = token.split("-")
    return "".join(parts) if len(parts) > 1 and any(len(part) == 1 for part in parts) else token


def _as_meant(typed: list[tuple[str, str]]) -> list[Clause]:
    """Plain words (with their spellings) as clauses: synonym phrases as one clause each (longest first),
    then the other words one by one, leaving out those that describe every vendor."""
    clauses, start = [], 0
    words = [word for word, _ in typed]
    stems = [stem_of(word) for word in words]
    while start < len(words):
        for length in range(min(_LONGEST_SYNONYM, len(words) - start), 0, -1):
            group = _SYNONYMS.get(tuple(stems[start : start + length]))
            if group is not None:
                phrase = typed[start : start + length]
                others = tuple(
                    option for option in group if option.stems != tuple(stems[start : start + length])
                )
                # As typed, the words need only share a field ("setting appointments" is appointment
                # setting); the group's other phrases are matched as phrases.
                clauses.append(_clause(phrase, alternatives=others))
                start += length
                break
        else:
            if words[start] not in search_words.EVERYWHERE:
                clauses.append(_clause(typed[start : start + 1]))
            start += 1
    return clauses


def _synonym_groups() -> dict[tuple[str, ...], tuple[Clause, ...]]:
    """The stems of each phrase of a group -> the group's phrases as clauses."""
    groups = {}
    for phrases in search_words.SAME:
        clauses = (Clause(words_of(p), phrase=len(words_of(p)) > 1) for p in phrases)
        options = tuple({clause.stems: clause for clause in clauses}.values())
        for option in options:
            groups[option.stems] = options
    return groups


_SYNONYMS = _synonym_groups()
_LONGEST_SYNONYM = max(len(stems) for stems in _SYNONYMS)
