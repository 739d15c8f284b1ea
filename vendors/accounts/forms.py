from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from vendors.accounts import passwords
from vendors.accounts.models import ROLES
from vendors.catalog.records import EMAIL_PATTERN


class LoginForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class NewPasswordMixin:
    """A new password typed twice, checked against the password rules."""

    def validate_new_password(self, field) -> None:
        problem = passwords.problem_with(field.data or "", self.email_for_rules())
        if problem:
            raise ValidationError(problem)


class PasswordChangeForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired()],
        description=f"At least {passwords.MIN_LENGTH} characters, not a common password.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new_password", "The two entries differ.")]
    )

    def __init__(self, email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def email_for_rules(self) -> str:
        return self._email


class UserForm(NewPasswordMixin, FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Regexp(EMAIL_PATTERN, message="Not an email address."), Length(max=254)],
    )
    role = SelectField(
        "Role", choices=[SelectChoice(role, f"{role}: {what}") for role, what in ROLES.items()]
    )
    new_password = PasswordField("Password", validators=[DataRequired()])
    confirm_password = PasswordField(
        "Password again", validators=[DataRequired(), EqualTo("new_password", "The two entries differ.")]
    )

    def email_for_rules(self) -> str:
        return self.email.data or ""
