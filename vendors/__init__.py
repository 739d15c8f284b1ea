from pathlib import Path

from flask import Flask

from vendors import (
    assets,
    config,
    database,
    errors,
    frontdoor,
    headers,
    health,
    incoming,
    links,
    pagecache,
    proxies,
    requestheaders,
    requestlog,
    sessions,
)
from vendors.extensions import compress, csrf, db, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Site(Flask):
    """Flask, answering a kept page before the request hooks when none of them could change it
    (vendors.frontdoor), with NUL characters out of every request's parameters and URL rules matching only
    what the database can be asked and hosts that are host names (vendors.incoming)."""

    request_class = incoming.SiteRequest
    url_map_class = incoming.SiteMap

    def create_url_adapter(self, request):
        adapter = super().create_url_adapter(request)
        if request is not None:
            incoming.refuse_a_host_that_is_not_one(request)
        return adapter

    def make_default_options_response(self):
        """204 with Allow: an OPTIONS answer has nothing but its headers, so no body and no type (Flask's is
        an empty text/html page)."""
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response

    def full_dispatch_request(self):
        requestlog.note_the_start()
        try:
            answer = frontdoor.kept_answer(self)
        except Exception:  # the usual way meets the same fault, and answers it with the site's error page
            answer = None
        return answer if answer is not None else super().full_dispatch_request()


def create_app(test_config: dict | None = None) -> Site:
    app = Site(
        __name__,
        instance_relative_config=True,
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )

    sessions.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    compress.init_app(app)
    database.init_app(app)
    _register_features(app)
    errors.init_app(app)
    headers.init_app(app)
    requestlog.init_app(app)
    proxies.init_app(app)
    requestheaders.init_app(app)
    assets.init_app(app)
    links.init_app(app)
    pagecache.init_app(app)
    return app


def _register_features(app: Flask) -> None:
    from vendors import (
        accounts,
        admin,
        api,
        catalog,
        directory,
        estimator,
        inquiries,
        search,
        shortlists,
        site,
        submissions,
    )

    features = (
        catalog,
        accounts,
        search,
        site,
        directory,
        estimator,
        shortlists,
        api,
        submissions,
        inquiries,
    )
    for feature in (*features, admin):
        feature.init_app(app)
    health.init_app(app)
