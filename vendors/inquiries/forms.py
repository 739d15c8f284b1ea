from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from vendors.forms import WholeNumberField, at_most, email_field, stripped
from vendors.inquiries.models import TIMELINES
from vendors.shortlists.store import LIMIT

MAX_VENDORS = LIMIT  # as many as a shortlist holds


class VendorChoices(SelectMultipleField):
    """Ticked vendors, each once: a vendor sent twice is asked once."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        super().process_formdata(list(dict.fromkeys(valuelist)))

    def pre_validate(self, form) -> None:
        """A vendor ticked when the form was opened and no longer listed since is left out, with a word."""
        offered = {choice.value for choice in self.iter_choices()}
        kept = [slug for slug in self.data or [] if slug in offered]
        if len(kept) != len(self.data or []):
            self.data = kept
            message = "A vendor you ticked is no longer listed in the directory, so it was left out"
            if not kept:  # "choose at least one" would hide why
                raise StopValidation(f"{message}: choose another to ask.")
            raise ValidationError(f"{message}: send again to ask the others.")


class InquiryForm(FlaskForm):
    vendors = VendorChoices(
        "Send to",
        validators=[DataRequired("Choose at least one vendor to ask.")],
        description="Only the vendors ticked here receive your request.",
    )
    name = StringField(
        "Your name",
        validators=[DataRequired("Tell the vendors who is asking."), at_most(200)],
        filters=[stripped],
        render_kw={"autocomplete": "name"},
    )
    company = StringField(
        "Company",
        validators=[DataRequired("Name your company."), at_most(200)],
        filters=[stripped],
        render_kw={"autocomplete": "organization"},
    )
    email = email_field("Work email", "The vendors need an email address to answer you.")
    headcount = WholeNumberField(
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
