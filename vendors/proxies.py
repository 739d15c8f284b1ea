"""Trusting a reverse proxy's X-Forwarded-* headers, only when told how many proxies stand in front.

With PROXY_FIX_HOPS=1 (one proxy, such as nginx on the same machine) the client address, scheme and port
come from the proxy's headers, so rate limits count real clients and HTTPS is recognised (HSTS, Secure
cookies). Without it the headers are ignored: anyone could send them.
"""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_port=hops)
