"""What a buyer typed, as clauses: words (all required), "quoted phrases", and -excluded words or phrases.

There is no syntax to get wrong: anything that is not a well-formed quote or a leading minus is read as
plain words, so no query can fail to parse. Field names, wildcards and boolean operators are not special.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

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

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(stem_of(word) for word in self.words)


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    required: tuple[Clause, ...]
    excluded: tuple[Clause, ...]

    def highlight_stems(self) -> frozenset[str]:
        return frozenset(s for clause in self.required for s in clause.stems)


def words_of(text: str) -> tuple[str, ...]:
    return tuple(token.text for token in WORDS(text))


@lru_cache(maxsize=1024)
def parse(q: str) -> ParsedQuery:
    if len(q) > MAX_QUERY_LENGTH:
        raise QueryTooLong(len(q))
    required: list[Clause] = []
    excluded: list[Clause] = []
    for match in _TOKEN.finditer(q):
        negative = bool(match.group(1))
        if match.group(2) is not None:
            words = words_of(match.group(2))
            clauses = [Clause(words, phrase=len(words) > 1)] if words else []
        else:
            token = match.group(3)
            negative = token.startswith("-") and len(token) > 1
            words = words_of(token)
            if negative or len(words) <= 1:
                clauses = [Clause(words, phrase=len(words) > 1)] if words else []
            else:
                # "e-mail" and "follow-up" stay together; "chat,email" is two words.
                joined = re.fullmatch(r"[\w'\u2019.-]+", token) is not None
                clauses = [Clause(words, phrase=True)] if joined else [Clause((word,)) for word in words]
        (excluded if negative else required).extend(clauses)
    return ParsedQuery(q, tuple(dict.fromkeys(required)), tuple(dict.fromkeys(excluded)))
