"""The vendor's fields as a form, shared by the admin editor and the public "List your company" page.

The form only collects what was typed: every rule lives in parse_record, whose messages are put back on the
fields they concern (form_problems), so a form, an import and the API's seed data cannot disagree. Every
field is re-displayed as typed after a failed save. Multi-valued fields are lists of checkboxes, which
work without JavaScript; a vendor's own order (its main country and specialisation first) is kept.
"""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from vendors.catalog.records import FACET_FIELDS, FIELDS, RecordError, parse_record, plain_values
from vendors.reference.countries import COUNTRIES
from vendors.reference.languages import LANGUAGES
from vendors.reference.taxonomy import CERTIFICATIONS, CHANNELS, COVERAGE, SPECIALISATIONS, STATUSES


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """Unknown values are reported by parse_record, in the same words as everywhere else."""


def _choices(vocabulary: dict) -> list[SelectChoice]:
    return [SelectChoice(key, getattr(label, "name", label)) for key, label in vocabulary.items()]


class VendorFieldsForm(FlaskForm):
    """Every vendor field a vendor can tell us about itself."""

    name = StringField("Company name")
    slug = StringField(
        "Address (slug)", description="Lower-case letters, digits and hyphens. Empty: made from the name."
    )
    tagline = StringField("Tagline", description="One line, at most 300 characters.")
    website = StringField("Website", description="Starting with https://", render_kw={"inputmode": "url"})
    contact_email = StringField("Contact email", render_kw={"inputmode": "email"})
    hq_country = SelectField(
        "Headquarters",
        choices=[SelectChoice("", "Choose a country"), *_choices(COUNTRIES)],
        validate_choice=False,  # parse_record says what is wrong, once
    )
    delivery_countries = CheckboxListField(
        "Delivery countries", choices=_choices(COUNTRIES), description="Where the work is done."
    )
    founded_year = StringField("Founded (year)", render_kw={"inputmode": "numeric"})
    employees = StringField("Employees", render_kw={"inputmode": "numeric"})
    hourly_rate_min = StringField(
        "Lowest hourly rate (USD)",
        description="Per agent hour. Leave both rates empty if they are not disclosed.",
        render_kw={"inputmode": "decimal"},
    )
    hourly_rate_max = StringField("Highest hourly rate (USD)", render_kw={"inputmode": "decimal"})
    min_seats = StringField(
        "Minimum seats", description="Empty if there is no minimum.", render_kw={"inputmode": "numeric"}
    )
    specialisations = CheckboxListField("Specialisations", choices=_choices(SPECIALISATIONS))
    channels = CheckboxListField("Channels", choices=_choices(CHANNELS))
    languages = CheckboxListField("Languages", choices=_choices(LANGUAGES))
    certifications = CheckboxListField("Certifications", choices=_choices(CERTIFICATIONS))
    coverage = SelectField("Coverage", choices=_choices(COVERAGE), validate_choice=False)
    description = TextAreaField(
        "Description", description="Plain text; a blank line starts a new paragraph.", render_kw={"rows": 10}
    )

    def record(self, current: dict | None = None) -> dict:
        """What was typed, as a raw record for parse_record; lists keep `current`'s order where they can."""
        record = {}
        for field_name in FIELDS:
            if field_name not in self._fields:
                continue
            value = self._fields[field_name].data
            if field_name in FACET_FIELDS:
                value = _keep_order(value or [], (current or {}).get(field_name, []))
            elif isinstance(value, str):
                value = value.strip()
            record[field_name] = value
        return record

    def validate(self, extra_validators=None) -> bool:
        """The form's own checks and parse_record's together, so every problem is named at once."""
        valid = super().validate(extra_validators)
        try:
            parse_record(self.record())
        except RecordError as error:
            self.show_problems(error)
            return False
        return valid

    def show_problems(self, error: RecordError) -> None:
        """Put parse_record's messages on the fields they concern."""
        for field_name, message in error.problems.items():
            field = self._fields[field_name]
            if message not in field.errors:
                field.errors = [*field.errors, message]


class VendorForm(VendorFieldsForm):
    """The admin editor: every field, plus the version the edit is based on."""

    status = SelectField("Status", choices=_choices(STATUSES), validate_choice=False)
    verified_at = StringField(
        "Last verified", description="The date the details were last checked.", render_kw={"type": "date"}
    )
    version = HiddenField()


def form_data(record: dict) -> dict:
    """A cleaned record as form data: amounts and dates as the text a person would type."""
    values = plain_values(record)
    return {field_name: "" if value is None else value for field_name, value in values.items()}


def _keep_order(chosen: list[str], current: list[str]) -> list[str]:
    kept = [value for value in current if value in chosen]
    return kept + [value for value in chosen if value not in kept]
