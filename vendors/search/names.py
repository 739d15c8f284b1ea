"""Name suggestions for the search box: published vendors whose name, or a word of it, starts with what the
buyer has typed so far. Every keystroke asks, so the names are kept per process as two sorted lists for each
change-log position (in the read cache), and a suggestion is a binary search rather than a scan of every
name in the database."""

import bisect
import heapq
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vendors.catalog.models import Vendor
from vendors.search import registry
from vendors.search.schema import fold

BYTES_PER_NAME = 400  # a name's tuple in `names` and its word starts, as the read cache charges them


@dataclass(frozen=True)
class Names:
    names: list[tuple[str, int, str, str]]  # (folded name, id, name, slug), in suggestion order
    word_starts: list[tuple[str, int]]  # (folded name from a word after a space on, index in names)

    @classmethod
    def read(cls, session: Session) -> "Names":
        rows = session.execute(select(Vendor.name, Vendor.id, Vendor.slug).where(registry.VENDORS.published))
        names = sorted((fold(name), vendor_id, name, slug) for name, vendor_id, slug in rows)
        word_starts = sorted(
            (folded[position + 1 :], number)
            for number, (folded, *_rest) in enumerate(names)
            for position, letter in enumerate(folded)
            if letter == " "
        )
        return cls(names, word_starts)

    @property
    def cost(self) -> int:
        return len(self.names) * BYTES_PER_NAME

    def starting_with(self, prefix: str, limit: int) -> list[tuple[str, str]]:
        """(name, slug) of up to limit names starting with prefix, then of names with a later word starting
        with it, each group in name order."""
        whole = _starting(self.names, prefix)[:limit]
        words = {self.word_starts[position][1] for position in _starting(self.word_starts, prefix)}
        chosen = [*whole, *heapq.nsmallest(limit - len(whole), words.difference(whole))]
        return [(self.names[number][2], self.names[number][3]) for number in chosen]


def _starting(entries: list[tuple], prefix: str) -> range:
    """The positions of the sorted entries whose first item starts with prefix."""
    start = end = bisect.bisect_left(entries, (prefix,))
    while end < len(entries) and entries[end][0].startswith(prefix):
        end += 1
    return range(start, end)
