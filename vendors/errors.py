"""Error pages: JSON under /api/, HTML elsewhere, never a stack trace."""

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, NotFound


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)


def wants_json() -> bool:
    return request.path.startswith("/api/")


TOO_MANY = "There have been too many attempts from here. Wait a few minutes, then try again."


def _http_error(error: HTTPException):
    if error.code == 429:
        # The limiter's own description names the limit and its key; say only what the visitor can do.
        error.description = TOO_MANY
    if wants_json():
        return jsonify(error=error.name, message=error.description), error.code
    # Werkzeug's own wording ("The requested URL was not found on the server...") is not the site's voice.
    said = error.description if error.description != type(error).description else ""
    return render_template(
        "errors/error.html", error=error, said=said, not_found=isinstance(error, NotFound)
    ), (error.code)
