from flask import Flask

from vendors.site import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
