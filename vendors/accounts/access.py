"""Who may open what under /admin, decided on the server for every request.

Each view under /admin declares its audience with @public, @requires("editor") or @requires("admin"). One
before_request hook reads the declaration: anonymous visitors go to the login page, signed-in users without
the role get 403, and a view that declares nothing is refused to everyone, so a forgotten declaration fails
closed.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from vendors.audit import Actor

ADMIN_PREFIX = "/admin"
PUBLIC = "public"


def requires(role: str) -> Callable:
    def declare(view: Callable) -> Callable:
        view.required_role = role
        return view

    return declare


public = requires(PUBLIC)


def enforce_roles():
    if request.url_rule is None or not request.path.startswith(ADMIN_PREFIX):
        return None
    role = getattr(current_app.view_functions.get(request.endpoint), "required_role", None)
    if role == PUBLIC:
        return None
    if not current_user.is_authenticated:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("accounts.login", next=target))
    if role is None or not current_user.may(role):
        abort(403, description="Your account may not open this page.")
    return None


def keep_out_of_caches(response):
    """Admin pages are never stored, not even for the Back button: after signing out they are gone."""
    if request.path.startswith(ADMIN_PREFIX):
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None, fallback: str = "admin.dashboard") -> str:
    """`target` if it is a path on this site, else the `fallback` endpoint: never a redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target and not any(c < " " for c in target):
            return target
    return url_for(fallback)


def current_actor() -> Actor:
    return Actor(current_user.email, current_user.id)
