"""Full builds: Whoosh segments written straight from the documents, without Whoosh's generic writer.

Whoosh's SegmentWriter puts every posting through a sorting pool (a Python tuple per posting, sorted and
spilled to disk in marshalled runs), then re-reads each document's field length for every posting before
handing it to the codec one call at a time. For a full build none of that is needed: documents arrive in
docnum order, so each term's postings are already sorted once grouped by term. Here a segment's postings are
grouped in plain arrays per term, and written with the codec's own block writer a block (128 postings) at a
time (vendors.search.codec_blocks), recording for each term what Whoosh's writer records. The same analysis
pass also yields the unstemmed words for the spelling vocabulary.

Several processes each read ranges of vendor ids from the database and write one segment per range; the
parent reports each finished segment and then commits one table of contents listing them all. Catch-ups
keep using Whoosh's writer.
"""

import multiprocessing
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from itertools import pairwise

from sqlalchemy import Engine, select
from whoosh import index as whoosh_index
from whoosh.codec import default_codec

from vendors.search import registry, schema
from vendors.search.codec_blocks import write_term
from vendors.search.vocabulary import Vocabulary

# A segment holds at most this many documents: a writing process keeps one segment's postings in memory
# (about 120 postings per vendor: ~300 MB per process at 25,000 vendors).
SEGMENT_DOCUMENTS = 25_000
Postings = tuple[array, array, list, array | None]


def build(
    engine: Engine,
    index: whoosh_index.Index,
    procs: int,
    progress: Callable[[int], None] = lambda _: None,
    kind: registry.DocumentKind | None = None,
) -> Vocabulary:
    """Fill the empty index with every published document of kind (vendors by default), in procs
    processes; return the vocabulary.

    progress is called in this process with the number of documents in each segment as it is written.
    """
    kind = kind or registry.VENDORS
    with engine.connect() as connection:
        ids = list(connection.scalars(select(kind.model.id).where(kind.published).order_by(kind.model.id)))
    if not ids:
        return Vocabulary()
    # Contiguous id ranges (after, upto], one segment each, so progress can be reported per segment.
    starts = range(0, len(ids), SEGMENT_DOCUMENTS)
    bounds = [0, *(ids[start - 1] for start in starts[1:]), ids[-1]]
    ranges = list(pairwise(bounds))
    sizes = [min(SEGMENT_DOCUMENTS, len(ids) - start) for start in starts]
    results: dict[int, tuple[list, Counter]] = {}
    if procs == 1 or len(ranges) == 1:
        for number, id_range in enumerate(ranges):
            results[number] = _write_range(engine, index, kind, *id_range)
            progress(sizes[number])
    else:
        engine.dispose()  # no pooled connection may be shared with the forked processes
        # The engine cannot be pickled: forked processes inherit it from here instead.
        _forked.update(engine=engine, index=index, kind=kind)
        try:
            with multiprocessing.get_context("fork").Pool(procs) as pool:
                for number, result in pool.imap_unordered(_write_forked_range, enumerate(ranges)):
                    results[number] = result
                    progress(sizes[number])
        finally:
            _forked.clear()
    segments, vocabulary = [], Vocabulary()
    for number in sorted(results):
        written, counts = results[number]
        segments += written
        vocabulary.counts.update(counts)
    if segments:
        whoosh_index.TOC(index.schema, segments, index.latest_generation() + 1).write(
            index.storage, index.indexname
        )
    return vocabulary


_forked: dict = {}


def _write_forked_range(numbered_range: tuple[int, tuple[int, int]]) -> tuple[int, tuple[list, Counter]]:
    number, (after, upto) = numbered_range
    _forked["engine"].dispose(close=False)  # the parent's pooled connections belong to the parent
    return number, _write_range(_forked["engine"], _forked["index"], _forked["kind"], after, upto)


def _write_range(
    engine: Engine, index: whoosh_index.Index, kind: registry.DocumentKind, after: int, upto: int
) -> tuple[list, Counter]:
    segments, words = [], Counter()
    with engine.connect() as connection:
        batch: list[dict] = []
        for document in schema.documents(connection, after=after, upto=upto, kind=kind):
            batch.append(document)
            if len(batch) == SEGMENT_DOCUMENTS:
                segments.append(write_segment(index, batch, words, kind))
                batch = []
        if batch:
            segments.append(write_segment(index, batch, words, kind))
    return segments, words


def write_segment(
    index: whoosh_index.Index,
    documents: Iterable[dict],
    words: Counter,
    kind: registry.DocumentKind | None = None,
):
    """One new segment holding documents of kind (docnums in their order); counts their words into words."""
    codec = default_codec()
    storage, fields = index.storage, index.schema
    segment = codec.new_segment(storage, index.indexname)
    per_document = codec.per_document_writer(storage, segment)
    # field -> term -> (docnums, weights, values, field lengths): no values in a text field (schema.Counts),
    # the encoded positions in its positions field (schema.CompactPositions), which has no lengths
    postings: dict[str, dict[str, Postings]] = {
        name: {}
        for name in (*schema.text_fields(kind), *schema.position_fields(kind), *schema.pair_fields(kind))
    }
    ids: dict[str, Postings] = {}
    id_field, vid_field = fields["id"], fields["vid"]
    field_names = tuple(
        zip(schema.text_fields(kind), schema.position_fields(kind), schema.pair_fields(kind), strict=True)
    )
    pair_words = schema.pair_words_of(fields, kind)
    docnum = -1
    for docnum, document in enumerate(documents):
        per_document.start_doc(docnum)
        ids[document["id"]] = (array("I", [docnum]), array("f", [1.0]), [], None)
        per_document.add_field("id", id_field, None, 0)
        per_document.add_field("vid", vid_field, None, 0)
        per_document.add_column_value(
            "vid", vid_field.column_type, vid_field.to_column_value(document["vid"])
        )
        seen: set[str] = set()
        for name, at_name, pairs_name in field_names:
            kept = schema.WORDS.terms(document[name])
            seen.update(kept)
            stems = list(map(schema.stem_of, kept))
            positions: dict[str, list[int]] = defaultdict(list)
            for position, stem in enumerate(stems):
                positions[stem].append(position)
            terms, at_terms = postings[name], postings[at_name]
            for term, found in positions.items():
                at_entry = at_terms.get(term)
                if at_entry is None:
                    # Both fields have the same docnums and frequencies: the arrays are shared.
                    at_entry = at_terms[term] = (array("I"), array("f"), [], None)
                    terms[term] = (at_entry[0], at_entry[1], [], array("I"))
                at_entry[0].append(docnum)
                at_entry[1].append(len(found))
                at_entry[2].append(array("I", found).tobytes())
                terms[term][3].append(len(kept))
            per_document.add_field(name, fields[name], None, len(kept))
            per_document.add_field(at_name, fields[at_name], None, 0)
            pair_terms = postings[pairs_name]
            common = [stem if stem in pair_words else None for stem in stems]
            adjacent = (schema.pair_term(*pair) for pair in pairwise(common) if None not in pair)
            for pair, frequency in Counter(adjacent).items():
                entry = pair_terms.get(pair)
                if entry is None:
                    entry = pair_terms[pair] = (array("I"), array("f"), [], None)
                entry[0].append(docnum)
                entry[1].append(frequency)
            per_document.add_field(pairs_name, fields[pairs_name], None, 0)
        words.update(seen)
        per_document.finish_doc()
    per_document.close()

    field_writer = codec.field_writer(storage, segment)
    for name, terms in sorted({"id": ids, **postings}.items()):
        field_writer.start_field(name, fields[name])
        for term, entry in sorted((term.encode("utf-8"), entry) for term, entry in terms.items()):
            write_term(field_writer, term, *entry)
        field_writer.finish_field()
    field_writer.close()
    segment.set_doc_count(docnum + 1)
    # Left as separate files, not one compound file as Whoosh's writer leaves small segments: opening a
    # compound file copies each part into memory (a BytesIO per part), which at 100,000 vendors made every
    # catch-up's writer spend over a second opening segments, and every process hold its own copy.
    # Separate files are read through the operating system's page cache, shared by all processes.
    return segment
