"""Listings share the vendors they show (vendors.directory.query.listed_vendors): each vendor is read once per
change-log position and process, and an edit is shown on every listing at once."""

from contextlib import contextmanager

from sqlalchemy import event

from tests.factories import add_vendors, delete_vendor, update_vendor, vendor_record
from vendors.directory import query
from vendors.directory.query import listed_vendors
from vendors.extensions import db


@contextmanager
def vendor_reads():
    """The ids each SELECT of the vendors table asked for, in order."""
    asked: list[set[int]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM vendors" in statement:
            values = parameters.values() if isinstance(parameters, dict) else parameters
            asked.append({value for value in values if isinstance(value, int)})

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield asked
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_a_second_listing_reads_only_the_vendors_the_first_did_not_show(app):
    first, second, third = (vendor.id for vendor in add_vendors(*(vendor_record() for _ in range(3))))

    with vendor_reads() as asked:
        listed_vendors([first, second])
        shown = listed_vendors([second, first, third])

    assert asked == [{first, second}, {third}]
    assert sorted(shown) == sorted([first, second, third])


def test_vendors_shown_again_are_not_read_at_all(app):
    ids = [vendor.id for vendor in add_vendors(*(vendor_record() for _ in range(4)))]
    listed_vendors(ids)

    with vendor_reads() as asked:
        again = listed_vendors(list(reversed(ids)))

    assert asked == []
    assert {vendor_id: vendor.id for vendor_id, vendor in again.items()} == {i: i for i in ids}


def test_an_edit_is_shown_by_the_next_listing_with_its_attribute_rows(app):
    [vendor] = add_vendors(vendor_record(name="Old Name", languages=["en"]))
    assert listed_vendors([vendor.id])[vendor.id].name == "Old Name"

    update_vendor(vendor.id, name="New Name", languages=["en", "fr"])

    edited = listed_vendors([vendor.id])[vendor.id]
    assert (edited.name, edited.languages) == ("New Name", ["en", "fr"])


def test_a_deleted_vendor_is_no_longer_given(app):
    kept, deleted = (vendor.id for vendor in add_vendors(vendor_record(), vendor_record()))
    listed_vendors([kept, deleted])

    delete_vendor(deleted)

    assert list(listed_vendors([kept, deleted])) == [kept]


def test_the_directory_page_shows_an_edit_to_a_vendor_another_listing_showed(client):
    [vendor] = add_vendors(vendor_record(name="Harbour Contact"))
    assert "Harbour Contact" in client.get("/vendors?sort=name").get_data(as_text=True)

    update_vendor(vendor.id, name="Quayside Contact")

    page = client.get("/vendors?sort=size").get_data(as_text=True)
    assert "Quayside Contact" in page and "Harbour Contact" not in page


def test_a_listing_goes_without_a_vendor_deleted_while_it_was_being_made(client, monkeypatch):
    kept, deleted = add_vendors(vendor_record(name="Kept Co"), vendor_record(name="Gone Co"))
    kept_slug, deleted = kept.slug, deleted.id
    read = query.vendors_to_show

    def as_after_the_deletion(ids):  # the row is gone by the time the listing reads its vendors
        return [vendor for vendor in read(ids) if vendor.id != deleted]

    monkeypatch.setattr(query, "vendors_to_show", as_after_the_deletion)

    page = client.get("/vendors?sort=name&per_page=50")
    records = client.get("/api/v1/vendors?sort=name&per_page=50")

    assert page.status_code == records.status_code == 200
    assert "Kept Co" in page.get_data(as_text=True) and "Gone Co" not in page.get_data(as_text=True)
    shown = [record["slug"] for record in records.get_json()["items"]]
    assert kept_slug in shown and "Gone Co" not in records.get_data(as_text=True)
