"""A text compressed once with places for a token (vendors.splicedgzip) is, for every token, a valid gzip
member of exactly the text with that token in every place: checked by Python's gzip module (which verifies the
CRC-32 and length) and by the gzip program, for texts with places anywhere (first, last, side by side) and
tokens of any length (the later ones sent as copies of the first, up to deflate's 258 bytes). It compresses
about as well as the whole text, and a text holding a NUL byte is refused rather than put at risk."""

import gzip
import shutil
import subprocess
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendors.splicedgzip import Compressed, SplicedGzip

PLACE = b"\x01PLACE\x01"
# HTML-like pieces so deflate finds repeats across places, plus any non-NUL byte.
PIECES = st.lists(
    st.one_of(
        st.sampled_from([b"<td>", b"vendor support ", b"</tr>\n", "é".encode(), b"aaaa", b"\xff"]),
        st.binary(min_size=1, max_size=40).map(lambda raw: raw.replace(b"\x00", b"z").replace(b"\x01", b"y")),
    ),
    max_size=300,
).map(b"".join)


@given(parts=st.lists(PIECES, min_size=1, max_size=8), token=st.binary(min_size=1, max_size=300))
def test_every_token_gives_the_text_with_it_in_every_place(parts, token):
    token = token.replace(b"\x00", b"t")
    text = PLACE.join(parts)
    spliced = SplicedGzip.compress(text, PLACE, len(token))
    assert spliced.splices == len(parts) - 1
    assert gzip.decompress(spliced.gzip(token)) == text.replace(PLACE, token)
    assert spliced.text(token) == text.replace(PLACE, token)
    other_length = token + b"-longer"
    assert spliced.text(other_length) == text.replace(PLACE, other_length)
    assert SplicedGzip.from_bytes(spliced.to_bytes()) == spliced


@pytest.mark.parametrize("kept", [b"", b"\x00\x00\x00\x02{}", b"\x00\x00\x00\x05{not", b"\xff" * 9])
def test_bytes_that_to_bytes_did_not_write_are_refused(kept):
    with pytest.raises(ValueError, match="not a kept compressed text"):
        SplicedGzip.from_bytes(kept)


def test_kept_bytes_with_a_piece_cut_short_are_refused():
    kept = SplicedGzip.compress(b"a" * 100 + PLACE + b"b" * 100, PLACE, 8).to_bytes()
    with pytest.raises(ValueError, match="do not add up"):
        SplicedGzip.from_bytes(kept[:-1])


@pytest.mark.parametrize("token_length", [0, 65_536])
def test_places_for_a_token_no_stored_block_can_hold_are_refused(token_length):
    with pytest.raises(ValueError, match="1 to 65535"):
        SplicedGzip.compress(b"a" + PLACE + b"b", PLACE, token_length)


def test_a_token_of_another_length_is_refused_for_gzip():
    spliced = SplicedGzip.compress(b"before" + PLACE + b"after", PLACE, 10)
    with pytest.raises(ValueError, match="token of 3 bytes for places of 10"):
        spliced.gzip(b"abc")


def test_a_text_holding_a_nul_byte_is_not_compressed_this_way():
    assert SplicedGzip.compress(b"a\x00b" + PLACE, PLACE, 4) is None


def test_a_page_with_many_places_compresses_about_as_well_as_the_whole_page():
    row = b'<tr><td><a href="/vendors/v-%d">Vendor %d</a></td><td>Customer support, back office</td>'
    rows = [
        row % (number, number) + b'<input name="csrf_token" value="' + PLACE + b'">' for number in range(50)
    ]
    text = b"<table>" + b"</tr>\n".join(rows) + b"</table>"
    token = b"I" * 91
    whole = len(zlib.compress(text.replace(PLACE, token), 6))
    spliced = SplicedGzip.compress(text, PLACE, len(token)).gzip(token)
    # The first token is sent whole; each place costs a few bytes of block boundaries and a copy.
    assert len(spliced) <= whole * 1.1 + len(token) + 50 * 20


@pytest.mark.skipif(shutil.which("gzip") is None, reason="the gzip program is not installed")
def test_the_gzip_program_accepts_the_answer_with_places_near_and_further_than_a_copy_reaches(tmp_path):
    far_apart = b"<p>middle</p>" * 2600  # 33,800 bytes: deflate copies from at most 32,768 back
    text = PLACE.join([b"<html>" * 500, far_apart, b"", b"</html>"])
    answer = tmp_path / "page.gz"
    answer.write_bytes(SplicedGzip.compress(text, PLACE, 5).gzip(b"TOKEN"))
    tested = subprocess.run(["gzip", "--test", "--verbose", str(answer)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    assert gzip.decompress(answer.read_bytes()) == text.replace(PLACE, b"TOKEN")


# Pieces of text as a page made from parts is given them: each compressed on its own, or stored as it is.
PIECEWISE = st.lists(st.tuples(st.binary(max_size=400) | PIECES, st.booleans()), min_size=1, max_size=6)


@given(between_tokens=st.lists(PIECEWISE, min_size=1, max_size=5), token=st.binary(min_size=1, max_size=300))
def test_a_text_put_together_from_pieces_compressed_already_gives_the_text_with_every_token(
    between_tokens, token
):
    pieces = [
        [Compressed.on_its_own(text) if compress else Compressed.stored(text) for text, compress in segment]
        for segment in between_tokens
    ]
    spliced = SplicedGzip.of_pieces(pieces, len(token))

    texts = [b"".join(text for text, _compress in segment) for segment in between_tokens]
    assert gzip.decompress(spliced.gzip(token)) == token.join(texts)  # NUL bytes and all
    assert spliced.text(token) == token.join(texts)
    assert SplicedGzip.from_bytes(spliced.to_bytes()) == spliced


def test_text_longer_than_a_stored_block_holds_is_stored_in_several():
    text = bytes(range(256)) * 600  # 153,600 bytes
    stored = Compressed.stored(text)
    assert len(stored.deflated) == len(text) + 5 * 3
    spliced = SplicedGzip.of_pieces([[stored], [Compressed.on_its_own(b"<p>")]], 4)
    assert gzip.decompress(spliced.gzip(b"tokn")) == text + b"tokn<p>"


def test_a_piece_compressed_on_its_own_refers_to_nothing_before_it():
    piece = Compressed.on_its_own(b"<li>care</li>" * 50)
    assert zlib.decompressobj(wbits=-15).decompress(piece.deflated) == b"<li>care</li>" * 50
    assert (piece.length, piece.crc) == (650, zlib.crc32(b"<li>care</li>" * 50))


@given(texts=st.lists(st.binary(max_size=70_000), max_size=4))
def test_pieces_joined_have_the_length_and_crc_of_their_text(texts):
    joined = Compressed.joined([Compressed.stored(text) for text in texts])
    assert (joined.length, joined.crc) == (len(b"".join(texts)), zlib.crc32(b"".join(texts)))
