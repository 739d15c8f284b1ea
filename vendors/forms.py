"""Form fields the public forms share: a person's name and work email, typed values tidied, whole numbers as
people type them, and limits said in the site's words."""

import re

from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, Regexp, StopValidation

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
            at_most(254),
        ],
        filters=[stripped],
        render_kw={"inputmode": "email", "autocomplete": "email"},
    )


def at_most(characters: int) -> Length:
    """A length limit saying what to do, rather than WTForms' "Field cannot be longer than 200 characters"."""
    return Length(max=characters, message=f"Write at most {characters:,} characters.")


# Digits, or digits grouped in threes by commas or spaces ("1,000", "12 500"), as the estimator reads them.
_WHOLE_NUMBER = re.compile(
    r"[0-9]+|[0-9]{1,3}(?P<separator>[, \u00a0\u202f])[0-9]{3}(?:(?P=separator)[0-9]{3})*"
)
LONGEST_WHOLE_NUMBER = 20  # characters: past any count a form asks for, and short of int()'s limits


class WholeNumberField(IntegerField):
    """A whole number typed with digits, perhaps grouped ("1,000"); a clear message for anything else."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        typed = stripped(valuelist[0])
        if not typed:
            self.data = None
            return
        if len(typed) > LONGEST_WHOLE_NUMBER or not _WHOLE_NUMBER.fullmatch(typed):
            self.data = None
            raise ValueError("Enter a whole number, such as 25 or 1,000.")
        self.data = int(re.sub(r"[, \u00a0\u202f]", "", typed))

    def pre_validate(self, form) -> None:
        if self.process_errors:  # said once: a range check would add its own words about the same mistake
            raise StopValidation()
