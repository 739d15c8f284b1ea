from wtforms import StringField
from wtforms.validators import DataRequired

from vendors.catalog.forms import VendorFieldsForm
from vendors.forms import at_most, email_field, stripped


class SubmissionForm(VendorFieldsForm):
    """A vendor's own listing request: every vendor field except status and verification, plus a contact."""

    submitter_name = StringField(
        "Your name",
        validators=[DataRequired("Tell us who to contact."), at_most(200)],
        filters=[stripped],
    )
    submitter_email = email_field("Your work email", "We need an email address to reach you.")
    # A field people never see or fill in; software that fills in every field gives itself away.
    homepage = StringField("Leave this field empty", render_kw={"tabindex": "-1", "autocomplete": "off"})
