"""Trusting a reverse proxy's X-Forwarded-* headers, only when told how many proxies stand in front.

With PROXY_FIX_HOPS=1 (one proxy, such as nginx on the same machine) the client address, scheme and port
come from the proxy's headers, so rate limits count real clients and HTTPS is recognised (HSTS, Secure
cookies). Without it the headers are ignored: anyone could send them. But a request that carries
X-Forwarded-For from this machine or a private network then most likely came through a proxy no one told
the site about, and behind one every visitor has the proxy's address, so all of them share each
per-address limit's budget: that is logged, once a minute at most in each worker. (A visitor's own
forward proxy also sends the header, but from a public address, and is not mistaken for one in front.)
"""

import ipaddress
import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from vendors.throttle import ThrottledWarnings

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_port=hops)
    else:
        app.wsgi_app = _ForwardedHeadersNoticed(app.wsgi_app)


class _ForwardedHeadersNoticed:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.warnings = ThrottledWarnings(log)

    def __call__(self, environ, start_response):
        if "HTTP_X_FORWARDED_FOR" in environ and _nearby(environ.get("REMOTE_ADDR", "")):
            self.warnings.warning(
                "forwarded",
                "A request from %s came with X-Forwarded-For while PROXY_FIX_HOPS is 0: if a proxy stands in "
                "front of the site, every visitor has its address and shares each per-address rate limit; "
                "set PROXY_FIX_HOPS to the number of proxies (with none, leave it at 0)",
                environ.get("REMOTE_ADDR") or "a local socket",
            )
        return self.wsgi_app(environ, start_response)


def _nearby(remote_address: str) -> bool:
    """Whether a client at this address could be a proxy in front of the site: this machine (a Unix socket
    gives no address) or a private network."""
    if not remote_address:
        return True
    try:
        address = ipaddress.ip_address(remote_address)
    except ValueError:
        return False
    return address.is_loopback or address.is_private
