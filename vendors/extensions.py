"""Extensions created unbound; create_app binds them."""

from flask_limiter import Limiter
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
login_manager = LoginManager()
# Limits are declared on the routes they protect; counts live in RATELIMIT_STORAGE_URI (Redis for several
# worker processes). Retry-After and the X-RateLimit headers go out with limited responses.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
