"""`flask users ...`: admin accounts from the command line (the first admin is created this way)."""

import os

import click
from flask.cli import with_appcontext

from vendors.accounts import users
from vendors.accounts.models import ROLES, user_by_email
from vendors.audit import Actor


@click.group("users")
def users_group() -> None:
    """Create, list and disable admin accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True, help="admin or editor.")
@click.option("--password-env", metavar="NAME", help="Read the password from this environment variable.")
@with_appcontext
def create_command(email: str, role: str, password_env: str | None) -> None:
    """Create an account; the password is prompted for unless --password-env names a variable holding it."""
    password = _password(password_env)
    try:
        user = users.create_user(email, role, password, Actor.command("flask users create"))
    except users.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.email}.")


@users_group.command("set-password")
@click.argument("email")
@click.option("--password-env", metavar="NAME", help="Read the password from this environment variable.")
@with_appcontext
def set_password_command(email: str, password_env: str | None) -> None:
    """Give an account a new password; every session it has is ended."""
    user = _existing(email)
    password = _password(password_env)
    try:
        ended = users.set_password(user, password, Actor.command("flask users set-password"))
    except users.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"New password set for {user.email}; {ended} session(s) ended.")


@users_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every account with its role, state and last login."""
    accounts = users.all_users()
    for user in accounts:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never"
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email:40} {user.role:7} {state:9} last login {last}")
    click.echo(f"{len(accounts)} account(s).")


@users_group.command("disable")
@click.argument("email")
@with_appcontext
def disable_command(email: str) -> None:
    """Stop an account from signing in; every session it has is ended at once."""
    user = _existing(email)
    ended = users.set_active(user, False, Actor.command("flask users disable"))
    click.echo(f"Disabled {user.email}; {ended} session(s) ended.")


@users_group.command("enable")
@click.argument("email")
@with_appcontext
def enable_command(email: str) -> None:
    """Let a disabled account sign in again."""
    user = _existing(email)
    users.set_active(user, True, Actor.command("flask users enable"))
    click.echo(f"Enabled {user.email}.")


def _existing(email: str):
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    return user


def _password(variable: str | None) -> str:
    if variable is None:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    password = os.environ.get(variable)
    if not password:
        raise click.ClickException(f"The environment variable {variable} is not set or empty.")
    return password
