"""A page compressed once and answered to every visitor as gzip with that visitor's own token spliced in.

The page cache keeps pages whose forms carry each visitor's CSRF token. Compressing a whole page again for
every answer cost more than the rest of a cache hit, and kept pages took eight times the memory they take
compressed. So a page is kept as the deflate stream of the text between its tokens, and an answer is put
together from those pieces and the token: a deflate stream may be cut, at a flush, into pieces that each end
on a byte boundary, and the token goes between them as an uncompressed (stored) block (RFC 1951, 3.2.4).

Each piece is compressed with everything before it as its dictionary, so the page compresses as well as
whole. The tokens' places in that dictionary hold NUL bytes, which HTML never contains, so no piece refers
back into a token; a page holding a NUL byte is kept uncompressed instead. Only the first token is sent
whole: each later one is a copy of the one before (a length and a distance, in a block of the fixed Huffman
code, RFC 1951 3.2.5-3.2.6), which does not depend on the token and is made once. The gzip trailer's CRC-32 is
worked out from the token's own and three numbers kept with the page (see `_TextCrc`), so an answer reads the
token's bytes and no piece's, and compresses nothing.

A page may also be put together from pieces compressed already (`Compressed`, `SplicedGzip.of_pieces`):
each piece then refers to nothing before it, so pieces compressed once can go into any page, at some cost in
size, and its CRC-32 is worked out from theirs (CRC-32 is affine: `Compressed.joined`).
"""

import itertools
import json
import struct
import zlib
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

WINDOW = 32 * 1024  # how far back deflate may refer
LEVEL = 6
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"  # deflate, no name, no time, Unix
FINAL_EMPTY_BLOCK = b"\x03\x00"
NOT_TEXT = b"\x00"
MAX_STORED = 0xFFFF  # the most a stored block holds


@dataclass(frozen=True)
class _Piece:
    deflated: bytes
    length: int
    # The token before this piece as a copy of the one before it; None: sent whole (the first, or too far).
    copy_before: bytes | None = None


@dataclass(frozen=True)
class SplicedGzip:
    """A text with `splices` places for one token of token_length bytes, compressed once."""

    pieces: tuple[_Piece, ...]
    token_length: int
    crc: "_TextCrc"

    @classmethod
    def compress(cls, text: bytes, placeholder: bytes, token_length: int) -> "SplicedGzip | None":
        """The text with every placeholder as a place for a token; None when the text holds a NUL byte."""
        if NOT_TEXT in text:
            return None
        parts = text.split(placeholder)
        if len(parts) > 1 and not 1 <= token_length <= MAX_STORED:
            raise ValueError(f"places for tokens of {token_length} bytes: 1 to {MAX_STORED} can be stored")
        filler = NOT_TEXT * token_length
        pieces, before = [], b""
        for number, part in enumerate(parts):
            compressor = (
                zlib.compressobj(LEVEL, zlib.DEFLATED, -15, zdict=before)
                if before
                else zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
            )
            deflated = compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH)
            copy = _copy_block(token_length, token_length + len(parts[number - 1])) if number > 1 else None
            pieces.append(_Piece(deflated, len(part), copy))
            before = (before + part + filler)[-WINDOW:]
        return cls(
            tuple(pieces),
            token_length,
            _TextCrc.of([(len(part), zlib.crc32(part)) for part in parts], token_length),
        )

    @classmethod
    def of_pieces(cls, between_tokens: list[list["Compressed"]], token_length: int) -> "SplicedGzip":
        """The text between its places for tokens, each given in pieces compressed already. Nothing is
        compressed or read again, and the text may hold NUL bytes."""
        texts = [Compressed.joined(pieces) for pieces in between_tokens]
        pieces = [
            _Piece(
                text.deflated,
                text.length,
                _copy_block(token_length, token_length + texts[number - 1].length) if number > 1 else None,
            )
            for number, text in enumerate(texts)
        ]
        crcs = [(text.length, text.crc) for text in texts]
        return cls(tuple(pieces), token_length, _TextCrc.of(crcs, token_length))

    @property
    def splices(self) -> int:
        return len(self.pieces) - 1

    @property
    def size(self) -> int:
        return sum(len(piece.deflated) for piece in self.pieces)

    def gzip(self, token: bytes) -> bytes:
        """The text with token in every place, as a gzip member (RFC 1952)."""
        if len(token) != self.token_length:
            raise ValueError(f"token of {len(token)} bytes for places of {self.token_length}")
        stored = stored_blocks(token)
        crc = self.crc.with_token(token)
        first, *rest = self.pieces
        body = b"".join(
            [
                first.deflated,
                *(part for piece in rest for part in (piece.copy_before or stored, piece.deflated)),
            ]
        )
        total = sum(piece.length for piece in self.pieces) + self.splices * len(token)
        return b"".join((GZIP_HEADER, body, FINAL_EMPTY_BLOCK, struct.pack("<II", crc, total & 0xFFFFFFFF)))

    def to_bytes(self) -> bytes:
        """The compressed text as bytes to keep outside this process (vendors.sharedpages); from_bytes reads
        it back."""
        sizes = [[piece.length, len(piece.deflated), _size(piece.copy_before)] for piece in self.pieces]
        crc = [self.crc.without_tokens, self.crc.spread, self.crc.of_zeros]
        described = json.dumps({"token_length": self.token_length, "pieces": sizes, "crc": crc}).encode()
        blobs = (part for piece in self.pieces for part in (piece.deflated, piece.copy_before or b""))
        return b"".join([struct.pack(">I", len(described)), described, *blobs])

    @classmethod
    def from_bytes(cls, kept: bytes) -> "SplicedGzip":
        """What to_bytes wrote; ValueError when kept is not that."""
        try:
            (described_length,) = struct.unpack_from(">I", kept)
            described = json.loads(kept[4 : 4 + described_length])
            at, pieces = 4 + described_length, []
            for length, deflated_size, copy_size in described["pieces"]:
                deflated, at = kept[at : at + deflated_size], at + deflated_size
                copy = None if copy_size is None else kept[at : at + copy_size]
                at += copy_size or 0
                pieces.append(_Piece(deflated, length, copy))
            token_length, crc = described["token_length"], _TextCrc(*described["crc"])
        except (struct.error, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a kept compressed text: {error}") from None
        if at != len(kept):
            raise ValueError("not a kept compressed text: its pieces do not add up to its length")
        return cls(tuple(pieces), token_length, crc)

    def text(self, token: bytes) -> bytes:
        """The text with token, of any length, in every place, uncompressed: for clients that do not take
        gzip."""
        text = zlib.decompress(self.gzip(NOT_TEXT * self.token_length), wbits=31)
        starts = itertools.accumulate(piece.length + self.token_length for piece in self.pieces[:-1])
        return token.join(
            text[start : start + piece.length] for start, piece in zip((0, *starts), self.pieces, strict=True)
        )


class Compressed(NamedTuple):
    """A piece of text compressed already, in deflate blocks that refer to nothing before them and end on a
    byte, so that it can stand anywhere in a deflate stream (SplicedGzip.of_pieces); with its length and
    CRC-32, from which those of pieces put together are worked out without reading them."""

    length: int
    crc: int
    deflated: bytes

    @classmethod
    def on_its_own(cls, text: bytes) -> "Compressed":
        compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        return cls(
            len(text), zlib.crc32(text), compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
        )

    @classmethod
    def stored(cls, text: bytes) -> "Compressed":
        """For a piece too short or too varied to be worth compressing."""
        return cls(len(text), zlib.crc32(text), stored_blocks(text))

    @classmethod
    def joined(cls, pieces: list["Compressed"]) -> "Compressed":
        """The pieces one after the other. CRC-32 is affine: the CRC of A then B is the CRC of B started from
        A's CRC, which is B's own CRC changed by A's carried past as many NUL bytes as B has."""
        length = crc = 0
        for piece in pieces:
            length, crc = length + piece.length, _followed_by(crc, piece.length, piece.crc)
        return cls(length, crc, b"".join(piece.deflated for piece in pieces))


def _followed_by(crc: int, length: int, following: int) -> int:
    """The CRC-32 of a text of CRC crc followed by one of that length and CRC."""
    zeros = memoryview(_ZEROS)[:length] if length <= len(_ZEROS) else bytes(length)
    return zlib.crc32(zeros, crc) ^ zlib.crc32(zeros) ^ following


_ZEROS = bytes(64 * 1024)


def stored_blocks(text: bytes) -> bytes:
    """text as uncompressed deflate blocks (RFC 1951, 3.2.4), for a piece too short or too varied to be worth
    compressing."""
    return b"".join(
        b"\x00" + struct.pack("<HH", len(chunk), 0xFFFF ^ len(chunk)) + chunk
        for chunk in (text[start : start + MAX_STORED] for start in range(0, len(text), MAX_STORED))
    )


def _size(blob: bytes | None) -> int | None:
    return None if blob is None else len(blob)


@dataclass(frozen=True)
class _TextCrc:
    """The CRC-32 of the text with any token in its places, from the token's own CRC-32.

    A CRC-32 is a remainder of polynomials over GF(2), so the text's CRC with token T is its CRC with NUL
    bytes in the token's places (without_tokens), changed by the token's own part, lin(T) = crc(T) ^
    crc(NULs of T's length), carried past the m bytes after each place: a multiplication by x^(8m) modulo the
    CRC's polynomial, as in zlib's crc32_combine. The products for all the places add up to lin(T) times the
    sum of those powers (spread), which depends on the places alone and is worked out once.
    """

    without_tokens: int
    spread: int  # the sum of x^(8m) mod P over the places, m the bytes after each
    of_zeros: int  # crc(NULs of the token's length)

    @classmethod
    def of(cls, parts: list[tuple[int, int]], token_length: int) -> "_TextCrc":
        """For the text parts[0] T parts[1] T ... parts[-1], each part told by its length and CRC-32; T of
        token_length bytes."""
        spread = 0
        for number, (length, _crc) in enumerate(parts[1:], start=1):
            if number > 1:
                spread = _carried(spread, token_length)  # past this place's token
            spread = _carried(spread ^ _X_TO_THE_0, length)
        of_zeros = zlib.crc32(bytes(token_length))
        without_tokens = parts[0][1]
        for length, crc in parts[1:]:
            without_tokens = _followed_by(_followed_by(without_tokens, token_length, of_zeros), length, crc)
        return cls(without_tokens, spread, of_zeros)

    def with_token(self, token: bytes) -> int:
        return self.without_tokens ^ _times_mod_p(zlib.crc32(token) ^ self.of_zeros, self.spread)


_CRC_POLYNOMIAL = 0xEDB88320  # CRC-32's, bit-reversed as zlib holds it
_X_TO_THE_0 = 1 << 31  # the polynomial 1, bit-reversed


def _carried(value: int, length: int) -> int:
    """value times x^(8 length) modulo the polynomial: value followed by `length` NUL bytes, less the CRC's
    starting and final inversions (which cancel between the two CRCs)."""
    zeros = bytes(length)
    return zlib.crc32(zeros, value) ^ zlib.crc32(zeros)


def _times_mod_p(a: int, b: int) -> int:
    """a times b modulo the polynomial, both bit-reversed (zlib's multmodp)."""
    product = 0
    for bit in range(31, -1, -1):
        if a >> bit & 1:
            product ^= b
        b = (b >> 1) ^ _CRC_POLYNOMIAL if b & 1 else b >> 1
    return product


# RFC 1951, 3.2.5: the first length and distance of each code, and its extra bits.
LENGTH_BASES = (3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115)
LENGTH_BASES += (131, 163, 195, 227, 258)
LENGTH_EXTRA_BITS = (0,) * 8 + (1,) * 4 + (2,) * 4 + (3,) * 4 + (4,) * 4 + (5,) * 4 + (0,)
DISTANCE_BASES = (1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537)
DISTANCE_BASES += (2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577)
DISTANCE_EXTRA_BITS = (0, 0, *(bits for bits in range(14) for _ in (0, 1)))
FIRST_LENGTH_SYMBOL = 257
END_OF_BLOCK = 256
SYNC_MARKER = b"\x00\x00\xff\xff"  # an empty stored block's lengths, after its header


def _copy_block(length: int, distance: int) -> bytes | None:
    """A block copying `length` bytes from `distance` back, ended so that what follows starts on a byte;
    None when one copy cannot say it (deflate copies 3 to 258 bytes from at most 32 kB back)."""
    if not 3 <= length <= LENGTH_BASES[-1] or distance > WINDOW:
        return None
    bits = _Bits()
    bits.put(0, 1)  # not the last block
    bits.put(1, 2)  # fixed Huffman codes
    code = bisect_right(LENGTH_BASES, length) - 1
    bits.put_code(*_fixed_literal_code(FIRST_LENGTH_SYMBOL + code))
    bits.put(length - LENGTH_BASES[code], LENGTH_EXTRA_BITS[code])
    code = bisect_right(DISTANCE_BASES, distance) - 1
    bits.put_code(code, 5)
    bits.put(distance - DISTANCE_BASES[code], DISTANCE_EXTRA_BITS[code])
    bits.put_code(*_fixed_literal_code(END_OF_BLOCK))
    bits.put(0, 3)  # an empty stored block, not the last: its header, then it starts on a byte
    return bits.whole_bytes() + SYNC_MARKER


def _fixed_literal_code(symbol: int) -> tuple[int, int]:
    """(code, bit length) of a literal/length symbol in the fixed Huffman code (RFC 1951, 3.2.6)."""
    if symbol < 144:
        return 0b00110000 + symbol, 8
    if symbol < 256:
        return 0b110010000 + symbol - 144, 9
    if symbol < 280:
        return symbol - 256, 7
    return 0b11000000 + symbol - 280, 8


class _Bits:
    """Bits packed as deflate packs them: from each byte's least significant bit up."""

    def __init__(self):
        self.value = self.count = 0

    def put(self, value: int, count: int) -> None:
        self.value |= value << self.count
        self.count += count

    def put_code(self, code: int, count: int) -> None:
        """A Huffman code, which deflate packs from its most significant bit."""
        self.put(int(f"{code:0{count}b}"[::-1], 2), count)

    def whole_bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")
