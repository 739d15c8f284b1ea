"""Extensions created unbound; create_app binds them."""

from flask import current_app, request
from flask_compress import Compress
from flask_limiter import HeaderNames, Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
# Pages, JSON, CSS and JavaScript go out compressed (zstd, Brotli or gzip, as the client accepts).
compress = Compress()
login_manager = LoginManager()
# Limits are declared on the routes they protect; counts live in RATELIMIT_STORAGE_URI (Redis for several
# worker processes). The X-RateLimit headers go out with limited responses. Flask-Limiter would also put a
# Retry-After on every one of them, a 200 or a 303 included, and raise a 503's shorter one to the limit's
# window; it names that header X-RateLimit-Retry-After instead, and a 429 gets its Retry-After from the
# site's error page (vendors.errors).
LIMIT_HEADERS = {
    "limit": "X-RateLimit-Limit",
    "remaining": "X-RateLimit-Remaining",
    "reset": "X-RateLimit-Reset",
    "retry_after": "X-RateLimit-Retry-After",
}
limiter = Limiter(
    key_func=get_remote_address,
    headers_enabled=True,
    header_name_mapping={
        HeaderNames.LIMIT: LIMIT_HEADERS["limit"],
        HeaderNames.REMAINING: LIMIT_HEADERS["remaining"],
        HeaderNames.RESET: LIMIT_HEADERS["reset"],
        HeaderNames.RETRY_AFTER: LIMIT_HEADERS["retry_after"],
    },
)
LIMITED_BLUEPRINTS_ON_READ = {"api"}  # its shared limit counts every request, reads included


@limiter.request_filter
def reads_a_page() -> bool:
    """Limits guard the API and what visitors send (form POSTs); reading a page counts against none, so such a
    request skips the limiter's look-up, which would cost it more than a page from the page cache."""
    return request.method in ("GET", "HEAD") and request.blueprint not in LIMITED_BLUEPRINTS_ON_READ


def limit_accepted_posts(setting: str):
    """Limit a form's POSTs per client address to the rate in `setting`, counting only the accepted ones
    (answered 303): someone correcting a mistake in the form is never locked out of it. Attempts of any
    outcome have a looser limit of their own (FORM_ATTEMPTS_PER_ADDRESS), so refused forms cannot be sent
    without end either."""
    accepted = limiter.limit(
        lambda: current_app.config[setting],
        methods=["POST"],
        deduct_when=lambda response: response.status_code == 303,
    )
    attempts = limiter.limit(
        lambda: current_app.config["FORM_ATTEMPTS_PER_ADDRESS"], methods=["POST"], scope="attempts"
    )
    return lambda view: attempts(accepted(view))
