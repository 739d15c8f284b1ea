from flask import Blueprint, Flask, jsonify

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from vendors.api import compare, estimate, vendors  # noqa: F401  (routes register themselves on bp)

    app.register_blueprint(bp)


def invalid_parameters(problems: dict[str, str]):
    """The API's 400 answer: every bad parameter with what is wrong with it."""
    errors = [{"parameter": name, "message": message} for name, message in problems.items()]
    return jsonify(error="invalid_parameters", errors=errors), 400
