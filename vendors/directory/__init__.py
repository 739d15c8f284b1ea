from flask import Flask

from vendors.directory import renderahead, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.context_processor(views.template_helpers)
    app.add_template_filter(views.facet_label)
    app.cli.add_command(renderahead.pages_group)
