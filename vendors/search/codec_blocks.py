"""The only place that touches Whoosh's private names: postings written and read a whole block at a time.

Whoosh's public API writes a posting per call and reads a posting per call. For a full build of 100,000
vendors and for matching common words that is most of the time spent, so this module works at the level of
the codec's blocks (128 postings). It uses these private names of whoosh-reloaded's `whoosh3` codec, checked
against the version in TESTED_WITH by tests/test_codec_blocks.py, which compares everything a term records
with what Whoosh's own writer records for the same documents and fails on any other version:

Writing (`write_term`):
    FieldWriter._postwriter            the W3PostingsWriter of the term being written
    W3PostingsWriter._blocklimit       postings per block
    W3PostingsWriter._ids, _weights, _values
                                       the block's buffers, filled with a whole block at once
    W3PostingsWriter._maxweight, _minlength, _maxlength
                                       the block's statistics, which add_posting would keep one by one
    W3PostingsWriter._write_block()    writes the buffered block (the last one is written by finish_term)

Reading (`read_blocks`):
    W3LeafMatcher._byteids             true for term vectors, which are read posting by posting instead
    W3LeafMatcher._read_data(), _data, _blocklength
                                       decodes the current block: (delta-coded ids, weights, values)
    W3LeafMatcher._read_values(), _values
                                       the block's encoded values (positions)
    W3LeafMatcher._next_block()        moves to the next block
"""

from array import array
from collections.abc import Iterator
from itertools import accumulate

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

# The whoosh-reloaded release these internals were checked against (pyproject.toml pins it).
TESTED_WITH = "2.7.5"


def write_term(
    field_writer, term: bytes, docnums: array, weights: array, values: list, lengths: array | None
) -> None:
    """A term's postings through the codec's block writer, a block at a time, recording what add_posting
    would: the maximum weight and, for a field with lengths, the shortest and longest field length of each
    block. `lengths` holds the field's length in each posting's document (None for a field without)."""
    field_writer.start_term(term)
    writer = field_writer._postwriter
    limit = writer._blocklimit
    for start in range(0, len(docnums), limit):
        end = start + limit
        writer._ids = docnums[start:end]
        writer._weights = weights[start:end]
        writer._values = values[start:end]
        writer._maxweight = max(writer._weights)
        if lengths is not None:
            # Whoosh leaves a length of 0 out of the statistics.
            measured = [length for length in lengths[start:end] if length]
            writer._minlength = min(measured, default=None)
            writer._maxlength = max(measured, default=0)
        if end < len(docnums):
            writer._write_block()
    field_writer.finish_term()


def read_blocks(reader, field: str, term: str, values: bool) -> Iterator[tuple]:
    """(local docnums, weights, values) per postings block of one segment, deleted documents included.

    Decodes the delta-coded ids with itertools.accumulate (C) rather than Whoosh's generator: far fewer
    Python steps than walking a matcher posting by posting, which is what other matchers get.
    """
    if (field, term) not in reader:
        return
    matcher = reader.postings(field, term)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        while matcher.is_active():
            matcher._read_data()
            ids, weights, _ = matcher._data
            count = matcher._blocklength
            # Whoosh leaves out weights that are all 1.0, and writes equal weights once.
            if weights is None:
                weights = array("f", [1.0]) * count
            elif isinstance(weights, float):
                weights = array("f", [weights]) * count
            if values:
                matcher._read_values()
            yield accumulate(ids), weights, matcher._values
            matcher._next_block()
        return
    ids, weights, encoded = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        encoded.append(matcher.value() if values else None)
        matcher.next()
    yield ids, weights, encoded
