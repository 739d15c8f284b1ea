from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from vendors.api import estimate, vendors  # noqa: F401  (routes register themselves on bp)

    app.register_blueprint(bp)
