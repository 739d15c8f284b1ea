from flask import Blueprint, Flask, current_app, jsonify

from vendors.countedreads import API_LIMIT_SCOPE
from vendors.extensions import limiter

API_PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
# Every API route shares one budget per client address (API_LIMIT_PER_ADDRESS); past it, 429 with
# Retry-After. Declared once, here: the blueprint outlives the apps a process creates. Reads answered from
# the page cache are counted against it by vendors.countedreads.
limiter.shared_limit(lambda: current_app.config["API_LIMIT_PER_ADDRESS"], scope=API_LIMIT_SCOPE)(bp)


def init_app(app: Flask) -> None:
    from vendors.api import compare, estimate, openapi, vendors  # noqa: F401  (routes register on bp)

    app.add_url_rule("/api", "api_reference", openapi.reference_page)

    app.register_blueprint(bp)


def invalid_parameters(problems: dict[str, str]):
    """The API's 400 answer: every bad parameter with what is wrong with it."""
    errors = [{"parameter": name, "message": message} for name, message in problems.items()]
    return jsonify(error="invalid_parameters", errors=errors), 400
