from flask import Flask

from vendors.directory import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.context_processor(views.template_helpers)
    app.add_template_filter(views.facet_label)
