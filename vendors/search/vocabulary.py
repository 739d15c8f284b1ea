"""The index's own words, unstemmed, for typo correction and "Did you mean".

Kept beside each index generation as a plain file of `word<TAB>documents` lines rather than as a Whoosh field:
collecting it costs one regular-expression pass per document, where a spelling field doubled the analysis
work of every rebuild. A catch-up adds the words of the vendors it indexed and never removes any, so a word
may outlive the last vendor using it; corrections are therefore checked against the index before use.
"""

import os
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh.support.levenshtein import damerau_levenshtein

FILE_NAME = "vocabulary"


class Vocabulary:
    def __init__(self, counts: Counter | None = None):
        self.counts: Counter = counts if counts is not None else Counter()
        self._by_initial: dict[str, list[str]] | None = None

    def add_document(self, words: Iterable[str]) -> None:
        self.counts.update(words)
        self._by_initial = None

    def save(self, folder: Path) -> None:
        temporary = folder / f"{FILE_NAME}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            for word, count in sorted(self.counts.items()):
                handle.write(f"{word}\t{count}\n")
        os.replace(temporary, folder / FILE_NAME)

    @classmethod
    def load(cls, folder: Path) -> "Vocabulary":
        counts: Counter = Counter()
        try:
            with open(folder / FILE_NAME, encoding="utf-8") as handle:
                for line in handle:
                    word, _, count = line.rstrip("\n").partition("\t")
                    counts[word] = int(count or 1)
        except FileNotFoundError:
            pass
        return cls(counts)

    def closest(self, word: str, usable: Callable[[str], bool]) -> str | None:
        """The usable word fewest edits away (1 for short words, 2 from six letters), most common first.

        Misspellings rarely change the first letter, so only words sharing it are considered.
        """
        if len(word) < 4 or not word.isalpha():
            return None
        max_edits = 1 if len(word) < 6 else 2
        ranked = []
        for candidate in self._initial(word[0]):
            if abs(len(candidate) - len(word)) > max_edits or candidate == word:
                continue
            edits = damerau_levenshtein(word, candidate, max_edits)
            if edits <= max_edits:
                ranked.append((edits, -self.counts[candidate], candidate))
        for _, _, candidate in sorted(ranked):
            if usable(candidate):
                return candidate
        return None

    def _initial(self, letter: str) -> list[str]:
        if self._by_initial is None:
            by_initial: dict[str, list[str]] = {}
            for known in self.counts:
                by_initial.setdefault(known[0], []).append(known)
            self._by_initial = by_initial
        return self._by_initial.get(letter, [])
