from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from vendors.forms import email_field, stripped
from vendors.inquiries.models import TIMELINES
from vendors.shortlists.store import LIMIT

MAX_VENDORS = LIMIT  # as many as a shortlist holds


class VendorChoices(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InquiryForm(FlaskForm):
    vendors = VendorChoices(
        "Send to",
        validators=[DataRequired("Choose at least one vendor to ask.")],
        description="Only the vendors ticked here receive your request.",
    )
    name = StringField(
        "Your name",
        validators=[DataRequired("Tell the vendors who is asking."), Length(max=200)],
        filters=[stripped],
        render_kw={"autocomplete": "name"},
    )
    company = StringField(
        "Company",
        validators=[DataRequired("Name your company."), Length(max=200)],
        filters=[stripped],
        render_kw={"autocomplete": "organization"},
    )
    email = email_field("Work email", "The vendors need an email address to answer you.")
    headcount = IntegerField(
        "Team size",
        validators=[
            InputRequired("Say roughly how many full-time positions you would outsource."),
            NumberRange(1, 100_000, "Enter a whole number from 1 to 100,000."),
        ],
        description="Full-time positions you would outsource, roughly.",
        render_kw={"inputmode": "numeric"},
    )
    timeline = SelectField(
        "When you want to start",
        choices=[SelectChoice(key, label) for key, label in TIMELINES.items()],
        default="quarter",
    )
    message = TextAreaField(
        "Message",
        validators=[
            DataRequired("Say what you would like to know."),
            Length(min=10, max=5000, message="Write between 10 and 5,000 characters."),
        ],
        filters=[stripped],
        description="The work, the languages and hours you need, and anything you want quoted.",
    )
    # A field people never see or fill in; software that fills in every field gives itself away.
    website = StringField("Leave this field empty", render_kw={"tabindex": "-1", "autocomplete": "off"})

    def offer(self, vendors: list, chosen: list[str]) -> None:
        """The vendors to choose from (those named in the link, or the shortlist's), ticked as `chosen`."""
        self.vendors.choices = [SelectChoice(vendor.slug, vendor.name) for vendor in vendors]
        if not self.is_submitted():
            self.vendors.data = chosen

    def validate_vendors(self, field) -> None:
        if len(field.data or []) > MAX_VENDORS:
            raise ValueError(f"Ask at most {MAX_VENDORS} vendors at once.")
