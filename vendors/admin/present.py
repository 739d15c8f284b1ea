"""How the admin pages show audit changes and dates."""

from datetime import date

from flask import request
from markupsafe import Markup
from wtforms.fields.core import UnboundField

from vendors.catalog.forms import VendorForm
from vendors.catalog.records import FIELDS
from vendors.validation import written_date

_LABELS = {
    name: field.args[0]
    for form in VendorForm.__mro__
    for name, field in vars(form).items()
    if isinstance(field, UnboundField) and field.args
}


def field_label(field_name: str) -> str:
    return _LABELS.get(field_name, field_name.replace("_", " ").capitalize())


def change_text(change: list) -> Markup:
    """'old → new', lists shown as their items."""
    old, new = (_text(value) for value in change)
    return Markup("<del>{}</del> → <ins>{}</ins>").format(old or "(empty)", new or "(empty)")


def ordered_changes(changes: dict) -> list[tuple[str, list]]:
    """An audit entry's changes in the order the vendor form shows its fields."""
    order = {name: index for index, name in enumerate(FIELDS)}
    return sorted(changes.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def date_range(start: str, end: str) -> tuple[dict[str, date | None], dict[str, str]]:
    """The dates of a range's two URL arguments (None when blank), a message for each that is not a date, and
    one for an end before its start, which nothing could fall between."""
    dates: dict[str, date | None] = {}
    problems: dict[str, str] = {}
    for name in (start, end):
        text = request.args.get(name, "").strip()
        dates[name] = written_date(text) if text else None
        if text and dates[name] is None:
            problems[name] = f"{text[:20]!r} is not a date (YYYY-MM-DD)"
    if dates[start] and dates[end] and dates[end] < dates[start]:
        problems[end] = f"is before the first date ({dates[start].isoformat()}): nothing falls between them"
    return dates, problems


def template_helpers() -> dict:
    return {"field_label": field_label, "change_text": change_text, "ordered_changes": ordered_changes}
