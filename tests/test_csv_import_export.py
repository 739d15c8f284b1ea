"""`flask vendors import|export`: CSV files of the directory, checked whole before anything is written."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import load_sample_data
from tests.factories import (
    TEST_ACTOR,
    add_user,
    add_vendors,
    delete_vendor,
    login,
    post_form,
    update_vendor,
    vendor_record,
)
from vendors import search
from vendors.audit import AuditEntry
from vendors.catalog import csvfiles
from vendors.catalog.models import Vendor
from vendors.extensions import db
from vendors.search import indexing

HEADER = ",".join(csvfiles.COLUMNS)


def row(**cells) -> dict:
    """A valid CSV row as a dict of column -> cell text."""
    base = {
        "slug": "",
        "name": "Lakeside Contact",
        "tagline": "Customer care from Manila",
        "website": "https://lakeside.example",
        "email": "hello@lakeside.example",
        "hq_country": "PH",
        "delivery_countries": "PH;IN",
        "founded_year": "2015",
        "employees": "240",
        "hourly_rate_min": "8.50",
        "hourly_rate_max": "12",
        "min_seats": "",
        "specialisations": "customer-support;sales",
        "channels": "voice;chat",
        "languages": "en;tl",
        "certifications": "iso-27001",
        "coverage": "24-7",
        "description": "Support teams.",
        "status": "",
        "verified_at": "2026-10-01",
    }
    return base | cells


def csv_text(*rows: dict, columns=csvfiles.COLUMNS, newline="\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column.lower(), "") for column in columns])
    return buffer.getvalue()


def import_file(runner, tmp_path, text: str | bytes, *options, name="vendors.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return runner.invoke(args=["vendors", "import", str(path), *options])


def summary(result) -> str:
    return result.output.strip().splitlines()[-1]


def count_vendors() -> int:
    return db.session.scalar(select(func.count()).select_from(Vendor))


def export_text(runner, *options) -> str:
    result = runner.invoke(args=["vendors", "export", "-", *options])
    assert result.exit_code == 0, result.output
    return result.stdout


def without_versions(exported: str) -> str:
    """The export with its version cells emptied: importing it overwrites whatever was saved since."""
    rows = list(csv.reader(io.StringIO(exported)))
    at = rows[0].index(csvfiles.VERSION_COLUMN)
    for cells in rows[1:]:
        cells[at] = ""
    emptied = io.StringIO()
    csv.writer(emptied, lineterminator="\r\n").writerows(rows)
    return emptied.getvalue()


# ------------------------------------------------------------------------------------------ import
def test_a_good_file_adds_and_updates_and_says_what_it_did(runner, tmp_path):
    [existing] = add_vendors(vendor_record(slug="lakeside-contact", tagline="Before the import"))
    text = csv_text(
        row(slug="lakeside-contact"), row(name="Mountain Ledger", specialisations="finance-accounting")
    )

    result = import_file(runner, tmp_path, text)

    assert result.exit_code == 0, result.output
    assert summary(result) == "Imported vendors.csv: 1 added, 1 updated, 0 unchanged, 0 rejected."
    db.session.expire_all()
    updated = db.session.get(Vendor, existing.id)
    assert updated.tagline == "Customer care from Manila"
    assert updated.delivery_countries == ["PH", "IN"]
    assert updated.hourly_rate_max == 12
    assert updated.status == "published"  # an empty status means published
    added = db.session.scalar(
        select(Vendor).where(Vendor.slug == "mountain-ledger")
    )  # slug made from the name
    assert added is not None and added.specialisations == ["finance-accounting"]
    notes = set(db.session.scalars(select(AuditEntry.note)))
    assert "import of vendors.csv" in notes
    actors = set(
        db.session.scalars(select(AuditEntry.actor).where(AuditEntry.note == "import of vendors.csv"))
    )
    assert all(actor.startswith("flask vendors import") for actor in actors)


def test_every_bad_row_is_reported_with_line_and_column_and_nothing_is_written(runner, tmp_path):
    add_vendors(vendor_record(slug="kept-as-is", tagline="Untouched"))
    text = csv_text(
        row(slug="kept-as-is", tagline="Would change"),  # line 2: fine on its own
        row(slug="bad-country", hq_country="XX"),  # line 3
        row(slug="bad-rates", hourly_rate_min="20", hourly_rate_max="10", employees="lots"),  # line 4
        row(slug="bad-language", languages="en;klingon"),  # line 5
        row(slug="kept-as-is", name="Twice"),  # line 6: the slug again
        row(slug="bad-country", name="Again"),  # line 7: the slug of a row with problems of its own
    )

    result = import_file(runner, tmp_path, text)

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "line 3, column hq_country: 'XX' is not a known ISO 3166-1 alpha-2 country code" in lines
    assert any(line.startswith("line 4, column employees:") for line in lines)
    assert any(line.startswith("line 4, column hourly_rate_max:") for line in lines)
    assert any(line.startswith("line 5, column languages:") and "klingon" in line for line in lines)
    assert "line 6, column slug: 'kept-as-is' is also on line 2" in lines
    assert "line 7, column slug: 'bad-country' is also on line 3" in lines
    assert "0 added, 0 updated, 0 unchanged, 5 rejected" in result.output
    assert "Nothing was written" in result.output
    db.session.expire_all()
    assert count_vendors() == 1
    assert db.session.scalar(select(Vendor.tagline)) == "Untouched"


def test_unknown_and_missing_columns_are_reported(runner, tmp_path):
    columns = [column for column in csvfiles.COLUMNS if column != "employees"] + ["rating"]
    result = import_file(runner, tmp_path, csv_text(row(), columns=columns))

    assert result.exit_code != 0
    assert any(
        line.startswith("line 1, column rating: unknown column") for line in result.output.splitlines()
    )
    assert "line 1, column employees: missing column" in result.output
    assert count_vendors() == 0


def test_columns_may_come_in_any_order_and_any_case(runner, tmp_path):
    columns = tuple(column.upper() for column in reversed(csvfiles.COLUMNS))
    result = import_file(runner, tmp_path, csv_text(row(name="Backwards Partners"), columns=columns))
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Vendor.name)) == "Backwards Partners"


def test_a_renamed_vendors_former_slug_is_reported_not_added_again(runner, tmp_path):
    """An export made before a rename must not bring the old vendor back beside the renamed one."""
    [vendor] = add_vendors(vendor_record(slug="acme"))
    exported = export_text(runner)
    update_vendor(vendor.id, slug="acme-bpo")

    result = import_file(runner, tmp_path, exported)

    assert result.exit_code == 1
    assert "line 2, column slug: 'acme' is a former slug of 'acme-bpo', which it leads to" in result.output
    assert "deleted since" not in result.output, "renamed, not deleted"
    assert count_vendors() == 1


def test_problems_are_listed_in_the_files_order_whichever_check_found_them(runner, tmp_path):
    """A cell's problem is found as its row is read, a former slug's once the rows are: line 2 still comes
    first."""
    [renamed, _] = add_vendors(vendor_record(slug="acme"), vendor_record(slug="zulu-desk", employees=40))
    exported = export_text(runner)
    update_vendor(renamed.id, slug="acme-bpo")
    lines = exported.splitlines(keepends=True)
    lines[2] = lines[2].replace(",40,", ",0,", 1)  # zulu-desk's employees
    result = import_file(runner, tmp_path, "".join(lines))
    reported = [int(line) for line in re.findall(r"line (\d+), column", result.output)]
    assert reported == sorted(reported) and set(reported) == {2, 3}, result.output


def test_a_large_import_is_searchable_as_soon_as_the_command_ends(app, runner, tmp_path, monkeypatch):
    """More changes than a search catches up with on its own: the command brings the index up to date."""
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 1)
    rows = [row(name=f"Quorvath Partner {number}", description="Quorvath teams.") for number in range(4)]
    result = import_file(runner, tmp_path, csv_text(*rows))
    assert result.exit_code == 0, result.output
    status = indexing.status(db.engine, app.config["SEARCH_INDEX_DIR"])
    assert (status.documents, status.pending) == (4, 0)
    with app.test_request_context():
        match = search.find("quorvath")
        assert match.from_index and len(match.ids) == 4


def test_an_empty_column_heading_is_reported(runner, tmp_path):
    result = import_file(runner, tmp_path, csv_text(row(), columns=(*csvfiles.COLUMNS, "")))
    assert "line 1: a column has no heading" in result.output
    assert count_vendors() == 0


def test_values_are_read_leniently_where_the_meaning_is_plain(runner, tmp_path):
    text = csv_text(row(delivery_countries="ph; In", languages="EN;Tl", status="Draft", coverage=" 24-7 "))
    result = import_file(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    vendor = db.session.scalar(select(Vendor))
    assert (vendor.delivery_countries, vendor.languages) == (["PH", "IN"], ["en", "tl"])
    assert (vendor.status, vendor.coverage) == ("draft", "24-7")


def test_rows_with_too_many_or_too_few_cells_are_reported(runner, tmp_path):
    text = HEADER + "\n" + ",".join(["x"] * 3) + "\n"
    result = import_file(runner, tmp_path, text)
    assert result.exit_code != 0
    assert "line 2: has 3 cells; the header names 20 columns" in result.output


def test_line_numbers_count_the_lines_of_the_file_not_the_rows(runner, tmp_path):
    text = csv_text(
        row(name="Multi Line", description="First paragraph.\n\nSecond paragraph."),
        row(name="Broken", employees="0"),
    )
    result = import_file(runner, tmp_path, text)
    assert "line 5, column employees: must be between 1 and 10000000" in result.output


def test_byte_order_mark_and_windows_line_endings_are_accepted(runner, tmp_path):
    text = csv_text(row(name="Windows Made"), newline="\r\n")
    result = import_file(runner, tmp_path, "\ufeff".encode() + text.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Vendor.slug)) == "windows-made"


@pytest.mark.parametrize(
    "unseen", ["\ufeff", "\u200b", "\u2060"], ids=["second BOM", "zero-width space", "joiner"]
)
def test_headings_are_read_without_characters_that_cannot_be_seen(runner, tmp_path, unseen):
    """A file saved with two byte order marks, or headings pasted with a zero-width character: the column is
    the one it looks like, not an unknown one beside a missing one."""
    header, _, rows = csv_text(row(name="Twice Marked")).partition("\n")
    marked = header.replace("name", f"na{unseen}me").replace("tagline", f"{unseen}tagline")
    result = import_file(runner, tmp_path, ("\ufeff" + unseen + marked + "\n" + rows).encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Vendor.name)) == "Twice Marked"


def test_text_that_is_not_utf8_is_reported_at_its_line_and_column(runner, tmp_path):
    text = csv_text(
        row(name="Plain Ascii"), row(name="Bogotá Centro"), row(name="Also Fine"), row(tagline="Señor Café")
    ).encode("latin-1")
    result = import_file(runner, tmp_path, text)
    assert result.exit_code == 1
    assert "line 3, column name: is not UTF-8 text (save the file as UTF-8)" in result.output
    assert "line 5, column tagline: is not UTF-8 text (save the file as UTF-8)" in result.output
    assert count_vendors() == 0


NOT_UTF8_HEADERS = {
    "UTF-16, as Excel's Unicode Text": lambda text: text.encode("utf-16"),
    "a byte that is not UTF-8 in a heading": lambda text: text.replace("tagline", "tag\udcffline", 1).encode(
        "utf-8", "surrogateescape"
    ),
    "a NUL in a heading": lambda text: text.replace("name", "na\x00me", 1).encode(),
}


@pytest.mark.parametrize("encode", NOT_UTF8_HEADERS.values(), ids=NOT_UTF8_HEADERS.keys())
def test_a_first_line_that_is_not_utf8_text_is_reported_once_and_nothing_is_imported(
    runner, tmp_path, encode
):
    result = import_file(runner, tmp_path, encode(csv_text(row(name="Never Imported"))))
    assert result.exit_code == 1
    assert "line 1: the first line is not UTF-8 text (save the file as CSV UTF-8)" in result.output
    assert "\udcff" not in result.output and "unknown column" not in result.output
    assert count_vendors() == 0


def test_a_nul_or_a_stray_byte_in_any_cell_is_reported_at_its_line_and_column(runner, tmp_path):
    text = csv_text(
        row(slug="fine-one"),
        row(slug="nul\x00slug"),  # line 3
        row(slug="fine-two", name="Nul\x00 Name"),  # line 4
        row(slug="byte\udcffslug"),  # line 5
        row(slug="fine-one", name="Again"),  # line 6: a duplicate is still found
    ).encode("utf-8", "surrogateescape")
    result = import_file(runner, tmp_path, text)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "line 3, column slug: holds a NUL character, which no text can hold here: remove it" in lines
    assert "line 4, column name: holds a NUL character, which no text can hold here: remove it" in lines
    assert "line 5, column slug: is not UTF-8 text (save the file as UTF-8)" in lines
    assert "line 6, column slug: 'fine-one' is also on line 2" in lines
    assert count_vendors() == 0


def test_optional_numbers_left_as_spaces_are_left_empty(runner, tmp_path):
    result = import_file(runner, tmp_path, csv_text(row(name="Spaced Out", founded_year="  ", min_seats=" ")))
    assert result.exit_code == 0, result.output
    saved = db.session.scalar(select(Vendor).where(Vendor.slug == "spaced-out"))
    assert (saved.founded_year, saved.min_seats) == (None, None)


def test_an_empty_file_is_refused(runner, tmp_path):
    result = import_file(runner, tmp_path, "")
    assert result.exit_code != 0
    assert "the file is empty" in result.output


@pytest.mark.parametrize("blank", ["\n", "\r\n", " \n\n"])
def test_a_file_of_blank_lines_is_refused_as_empty(runner, tmp_path, blank):
    result = import_file(runner, tmp_path, blank)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "line 1: the file is empty: the first line must name the columns"
    assert "missing column" not in result.output and "no heading" not in result.output


def test_a_blank_first_line_before_the_columns_is_reported_once(runner, tmp_path):
    result = import_file(runner, tmp_path, "\n" + csv_text(row()))
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "line 1: the first line is empty: it must name the columns"
    assert "missing column" not in result.output


def test_a_column_named_twice_is_reported_once(runner, tmp_path):
    result = import_file(runner, tmp_path, csv_text(row(), columns=(*csvfiles.COLUMNS, "Name")))
    assert result.exit_code == 1
    assert result.output.count("appears more than once") == 1
    assert "line 1, column name: appears more than once" in result.output
    assert count_vendors() == 0


def test_a_file_separated_by_semicolons_is_told_to_use_commas(runner, tmp_path):
    """As a spreadsheet set to use a decimal comma (much of Europe) saves "CSV"."""
    semicolons = csv_text(row(), row(name="Second One")).replace(",", ";")

    result = import_file(runner, tmp_path, semicolons)

    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        'line 1: the columns are separated by ";" but must be separated by ","; '
        'a spreadsheet set to use a decimal comma saves CSV files with ";"'
    )
    assert "unknown column" not in result.output and "missing column" not in result.output
    assert count_vendors() == 0


def test_numbers_and_dates_are_read_only_in_the_form_the_columns_name(runner, tmp_path):
    today = datetime.now(UTC).date()
    text = csv_text(
        row(slug="grouped", employees="1_000", founded_year="\uff12\uff10\uff11\uff10"),  # line 2
        row(slug="exponent", hourly_rate_min="1e1", hourly_rate_max="1_2"),  # line 3
        row(slug="week-date", verified_at="2026-W01-1"),  # line 4
        row(slug="basic-date", verified_at="20261201"),  # line 5
        row(slug="far-ahead", verified_at="2999-01-01"),  # line 6
        row(slug="just-ahead", verified_at=(today + timedelta(days=2)).isoformat()),  # line 7
        row(slug="today", verified_at=today.isoformat()),  # line 8: fine
    )

    result = import_file(runner, tmp_path, text)

    assert result.exit_code == 1
    lines = result.output.splitlines()
    whole_number = "is not a whole number: use the digits 0-9 only, with no separators"
    amount = "is not an amount in USD: use the digits 0-9 and a decimal point only, e.g. 12.50"
    assert f"line 2, column employees: '1_000' {whole_number}" in lines
    assert f"line 2, column founded_year: '\uff12\uff10\uff11\uff10' {whole_number}" in lines
    assert f"line 3, column hourly_rate_min: '1e1' {amount}" in lines
    assert f"line 3, column hourly_rate_max: '1_2' {amount}" in lines
    assert "line 4, column verified_at: '2026-W01-1' is not a date (YYYY-MM-DD)" in lines
    assert "line 5, column verified_at: '20261201' is not a date (YYYY-MM-DD)" in lines
    after_today = "is after today: give the day the details were last checked"
    assert f"line 6, column verified_at: '2999-01-01' {after_today}" in lines
    assert f"line 7, column verified_at: '{today + timedelta(days=2)}' {after_today}" in lines
    assert not any(line.startswith("line 8") for line in lines)
    assert count_vendors() == 0


def over_long_cell_file() -> str:
    return csv_text(
        row(slug="bad-country", hq_country="ZZ"),  # line 2
        row(slug="long-story", description="x" * 140_000),  # line 3: beyond the csv module's own limit
        row(slug="other-country", hq_country="QQ"),  # line 4
        row(slug="fine"),  # line 5
    )


def test_every_row_after_an_over_long_cell_is_still_checked(runner, tmp_path):
    result = import_file(runner, tmp_path, over_long_cell_file())

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "line 2, column hq_country: 'ZZ' is not a known ISO 3166-1 alpha-2 country code" in lines
    assert "line 3, column description: is 140,000 characters long; no column takes more than 5,000" in lines
    assert "line 4, column hq_country: 'QQ' is not a known ISO 3166-1 alpha-2 country code" in lines
    assert not any("cannot be read as CSV" in line for line in lines)
    assert "0 added, 0 updated, 0 unchanged, 3 rejected" in result.output
    assert csvfiles.check(csvfiles.text_of(over_long_cell_file().encode())).rows == 4
    assert count_vendors() == 0


def test_the_browser_report_counts_every_row_of_a_file_with_an_over_long_cell(client):
    add_user("importer@example.com", role="editor")
    login(client, "importer@example.com")
    upload = {"file": (io.BytesIO(over_long_cell_file().encode()), "vendors.csv")}

    report = post_form(client, "/admin/import", upload, token_from="/admin/import")
    report.request.environ["wsgi.input"].close()  # the test client spools a large body to a file

    assert report.status_code == 422
    page = report.get_data(as_text=True)
    assert "vendors.csv: 4 rows" in page
    assert "3 problems in 3 lines" in page
    assert "<td>4</td><td>hq_country</td>" in page


def test_the_longest_descriptions_survive_export_then_import(runner, tmp_path):
    """The cell-length check measures a value as the rules do: without the quote that neutralises a formula
    and without spaces around it."""
    formula, plain = "=" + "y" * 4999, "z" * 5000
    vendors = add_vendors(
        vendor_record(slug="formula", description=formula), vendor_record(slug="plain", description=plain)
    )
    exported = without_versions(export_text(runner).replace(plain, f"  {plain} "))
    for vendor in vendors:
        update_vendor(vendor.id, description="Changed meanwhile")

    result = import_file(runner, tmp_path, exported)

    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(select(Vendor.description))) == [formula, plain]


def test_a_dry_run_counts_the_changes_and_writes_nothing(runner, tmp_path):
    add_vendors(vendor_record(slug="lakeside-contact"))
    result = import_file(
        runner, tmp_path, csv_text(row(slug="lakeside-contact"), row(name="New One")), "--dry-run"
    )

    assert result.exit_code == 0, result.output
    assert (
        summary(result)
        == "Dry run, nothing written vendors.csv: 1 added, 1 updated, 0 unchanged, 0 rejected."
    )
    assert count_vendors() == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1  # the factory's creation


def test_imported_vendors_are_searchable_at_once(app, runner, tmp_path):
    result = import_file(
        runner, tmp_path, csv_text(row(name="Quillfeather Billing", description="Medical billing."))
    )
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        assert len(search.find("quillfeather").ids) == 1


def test_progress_is_shown_for_large_files(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(csvfiles, "PROGRESS_EVERY", 2)
    rows = [row(name=f"Vendor Number {number}") for number in range(5)]
    result = import_file(runner, tmp_path, csv_text(*rows))
    assert result.exit_code == 0, result.output
    assert "checked 2 rows" in result.output and "checked 4 rows" in result.output


# ------------------------------------------------------------------------------------------ export
def test_export_then_import_changes_nothing_and_says_so(app, runner, tmp_path):
    load_sample_data()
    exported = tmp_path / "all.csv"
    result = runner.invoke(args=["vendors", "export", str(exported)])
    total = count_vendors()
    assert result.exit_code == 0, result.output
    assert summary(result) == f"Exported {total} vendors to {exported}."
    assert exported.read_bytes().startswith("\ufeffslug,name,".encode())  # spreadsheets then read UTF-8
    audited = db.session.scalar(select(func.count()).select_from(AuditEntry))

    result = runner.invoke(args=["vendors", "import", str(exported)])

    assert result.exit_code == 0, result.output
    assert summary(result) == (
        f"Imported all.csv: 0 added, 0 updated, {total} unchanged, 0 rejected. "
        "Nothing changed: every row matches the directory."
    )
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audited


def test_export_lists_every_status_or_only_the_one_asked_for(runner):
    add_vendors(
        vendor_record(slug="shown"),
        vendor_record(slug="drafted", status="draft"),
        vendor_record(slug="old", status="archived"),
    )

    every = list(csv.DictReader(io.StringIO(export_text(runner))))
    published = list(csv.DictReader(io.StringIO(export_text(runner, "--status", "published"))))

    assert [line["slug"] for line in every] == ["drafted", "old", "shown"]
    assert [line["slug"] for line in published] == ["shown"]
    assert list(every[0]) == [*csvfiles.COLUMNS, "version"]
    assert [line["version"] for line in every] == ["1", "1", "1"]


def test_export_writes_lists_dates_and_amounts_as_the_import_reads_them(runner):
    add_vendors(
        vendor_record(slug="full", delivery_countries=["PH", "CO"], languages=["en", "es"], min_seats=None)
    )
    [line] = csv.DictReader(io.StringIO(export_text(runner)))
    assert line["delivery_countries"] == "PH;CO"
    assert line["languages"] == "en;es"
    assert (line["hourly_rate_min"], line["verified_at"], line["min_seats"]) == ("9.00", "2026-06-01", "")


def test_formulas_are_neutralised_on_export_and_restored_on_import(runner, tmp_path):
    [vendor] = add_vendors(
        vendor_record(
            slug="formulas",
            name='=HYPERLINK("http://evil.example")',
            tagline="+1 555 0100 support line",
            description="-- dashes first\n@mention later",
        )
    )
    exported = export_text(runner)
    [line] = csv.DictReader(io.StringIO(exported))
    assert line["name"] == '\'=HYPERLINK("http://evil.example")'
    assert line["tagline"].startswith("'+")
    assert line["description"].startswith("'-")

    update_vendor(vendor.id, name="Changed Meanwhile")
    result = import_file(runner, tmp_path, without_versions(exported))

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    restored = db.session.get(Vendor, vendor.id)
    assert restored.name == '=HYPERLINK("http://evil.example")'
    assert restored.tagline == "+1 555 0100 support line"


@given(st.text(max_size=20))
def test_neutralise_then_restore_gives_back_any_text(text):
    neutral = csvfiles.neutralise(text)
    assert not neutral.startswith(csvfiles.FORMULA_STARTS)
    assert csvfiles.restore(neutral) == text


def test_a_quote_typed_before_ordinary_text_is_kept():
    assert csvfiles.restore("'quoted") == "'quoted"


# ------------------------------------------------------------------------------------------ versions
def test_an_old_export_does_not_undo_what_was_saved_after_it(runner, tmp_path):
    [vendor] = add_vendors(vendor_record(slug="lakeside-contact", name="Lakeside", tagline="At export"))
    exported = export_text(runner).replace("Lakeside", "Lakeside Contact")  # the person's own change
    update_vendor(vendor.id, tagline="Saved after the export")

    result = import_file(runner, tmp_path, exported)

    assert result.exit_code == 1
    assert (
        "line 2, column version: 'lakeside-contact' has changed since this row was exported "
        "(version 1 then, 2 now)"
    ) in result.output
    assert "0 added, 0 updated, 0 unchanged, 1 rejected" in result.output
    db.session.expire_all()
    kept = db.session.get(Vendor, vendor.id)
    assert (kept.name, kept.tagline, kept.version) == ("Lakeside", "Saved after the export", 2)

    again = import_file(runner, tmp_path, export_text(runner).replace("Lakeside", "Lakeside Contact"))

    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert (kept.name, kept.tagline) == ("Lakeside Contact", "Saved after the export")


def test_a_row_saved_since_but_matching_its_vendor_changes_nothing_and_is_no_problem(runner, tmp_path):
    [vendor] = add_vendors(vendor_record(slug="lakeside-contact", tagline="Before"))
    exported = export_text(runner)
    update_vendor(vendor.id, tagline="In between")
    update_vendor(vendor.id, tagline="Before")

    result = import_file(runner, tmp_path, exported)

    assert result.exit_code == 0, result.output
    assert "0 added, 0 updated, 1 unchanged, 0 rejected" in summary(result)


def test_an_empty_version_overwrites_and_a_file_without_the_column_is_taken_as_before(runner, tmp_path):
    [vendor] = add_vendors(vendor_record(slug="lakeside-contact", tagline="At export"))
    exported = export_text(runner).replace("At export", "From the file")
    update_vendor(vendor.id, tagline="Saved after the export")

    emptied = import_file(runner, tmp_path, without_versions(exported))
    no_column = import_file(runner, tmp_path, csv_text(row(slug="lakeside-contact", tagline="No column")))

    assert emptied.exit_code == 0, emptied.output
    assert no_column.exit_code == 0, no_column.output
    db.session.expire_all()
    assert db.session.get(Vendor, vendor.id).tagline == "No column"


@pytest.mark.parametrize("cell", ["two", "0", "1.0", "-1", "\u0661", "1_0", "2147483648", "9" * 5000])
def test_a_version_must_be_a_whole_number_from_one_or_empty(runner, tmp_path, cell):
    text = csv_text(row(version=cell), row(name="Other", version=""), columns=csvfiles.EXPORTED_COLUMNS)

    result = import_file(runner, tmp_path, text)

    assert result.exit_code == 1
    assert f"line 2, column version: {csvfiles.VERSION_PROBLEM}" in result.output
    assert "line 3" not in result.output
    assert count_vendors() == 0


def test_a_vendor_saved_between_the_check_and_the_import_is_not_overwritten(runner, tmp_path):
    [vendor] = add_vendors(vendor_record(slug="lakeside-contact", tagline="At export"))
    path = tmp_path / "vendors.csv"
    path.write_text(export_text(runner).replace("At export", "From the file"), encoding="utf-8")
    opener = csvfiles.text_at(str(path))
    checked = csvfiles.check(opener)
    assert not checked.problems
    update_vendor(vendor.id, name="Saved after the check")

    with pytest.raises(csvfiles.FileRejected) as rejected:
        csvfiles.apply(opener, TEST_ACTOR, note="test", checked=checked)

    [problem] = rejected.value.checked.problems
    assert (problem.line, problem.column) == (2, "version")
    db.session.expire_all()
    kept = db.session.get(Vendor, vendor.id)
    assert (kept.name, kept.tagline) == ("Saved after the check", "At export")


# ------------------------------------------------------------------------------------------ counting
def test_a_check_that_counts_gives_what_a_dry_run_gives_in_one_pass(app, tmp_path):
    add_vendors(vendor_record(slug="lakeside-contact", tagline="Before"), vendor_record(slug="harbour-care"))
    rows = [row(slug="lakeside-contact", tagline="After"), row(name="New One"), row(name="Newer One")]
    unchanged = csvfiles.row_of(csvfiles.stored_records(Vendor.slug == "harbour-care").__next__().record)
    path = tmp_path / "vendors.csv"
    path.write_text(csv_text(*rows) + ",".join(unchanged) + "\n", encoding="utf-8")
    opener = csvfiles.text_at(str(path))

    checked = csvfiles.check(opener, count=True)
    dry_run = csvfiles.apply(opener, TEST_ACTOR, note="", checked=checked, dry_run=True)

    assert checked.preview == dry_run == csvfiles.Applied(added=2, updated=1, unchanged=1)
    assert csvfiles.check(opener).preview is None  # only when asked


def test_a_check_that_counts_has_no_count_for_a_file_with_problems(app):
    text = csv_text(row(name="Fine"), row(name="Broken", hq_country="XX"))

    checked = csvfiles.check(csvfiles.text_of(text.encode()), count=True)

    assert [problem.line for problem in checked.problems] == [3]
    assert checked.preview is None


def test_a_check_past_its_deadline_stops_at_the_end_of_a_chunk(app, monkeypatch):
    text = csv_text(*(row(name=f"Vendor {number}") for number in range(csvfiles.CHUNK + 10)))
    monkeypatch.setattr(csvfiles, "time", SimpleNamespace(monotonic=lambda: 100.0))

    with pytest.raises(csvfiles.TooLongToCheck) as stopped:
        csvfiles.check(csvfiles.text_of(text.encode()), deadline=99.0)

    assert stopped.value.rows == csvfiles.CHUNK
    assert csvfiles.check(csvfiles.text_of(text.encode()), deadline=101.0).rows == csvfiles.CHUNK + 10


def test_a_check_looks_up_former_slugs_chunk_by_chunk_within_its_deadline(app, monkeypatch):
    """Each look-up moves the clock on by 10 s: past a deadline 5 s away after the first chunk's."""
    text = csv_text(*(row(name=f"Vendor {number}") for number in range(2 * csvfiles.CHUNK + 10)))
    clock = SimpleNamespace(now=100.0, looked_up=[])
    looked_up = csvfiles.former_slugs

    def slow_former_slugs(slugs):
        clock.now += 10
        clock.looked_up.append(len(slugs))
        return looked_up(slugs)

    monkeypatch.setattr(csvfiles, "former_slugs", slow_former_slugs)
    monkeypatch.setattr(csvfiles, "time", SimpleNamespace(monotonic=lambda: clock.now))

    with pytest.raises(csvfiles.TooLongToCheck) as stopped:
        csvfiles.check(csvfiles.text_of(text.encode()), deadline=105.0)

    assert (stopped.value.rows, clock.looked_up) == (csvfiles.CHUNK, [csvfiles.CHUNK])


def test_an_old_export_does_not_bring_back_a_vendor_deleted_after_it(runner, tmp_path):
    [vendor] = add_vendors(vendor_record(slug="lakeside-contact"))
    exported = export_text(runner)
    delete_vendor(vendor.id)

    result = import_file(runner, tmp_path, exported)
    emptied = import_file(runner, tmp_path, without_versions(exported))

    assert result.exit_code == 1
    assert (
        "line 2, column version: no vendor has the slug 'lakeside-contact' any more, though the row was "
        "exported from one (at version 1)"
    ) in result.output
    assert emptied.exit_code == 0, emptied.output  # an empty version adds it again, as a new vendor
    assert "1 added" in summary(emptied)


def test_a_vendor_deleted_between_the_check_and_the_import_is_not_brought_back(runner, tmp_path):
    [vendor] = add_vendors(vendor_record(slug="lakeside-contact"))
    path = tmp_path / "vendors.csv"
    path.write_text(export_text(runner), encoding="utf-8")
    opener = csvfiles.text_at(str(path))
    checked = csvfiles.check(opener)
    delete_vendor(vendor.id)

    with pytest.raises(csvfiles.FileRejected) as rejected:
        csvfiles.apply(opener, TEST_ACTOR, note="test", checked=checked)

    assert [problem.column for problem in rejected.value.checked.problems] == ["version"]
    assert count_vendors() == 0
