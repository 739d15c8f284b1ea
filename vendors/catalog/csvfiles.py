"""The directory as a CSV file: export, and an all-or-nothing import that checks every row first.

One row per vendor, columns in COLUMNS order. Lists are separated by ";" (countries as ISO 3166-1 alpha-2
codes, languages as ISO 639-1 codes, the other lists as the API's slugs), dates are YYYY-MM-DD, an empty slug
is made from the name and an empty status means published. Files are UTF-8 with or without a byte order
mark, with Unix or Windows line endings.

Spreadsheets run a cell that starts with "=", "+", "-", "@", a tab or a carriage return as a formula, so an
export writes such cells with a leading "'" and an import takes it off again (a cell that itself starts with
"'" gets one more, so every value survives export then import).

The command line and the admin pages share this module: check() reads a file and reports every problem with
its line and column without writing anything; apply() writes a checked file through the catalogue writer in
one transaction, so a file goes in completely or not at all.
"""

import csv
import io
import itertools
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import IO, NamedTuple

from flask import Response, stream_with_context
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from vendors.audit import Actor
from vendors.catalog.models import Vendor, VendorFacetValue
from vendors.catalog.records import (
    FACET_FIELDS,
    FIELDS,
    LONGEST_TEXT,
    RecordError,
    differences,
    parse_record,
    plain_values,
)
from vendors.catalog.writes import CatalogueWriter, catalogue_writes, former_slugs
from vendors.database import MAX_ROW_ID
from vendors.extensions import db
from vendors.validation import digits_up_to

# The record field behind each column; columns are named as a person would head them.
COLUMN_FIELDS: dict[str, str] = {
    ("email" if field_name == "contact_email" else field_name): field_name for field_name in FIELDS
}
COLUMNS = tuple(COLUMN_FIELDS)
FIELD_COLUMNS = {field_name: column for column, field_name in COLUMN_FIELDS.items()}
# Written by an export after the record's columns, optional in an import: the vendor's version when the file
# was exported. A row that would change a vendor saved since then is refused, so importing an old export
# cannot undo edits made after it; an empty cell overwrites whatever was saved.
VERSION_COLUMN = "version"
EXPORTED_COLUMNS = (*COLUMNS, VERSION_COLUMN)
LIST_SEPARATOR = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
CHUNK = 500  # rows compared and written together
PROGRESS_EVERY = 5_000  # rows between two reports while a file is checked
# The csv module stops reading a file at a cell longer than its limit (131,072 characters by default), and
# cannot resume after it. Raised as far as the module allows on every platform, so such a cell is read whole
# and reported at its line and column like any other, and the rows after it are still checked. An upload is
# bounded by IMPORT_MAX_MEGABYTES, a file on disk by its size.
CSV_FIELD_LIMIT = 2**31 - 1

# reader position: (rows done, rows in all or None while still counting)
Progress = Callable[[int, int | None], None]


def no_progress(_done: int, _total: int | None) -> None:
    pass


# ------------------------------------------------------------------------------------------ formulas
def neutralise(cell: str) -> str:
    """The cell as a spreadsheet will show it rather than run it."""
    return QUOTE + cell if cell.startswith((*FORMULA_STARTS, QUOTE)) else cell


def restore(cell: str) -> str:
    """Undo neutralise(); a quote typed by a person before ordinary text is kept."""
    if cell.startswith(QUOTE) and cell[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return cell[1:]
    return cell


# ------------------------------------------------------------------------------------------ export
def export_rows(*conditions: ColumnElement[bool]) -> Iterator[list[str]]:
    """The header, then one row per vendor in slug order: every vendor, or those meeting `conditions`."""
    yield list(EXPORTED_COLUMNS)
    for stored in stored_records(*conditions):
        yield [*row_of(stored.record), str(stored.version)]


def row_of(record: dict) -> list[str]:
    """A cleaned record as a row of cells, less the version."""
    values = plain_values(record)
    return [neutralise(_cell(values[COLUMN_FIELDS[column]])) for column in COLUMNS]


class Stored(NamedTuple):
    vendor_id: int
    version: int
    record: dict  # cleaned


def stored_records(*conditions: ColumnElement[bool]) -> Iterator[Stored]:
    """The vendors meeting `conditions`, in slug order.

    Read with plain rows a few hundred vendors at a time, not as ORM objects: building those is most of
    the cost of exporting or comparing a large catalogue.
    """
    scalar_fields = [field_name for field_name in FIELDS if field_name not in FACET_FIELDS]
    statement = (
        select(Vendor.id, Vendor.version, *(getattr(Vendor, field_name) for field_name in scalar_fields))
        .where(*conditions)
        .order_by(Vendor.slug)
    )
    for partition in db.session.execute(statement.execution_options(yield_per=CHUNK)).partitions():
        values = _attribute_values([row.id for row in partition])
        for row in partition:
            record = {field_name: getattr(row, field_name) for field_name in scalar_fields}
            for field_name, facet in FACET_FIELDS.items():
                record[field_name] = values.get((row.id, facet), [])
            yield Stored(row.id, row.version, record)


def _attribute_values(vendor_ids: list[int]) -> dict[tuple[int, str], list[str]]:
    """{(vendor id, attribute): values in the vendor's order} for a few hundred vendors."""
    rows = db.session.execute(
        select(VendorFacetValue.vendor_id, VendorFacetValue.facet, VendorFacetValue.value)
        .where(VendorFacetValue.vendor_id.in_(vendor_ids))
        .order_by(VendorFacetValue.vendor_id, VendorFacetValue.facet, VendorFacetValue.position)
    )
    values: dict[tuple[int, str], list[str]] = {}
    for vendor_id, facet, value in rows:
        values.setdefault((vendor_id, facet), []).append(value)
    return values


def write(rows: Iterable[list[str]], stream: IO[str]) -> int:
    """Write rows as CSV; returns how many rows followed the header."""
    writer = csv.writer(stream, lineterminator="\r\n")
    count = -1
    for row in rows:
        writer.writerow(row)
        count += 1
    return max(count, 0)


def download(rows: Iterable[list[str]], filename: str) -> Response:
    """A streamed CSV attachment, read while the request's context is still open. It starts with a byte
    order mark, which makes spreadsheet programs read it as UTF-8: names are often accented."""
    chunks = itertools.chain(["\ufeff"], text_chunks(rows))
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def text_chunks(rows: Iterable[list[str]], rows_per_chunk: int = 200) -> Iterator[str]:
    """Rows as CSV text, a few hundred at a time, for a download that streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for number, row in enumerate(rows, 1):
        writer.writerow(row)
        if number % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    return str(value)


# ------------------------------------------------------------------------------------------ import
@dataclass(frozen=True)
class Problem:
    line: int
    column: str  # "" when the problem is with the whole line or file
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class Checked:
    """What check() found: the number of data rows, and every problem (none means the file can go in)."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)
    # With check(count=True) and no problem: what an import would do (apply's dry run, in the same pass).
    preview: "Applied | None" = None

    @property
    def rejected(self) -> int:
        return len(self.bad_lines)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.bad_lines.add(problem.line)


@dataclass
class Applied:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self, rejected: int = 0) -> str:
        return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {rejected} rejected"


class FileRejected(ValueError):
    """The file has problems; nothing was written."""

    def __init__(self, checked: Checked):
        self.checked = checked
        super().__init__(f"{len(checked.problems)} problem(s) in {checked.rejected} line(s)")


def check(
    open_text: Callable[[], IO[str]],
    progress: Progress = no_progress,
    count: bool = False,
    deadline: float | None = None,
) -> Checked:
    """Read the whole file and report every problem; writes nothing. With `count`, the file is also compared
    with the directory while no problem is found, in the same pass, for checked.preview. Raises TooLongToCheck
    when time.monotonic() has passed `deadline` at the end of a chunk of rows: every look-up in the database
    is made chunk by chunk, so none outlasts it by more than a chunk's."""
    checked = Checked()
    counted = Applied()
    first_line_of: dict[str, int] = {}
    for chunk in _chunks(_records(open_text, checked), CHUNK):
        if deadline is not None and checked.rows and time.monotonic() > deadline:
            raise TooLongToCheck(checked.rows)
        first_seen = []
        for row in chunk:
            checked.rows += 1
            if checked.rows % PROGRESS_EVERY == 0:
                progress(checked.rows, None)
            for problem in row.problems:
                checked.add(problem)
            # A row with other problems still takes its slug, so a second row with it is reported here.
            if not row.slug:
                continue
            if row.slug in first_line_of:
                checked.add(
                    Problem(row.line, "slug", f"{row.slug!r} is also on line {first_line_of[row.slug]}")
                )
            else:
                first_line_of[row.slug] = row.line
                first_seen.append(row.slug)
        renamed = former_slugs(first_seen)
        for slug, current in renamed.items():
            message = f"{slug!r} is a former slug of {current!r}, which it leads to: use {current!r}"
            checked.add(Problem(first_line_of[slug], "slug", message))
        if count and not checked.problems:
            new, changed, undoing = _compared(chunk)
            counted.added += len(new)
            counted.updated += len(changed)
            counted.unchanged += len(chunk) - len(new) - len(changed)
        else:
            # A renamed vendor's row was not deleted since it was exported, whatever its version says.
            undoing = _undoing_later_saves([row for row in chunk if row.slug not in renamed])
        for problem in undoing:
            checked.add(problem)
    checked.problems.sort(key=lambda problem: problem.line)  # in the file's order, whatever found them
    if count and not checked.problems:
        checked.preview = counted
    return checked


class TooLongToCheck(RuntimeError):
    """The check went past its deadline; `rows` were read by then."""

    def __init__(self, rows: int):
        self.rows = rows
        super().__init__(f"{rows:,} rows checked before the deadline")


def apply(
    open_text: Callable[[], IO[str]],
    actor: Actor,
    note: str,
    checked: Checked | None = None,
    dry_run: bool = False,
    progress: Progress = no_progress,
    also: Callable[[Session], object] = lambda _session: None,
) -> Applied:
    """Write a file in one transaction: every row or none. Raises FileRejected if it has any problem.

    `checked` is check()'s result for this file when the caller already has it. A row whose slug exists
    updates that vendor; one that matches its vendor already changes nothing. With dry_run nothing is
    written: the file is only compared with the directory, which gives the counts an import would give.
    `also(session)` runs in the import's transaction, for work that must commit with it or not at all.
    """
    checked = checked or check(open_text)
    if checked.problems:
        raise FileRejected(checked)
    result = Applied()
    with nullcontext() if dry_run else catalogue_writes(actor, note=note) as writer:
        done = 0
        for chunk in _chunks(_records(open_text, Checked()), CHUNK):
            if any(row.record is None for row in chunk):
                raise FileChanged("the file changed while it was being imported; nothing was written")
            new, changed = _compare(chunk, checked.rows)
            result.added += len(new)
            result.updated += len(changed)
            result.unchanged += len(chunk) - len(new) - len(changed)
            if writer is not None:
                _write(writer, new, changed)
            done += len(chunk)
            progress(done, checked.rows)
        if writer is not None:
            also(writer.session)
    return result


def _compare(rows: list["_Row"], row_count: int) -> tuple[list[dict], list[tuple[int, dict]]]:
    """The records of new vendors, and (vendor id, record) of those that differ from their vendor. Raises
    FileRejected when a row would undo a save made after the version it names: after the file was checked,
    since the check reports those."""
    new, changed, undoing = _compared(rows)
    if undoing:
        rejected = Checked(rows=row_count)
        for problem in undoing:
            rejected.add(problem)
        raise FileRejected(rejected)
    return new, changed


def _compared(rows: list["_Row"]) -> tuple[list[dict], list[tuple[int, dict]], list[Problem]]:
    """The records of new vendors; (vendor id, record) of those that differ from their vendor; and a problem
    for each of those that would undo a save made after the version its row names."""
    stored = {
        found.record["slug"]: found for found in stored_records(Vendor.slug.in_([row.slug for row in rows]))
    }
    new = [row.record for row in rows if row.slug not in stored]
    differing = [
        row for row in rows if row.slug in stored and differences(stored[row.slug].record, row.record)
    ]
    undoing = [_undoing(row, None) for row in rows if row.slug not in stored and row.version is not None]
    undoing += [
        _undoing(row, stored[row.slug].version)
        for row in differing
        if row.version not in (None, stored[row.slug].version)
    ]
    undoing.sort(key=lambda problem: problem.line)
    return new, [(stored[row.slug].vendor_id, row.record) for row in differing], undoing


def _undoing_later_saves(rows: list["_Row"]) -> list[Problem]:
    """A problem for each row that would change a vendor saved since the version the row names: its other
    cells hold what the vendor was then, so writing them would undo the later changes."""
    versioned = {row.slug: row for row in rows if row.record is not None and row.version is not None}
    if not versioned:
        return []
    versions = {
        slug: version
        for slug, version in db.session.execute(
            select(Vendor.slug, Vendor.version).where(Vendor.slug.in_(list(versioned)))
        )
    }
    problems = [_undoing(row, None) for slug, row in versioned.items() if slug not in versions]
    saved_since = [slug for slug, version in versions.items() if version != versioned[slug].version]
    if saved_since:
        problems += [
            _undoing(versioned[found.record["slug"]], found.version)
            for found in stored_records(Vendor.slug.in_(saved_since))
            if differences(found.record, versioned[found.record["slug"]].record)
        ]
    return sorted(problems, key=lambda problem: problem.line)


def _undoing(row: "_Row", saved_version: int | None) -> Problem:
    """The problem of a row exported at a version its vendor has left since (None: the vendor is gone)."""
    if saved_version is None:
        message = (
            f"no vendor has the slug {row.slug!r} any more, though the row was exported from one (at "
            f"version {row.version}): it was deleted since, and the row would bring it back; remove the row, "
            "or empty this cell to add it again"
        )
    else:
        message = (
            f"{row.slug!r} has changed since this row was exported (version {row.version} then, "
            f"{saved_version} now), and the row would undo those changes: export again and make the row's "
            "changes there, or empty this cell to overwrite them"
        )
    return Problem(row.line, VERSION_COLUMN, message)


def _write(writer: CatalogueWriter, new: list[dict], changed: list[tuple[int, dict]]) -> None:
    """New vendors with one bulk insert; changed ones through the writer one by one."""
    if new:
        writer.insert_many(new)
    for vendor_id, record in changed:
        writer.update(writer.session.get(Vendor, vendor_id), record)


class FileChanged(RuntimeError):
    """The file read differently the second time (it was edited during the import)."""


class _Row(NamedTuple):
    line: int
    record: dict | None  # cleaned; None when the row has problems
    problems: list[Problem]
    slug: str  # the row's slug when it is a valid one, even if other cells have problems; else ""
    version: int | None = None  # the vendor's version the row was exported at; None: not given


def _records(open_text: Callable[[], IO[str]], checked: Checked) -> Iterator[_Row]:
    """Each data row, cleaned or with its problems; header problems go into `checked`."""
    with open_text() as stream:
        csv.field_size_limit(CSV_FIELD_LIMIT)  # the limit is the whole process's, so set it at each use
        reader = csv.reader(stream)
        try:
            header = next(reader, None)
            if not _check_header(header, reader, checked):
                return
            columns = [_heading(column) for column in header]
            line = reader.line_num + 1
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield _row(line, columns, cells)
                line = reader.line_num + 1
        except csv.Error as error:
            checked.add(Problem(reader.line_num, "", f"cannot be read as CSV ({error})"))


def _check_header(header: list[str] | None, rows: Iterator[list[str]], checked: Checked) -> bool:
    """Whether the header names every column once; its problems go into `checked`. Reads on from the header
    in `rows` only when the first line is blank, to tell an empty file from a missing header."""
    if header is None or not any(heading.strip() for heading in header):
        if header is None or not any(cell.strip() for cells in rows for cell in cells):
            checked.add(Problem(1, "", "the file is empty: the first line must name the columns"))
        else:
            checked.add(Problem(1, "", "the first line is empty: it must name the columns"))
        return False
    if any(_UNDECODABLE.search(heading) or "\x00" in heading for heading in header):
        # UTF-16 (Excel's "Unicode Text") reads as NULs between the letters.
        checked.add(Problem(1, "", "the first line is not UTF-8 text (save the file as CSV UTF-8)"))
        return False
    if len(header) == 1 and ";" in header[0]:
        # Excel saves "CSV" with semicolons where the decimal separator is a comma; every heading would
        # otherwise be reported unknown or missing, without a word about the cause.
        message = (
            'the columns are separated by ";" but must be separated by ","; '
            'a spreadsheet set to use a decimal comma saves CSV files with ";"'
        )
        checked.add(Problem(1, "", message))
        return False
    columns = [_heading(column) for column in header]
    for position, column in enumerate(columns):
        if not column:
            checked.add(Problem(1, "", "a column has no heading: remove the empty column or name it"))
        elif column not in COLUMN_FIELDS and column != VERSION_COLUMN:
            message = f"unknown column; the columns are {', '.join(COLUMNS)}, and {VERSION_COLUMN} if wanted"
            checked.add(Problem(1, column, message))
        elif column in columns[:position]:
            checked.add(Problem(1, column, "appears more than once"))
    for column in COLUMNS:
        if column not in columns:
            checked.add(Problem(1, column, "missing column"))
    return not checked.problems


def _heading(text: str) -> str:
    """A column heading as the columns are named: in any case, without spaces around it and without
    characters that cannot be seen, such as the second byte order mark of a file saved with two."""
    return "".join(character for character in text if unicodedata.category(character) != "Cf").strip().lower()


def _row(line: int, columns: list[str], cells: list[str]) -> _Row:
    """The row cleaned, or its problems; its slug when that is valid (even if other cells are not)."""
    if len(cells) != len(columns):
        return _Row(
            line,
            None,
            [Problem(line, "", f"has {len(cells)} cells; the header names {len(columns)} columns")],
            "",
        )
    version, version_problems = None, []
    if VERSION_COLUMN in columns:
        cells = list(cells)
        version_cell = cells.pop(columns.index(VERSION_COLUMN)).strip()
        columns = [column for column in columns if column != VERSION_COLUMN]
        version = digits_up_to(version_cell, MAX_ROW_ID) or None
        if version_cell and version is None:
            version_problems = [Problem(line, VERSION_COLUMN, VERSION_PROBLEM)]
    record, problems, slug = _record(line, columns, cells)
    problems = version_problems + problems
    return _Row(line, None if problems else record, problems, slug, version)


VERSION_PROBLEM = "must be the version an export wrote (a whole number from 1), or empty"


def _record(line: int, columns: list[str], cells: list[str]) -> tuple[dict | None, list[Problem], str]:
    """The record cleaned, its problems, and its slug when that is valid (even if other cells are not)."""
    unreadable = [
        Problem(line, column, why)
        for column, cell in zip(columns, cells, strict=True)
        if (why := _why_unreadable(cell))
    ]
    if unreadable:
        return None, unreadable, ""
    raw = {COLUMN_FIELDS[column]: restore(cell) for column, cell in zip(columns, cells, strict=True)}
    for field_name in FACET_FIELDS:
        raw[field_name] = [item.strip() for item in raw[field_name].split(LIST_SEPARATOR) if item.strip()]
    try:
        cleaned = parse_record(raw)
    except RecordError as error:
        problems = [
            Problem(line, FIELD_COLUMNS[field_name], message)
            for field_name, message in error.problems.items()
        ]
        return None, problems, "" if "slug" in error.problems else error.slug
    return cleaned, [], cleaned["slug"]


def _why_unreadable(cell: str) -> str:
    """Why a cell cannot be stored as text; "" when it can."""
    # Said before the rules see the value, as their messages may quote all of it; measured as they measure.
    if (length := len(restore(cell).strip())) > LONGEST_TEXT:
        return f"is {length:,} characters long; no column takes more than {LONGEST_TEXT:,}"
    if _UNDECODABLE.search(cell):
        return "is not UTF-8 text (save the file as UTF-8)"
    if "\x00" in cell:
        return "holds a NUL character, which no text can hold here: remove it"
    return ""


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Bytes that are not UTF-8 are read as lone surrogates (errors="surrogateescape"), so reading never stops at
# them: each cell holding one is reported with its line and column, and the rest of the file is still checked.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def text_of(data: bytes) -> Callable[[], IO[str]]:
    """An opener for check() and apply() over bytes already in memory (an upload)."""
    return lambda: io.TextIOWrapper(
        io.BytesIO(data), encoding="utf-8-sig", errors="surrogateescape", newline=""
    )


def text_at(path: str) -> Callable[[], IO[str]]:
    """An opener for check() and apply() over a file on disk."""
    return lambda: open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")
