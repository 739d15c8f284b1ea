"""The fenced Whoosh internals (vendors/search/codec_blocks.py) against Whoosh's own writer.

A full build writes postings a block at a time through private names of whoosh-reloaded's codec. These tests
build one index that way and one with Whoosh's public writer from the same documents, and compare everything
each term records, block by block, then the results Whoosh's own BM25F searcher gives on both. They run on
the pinned version only: any other fails at once, saying what to re-check.
"""

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.qparser import MultifieldParser

from tests.conftest import make_app
from vendors.catalog import synthetic
from vendors.extensions import db
from vendors.search import bulk, codec_blocks, schema

VENDORS = 400  # common words then span several blocks of 128 postings
QUERIES = ("support", "customer support", "billing", "spanish chat", "healthcare philippines", "data entry")


def test_the_installed_whoosh_is_the_one_the_internals_were_checked_against():
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    pinned = [spec for spec in pyproject["project"]["dependencies"] if spec.startswith("whoosh-reloaded==")]
    assert pinned == [f"whoosh-reloaded=={codec_blocks.TESTED_WITH}"], (
        "pyproject.toml pins another whoosh-reloaded than vendors/search/codec_blocks.py was checked against"
    )
    installed = version("whoosh-reloaded")
    assert installed == codec_blocks.TESTED_WITH, (
        f"whoosh-reloaded {installed} is installed, but the private names in vendors/search/codec_blocks.py "
        f"were checked against {codec_blocks.TESTED_WITH}: read its list against the new codec, run this "
        "module's comparisons, then update TESTED_WITH"
    )


@pytest.fixture(scope="module")
def two_indexes(tmp_path_factory):
    """(bulk-built, Whoosh-written) indexes of the same generated vendors, each one segment."""
    folder = tmp_path_factory.mktemp("codec")
    app = make_app(f"sqlite:///{folder / 'vendors.sqlite3'}", folder / "unused-index")
    with app.app_context():
        db.create_all()
        synthetic.insert_synthetic(VENDORS)
        for name in ("bulk", "plain"):
            (folder / name).mkdir()
        with db.engine.connect() as connection:
            pair_words = schema.choose_pair_words(list(schema.documents(connection)))
        built = whoosh_index.create_in(str(folder / "bulk"), schema.build_schema(pair_words=pair_words))
        bulk.build(db.engine, built, procs=1)
        plain = whoosh_index.create_in(str(folder / "plain"), schema.build_schema(pair_words=pair_words))
        writer = plain.writer()
        with db.engine.connect() as connection:
            for document in schema.documents(connection):
                writer.add_document(**document)
        writer.commit()
        db.engine.dispose()
    # As the site opens them: with the schema built by the code, not the stand-ins pickled into the index.
    yield tuple(
        whoosh_index.open_dir(str(folder / name), schema=schema.build_schema(pair_words=pair_words))
        for name in ("bulk", "plain")
    )


def what_terms_record(index) -> dict:
    """Per (field, term): the term's statistics, then each posting with the statistics of its block."""
    recorded = {}
    with index.reader() as reader:
        for field, term in reader.all_terms():
            info = reader.term_info(field, term)
            statistics = (
                info.doc_frequency(),
                info.weight(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
            )
            matcher = reader.postings(field, term)
            postings = []
            while matcher.is_active():
                block = (matcher.block_min_length(), matcher.block_max_length(), matcher.block_max_weight())
                postings.append((matcher.id(), matcher.weight(), matcher.value(), block))
                matcher.next()
            recorded[(field, term)] = (statistics, postings)
    return recorded


def test_every_term_records_what_whoosh_records(two_indexes):
    built, plain = two_indexes
    assert len(built._segments()) == len(plain._segments()) == 1
    from_bulk, from_whoosh = what_terms_record(built), what_terms_record(plain)
    assert from_bulk.keys() == from_whoosh.keys()
    longest = max(len(postings) for _statistics, postings in from_whoosh.values())
    assert longest > 2 * 128, "no term spans several blocks: the comparison would miss block statistics"
    assert any(statistics[2] for statistics, _postings in from_whoosh.values()), "no field lengths compared"
    pairs = [key for key in from_whoosh if key[0] in schema.pair_fields()]
    assert len(pairs) > 100, "no adjacent-pair terms compared"
    differing = [key for key in from_whoosh if from_bulk[key] != from_whoosh[key]]
    assert differing == [], f"{len(differing)} terms differ, e.g. {differing[:3]}"


def test_whooshs_own_bm25f_searcher_finds_the_same_in_both(two_indexes):
    built, plain = two_indexes
    parser = MultifieldParser(list(schema.text_fields()), plain.schema)
    for q in QUERIES:
        query = parser.parse(q)
        answers = []
        for index in (built, plain):
            with index.searcher(weighting=scoring.BM25F()) as searcher:
                answers.append(
                    [(hit["vid"], round(hit.score, 9)) for hit in searcher.search(query, limit=20)]
                )
        assert answers[0] == answers[1], q
        assert answers[0], f"{q!r} found nothing: the comparison would prove nothing"
