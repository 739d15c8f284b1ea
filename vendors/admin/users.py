"""/admin/users: accounts and roles, for admins only."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from vendors.accounts import users
from vendors.accounts.access import current_actor, requires
from vendors.accounts.forms import UserForm
from vendors.accounts.models import ROLES, User
from vendors.admin import bp
from vendors.extensions import db


@bp.route("/users", methods=["GET", "POST"])
@requires("admin")
def user_list():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(form.email.data, form.role.data, form.new_password.data, current_actor())
        except users.AccountError as error:
            form.email.errors.append(str(error))
        else:
            flash(f"Created {user.role} {user.email}. Give them their password by a safe route.", "ok")
            return redirect(url_for("admin.user_list"), 303)
    return render_template(
        "admin/users.html", accounts=users.all_users(), form=form, roles=ROLES, action_form=FlaskForm()
    ), 400 if form.errors else 200


@bp.post("/users/<int:user_id>/disable")
@requires("admin")
def user_disable(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        abort(400, description="You cannot disable your own account; ask another admin.")
    ended = users.set_active(user, False, current_actor())
    flash(f"{user.email} is disabled; {ended} session(s) were ended.", "ok")
    return redirect(url_for("admin.user_list"), 303)


@bp.post("/users/<int:user_id>/enable")
@requires("admin")
def user_enable(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    users.set_active(user, True, current_actor())
    flash(f"{user.email} can sign in again.", "ok")
    return redirect(url_for("admin.user_list"), 303)
