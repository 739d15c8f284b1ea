"""gunicorn settings for `make serve` (and `make run`). Every value can be changed by the environment
variable named beside it; see the README's "Deploying" section."""

import os
import shutil
import subprocess
import sys
import tempfile

from gunicorn.glogging import Logger

# Where to listen. Behind a reverse proxy on the same machine, keep the loopback address.
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Two or three workers per core: each answers one request at a time and keeps its own search reader.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# A request that takes this long is a bug or a stuck database; the worker is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# No control socket: its default place in $HOME would be shared by every gunicorn of the user.
control_socket_disable = True
keepalive = 5
# The longest request line gunicorn takes (its default is half): a search of 200 accented characters with
# some 500 filter values fits. gunicorn answers a longer one itself (414), without the site's headers.
limit_request_line = 8190
# Recycle workers now and then, spread out so they never restart together; not often, since a new worker
# starts with empty search caches (bounded by SEARCH_CACHE_MEGABYTES anyway; the page cache is shared, below).
max_requests = int(os.environ.get("MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# gunicorn would believe X-Forwarded-Proto (making a request https) and SCRIPT_NAME / PATH_INFO headers from
# any client on this machine; it believes no one, and the app decides whom it believes, with PROXY_FIX_HOPS
# (werkzeug's ProxyFix).
forwarded_allow_ips = ""
# The app logs one JSON line per request (vendors.requestlog), so gunicorn's access log stays off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"}
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "vendors": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
    },
}


class QuietAccessLogger(Logger):
    """gunicorn's logger, assembling an access-log line only when a handler will write it (--access-logfile).
    With logging set up here (logconfig_dict) gunicorn would otherwise build one for every request and drop
    it: a tenth of a worker's time on a page from the cache, a sixth on the bare benchmark endpoint."""

    def access(self, resp, req, environ, request_time):
        if self.access_log.hasHandlers():
            super().access(resp, req, environ, request_time)


logger_class = QuietAccessLogger


# The workers share one page cache (vendors.pagecache) in a private folder made afresh when the server starts
# and when it reloads, since new code or settings may render pages differently. A reloaded server's old
# workers may still be finishing requests in the previous folder, so every folder goes when the server stops.
# The app must be loaded by each worker, after the folder is named: never preloaded in the master.
preload_app = False
PAGE_CACHE_FOLDER_PREFIX = "vendors-pages-"
# The folders made so far, kept in the environment: gunicorn reads this file afresh on each reload.
FOLDERS_MADE = "PAGE_CACHE_DIRS_MADE"


# Beside the workers, one process renders every vendor's page skeleton into that folder before anyone asks
# for the page, and again after each change to the catalogue (vendors.directory.renderahead); RENDER_AHEAD=0
# leaves it out, and vendor pages not yet kept are then rendered whole.
RENDER_AHEAD = os.environ.get("RENDER_AHEAD", "1") != "0" and os.environ.get("PAGE_CACHE_MEGABYTES") != "0"


def when_ready(server):  # once it listens: a server that cannot bind its address leaves no folder
    _fresh_page_cache_folder(server)
    _start_rendering_ahead(server)
    _warn_of_limits_counted_apart(server)


def on_reload(server):
    _stop_rendering_ahead(server)
    _fresh_page_cache_folder(server)
    _start_rendering_ahead(server)


def on_exit(server):
    _stop_rendering_ahead(server)
    for folder in os.environ.pop(FOLDERS_MADE, "").split(os.pathsep):
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def _warn_of_limits_counted_apart(server):
    """The default memory:// storage counts each worker's requests apart: a limit then holds only as many
    times over as there are workers."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "rate limits (sign-ins, forms, the API) are counted by each of the %d workers apart, so each "
            "holds %d times over: set RATELIMIT_STORAGE_URI to a Redis server (README, Deploying)",
            server.cfg.workers,
            server.cfg.workers,
        )


def _fresh_page_cache_folder(server):
    folder = tempfile.mkdtemp(prefix=PAGE_CACHE_FOLDER_PREFIX)
    if server.cfg.uid != os.getuid():  # workers that run as another user (gunicorn's `user` setting)
        os.chown(folder, server.cfg.uid, server.cfg.gid)
    made = os.environ.get(FOLDERS_MADE)
    os.environ[FOLDERS_MADE] = os.pathsep.join([made, folder]) if made else folder
    os.environ["PAGE_CACHE_DIR"] = folder
    server.log.info("workers share the page cache in %s", folder)


def _start_rendering_ahead(server):
    """`flask pages render-ahead --follow` for the server's app, in the environment its workers get; kept on
    the server (the arbiter), which outlives the rereading of this file on a reload."""
    application = getattr(server.app, "app_uri", None)  # as gunicorn was told it: "wsgi:app"
    if RENDER_AHEAD and application:
        command = ["pages", "render-ahead", "--follow"]
        server.page_renderer = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", application, *command], cwd=server.cfg.chdir
        )


def _stop_rendering_ahead(server):
    renderer = getattr(server, "page_renderer", None)
    if renderer is not None and renderer.poll() is None:
        renderer.terminate()
        try:
            renderer.wait(timeout=graceful_timeout)
        except subprocess.TimeoutExpired:
            renderer.kill()
