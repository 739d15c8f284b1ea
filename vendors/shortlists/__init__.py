"""The buyer's shortlist, the side-by-side comparison, and read-only links to a comparison."""

from flask import Flask


def init_app(app: Flask) -> None:
    from vendors.shortlists import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.shortlists)
    app.context_processor(views.template_helpers)
