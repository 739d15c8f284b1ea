"""Form fields the public forms share: a person's name and work email, typed values tidied."""

from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from vendors.catalog.records import EMAIL_PATTERN


def stripped(value):
    """Surrounding space off; NUL characters out (no one types them, and PostgreSQL cannot store them)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def email_field(label: str, when_missing: str) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(when_missing),
            Regexp(EMAIL_PATTERN, message="This is not an email address."),
            Length(max=254),
        ],
        filters=[stripped],
        render_kw={"inputmode": "email", "autocomplete": "email"},
    )
