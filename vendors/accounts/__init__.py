from flask import Flask
from flask_login import current_user

from vendors import limitstorage
from vendors.accounts import access, sessions, views
from vendors.accounts.cli import users_group
from vendors.extensions import limiter, login_manager


def init_app(app: Flask) -> None:
    # Flask-Login's own context processor looks the user up for every template, error pages included: with
    # the database away, a signed-in editor's 503 page would fail with it. The proxy is looked up only by the
    # templates that show the user (the admin pages).
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.user_loader(sessions.user_for)
    app.config["RATELIMIT_STORAGE_URI"] = limitstorage.storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    app.before_request(access.enforce_roles)
    app.after_request(access.keep_out_of_caches)
    app.register_blueprint(views.bp)
    app.cli.add_command(users_group)
