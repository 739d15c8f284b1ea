from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from vendors.accounts import passwords, sessions, users
from vendors.accounts.access import current_actor, public, requires, safe_next
from vendors.accounts.forms import LoginForm, PasswordChangeForm
from vendors.accounts.models import normalise_email
from vendors.extensions import limiter

bp = Blueprint("accounts", __name__, url_prefix="/admin")

WRONG_CREDENTIALS = "That email and password do not match an active account."


def _submitted_account() -> str:
    return "account:" + normalise_email(request.form.get("email", ""))[:254]


def _submitted_account_from_this_address() -> str:
    return f"from:{get_remote_address()} {_submitted_account()}"


def _signed_in_account() -> str:
    return "account:" + getattr(current_user, "email", "")


def _signed_in_account_from_this_address() -> str:
    return f"from:{get_remote_address()} {_signed_in_account()}"


def _guesses_limited(account: Callable[[], str], account_from_this_address: Callable[[], str], *per_address):
    """Guesses at an account's password, limited tightly from each client address and loosely from all of
    them together: someone guessing from one address is stopped soon without locking the account's owner
    out, and only guesses spread over many addresses can reach the account's own limit.

    Flask-Limiter checks a view's limits in the order they are declared (within one unit of time; see
    config.login_limits) and stops at the first that refuses, having counted those before it. So the limits of
    one address come first, and the account's own last: it counts only the guesses the others let through."""
    from_this_address = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"],
        key_func=account_from_this_address,
        methods=["POST"],
    )
    from_anywhere = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=account, methods=["POST"]
    )

    def limited(view):
        view = from_this_address(view)
        for limit in per_address:
            view = limit(view)
        return from_anywhere(view)

    return limited


# Every attempt is counted before the password is checked, in one atomic increment: counting only failures
# (after the check) would let attempts that arrive together near the limit all through.
@bp.route("/login", methods=["GET", "POST"])
@public
@_guesses_limited(
    _submitted_account,
    _submitted_account_from_this_address,
    limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"]),
)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")), 303)
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # nothing from before the login carries over into the signed-in session
            user.session_token = sessions.start(user)
            login_user(user)
            return redirect(safe_next(request.args.get("next")), 303)
        form.password.errors.append(WRONG_CREDENTIALS)
    status = 401 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@requires("editor")
def logout():
    sessions.end(current_user.session_token)
    logout_user()
    session.clear()
    flash("You are signed out.", "ok")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
@requires("editor")
# The current password is checked here too: guesses at it are limited like logins' guesses.
@_guesses_limited(_signed_in_account, _signed_in_account_from_this_address)
def change_password():
    form = PasswordChangeForm(current_user.email)
    if form.validate_on_submit():
        if not passwords.verify(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        else:
            user = current_user._get_current_object()
            users.set_password(user, form.new_password.data, current_actor())
            session.clear()
            user.session_token = sessions.start(user)
            login_user(user)
            flash("Your password is changed. Every other session of yours has been signed out.", "ok")
            return redirect(url_for("admin.dashboard"), 303)
    refused = form.is_submitted()  # as every other refused form: a 400 with the form and what is wrong
    return render_template("accounts/password.html", form=form), 400 if refused else 200
