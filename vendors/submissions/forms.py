from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from vendors.catalog.forms import VendorFieldsForm
from vendors.catalog.records import EMAIL_PATTERN


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class SubmissionForm(VendorFieldsForm):
    """A vendor's own listing request: every vendor field except status and verification, plus a contact."""

    submitter_name = StringField(
        "Your name",
        validators=[DataRequired("Tell us who to contact."), Length(max=200)],
        filters=[_stripped],
    )
    submitter_email = StringField(
        "Your work email",
        validators=[
            DataRequired("We need an email address to reach you."),
            Regexp(EMAIL_PATTERN, message="This is not an email address."),
            Length(max=254),
        ],
        filters=[_stripped],
        render_kw={"inputmode": "email", "autocomplete": "email"},
    )
    # A field people never see or fill in; software that fills in every field gives itself away.
    homepage = StringField("Leave this field empty", render_kw={"tabindex": "-1", "autocomplete": "off"})
