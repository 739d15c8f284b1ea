"""Requests for information from buyers to the vendors they chose, handled in the admin area."""

from flask import Flask


def init_app(app: Flask) -> None:
    from vendors.inquiries import views

    app.register_blueprint(views.bp)
