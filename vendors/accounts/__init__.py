from flask import Flask

from vendors import limitstorage
from vendors.accounts import access, sessions, views
from vendors.accounts.cli import users_group
from vendors.extensions import limiter, login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(sessions.user_for)
    app.config["RATELIMIT_STORAGE_URI"] = limitstorage.storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    app.before_request(access.enforce_roles)
    app.after_request(access.keep_out_of_caches)
    app.register_blueprint(views.bp)
    app.cli.add_command(users_group)
