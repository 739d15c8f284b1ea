"""/admin: the work to do, and the search index's health with a rebuild button."""

import logging
import threading

from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from vendors.accounts.access import requires
from vendors.admin import bp, worklist
from vendors.extensions import db
from vendors.search import indexing
from vendors.submissions.models import Submission

log = logging.getLogger(__name__)

_rebuilds: dict[str, threading.Thread] = {}


@bp.get("")
@requires("editor")
def dashboard():
    root = current_app.config["SEARCH_INDEX_DIR"]
    pending_submissions = db.session.scalar(
        select(func.count()).select_from(Submission).where(Submission.status == "pending")
    )
    return render_template(
        "admin/dashboard.html",
        problems=worklist.problem_counts(),
        pending_submissions=pending_submissions,
        index=indexing.status(db.engine, root),
        rebuilding=_rebuild_running(root),
        form=FlaskForm(),
    )


@bp.post("/index/rebuild")
@requires("editor")
def rebuild_index():
    """Start a full rebuild in the background: at 100,000 vendors it takes about a minute, longer than a
    request may. Searches keep using the current index until the new one is switched in."""
    root = current_app.config["SEARCH_INDEX_DIR"]
    if _rebuild_running(root):
        flash("A rebuild is already running.", "ok")
    else:
        app = current_app._get_current_object()
        thread = threading.Thread(target=_rebuild, args=(app, root), name="index-rebuild", daemon=True)
        _rebuilds[root] = thread
        thread.start()
        flash("Rebuilding the search index. Searches use the current index until the new one is ready.", "ok")
    return redirect(url_for("admin.dashboard"), 303)


def _rebuild_running(root: str) -> bool:
    thread = _rebuilds.get(root)
    return thread is not None and thread.is_alive()


def _rebuild(app, root: str) -> None:
    with app.app_context():
        try:
            result = indexing.rebuild(db.engine, root, procs=1)
            log.info("search index rebuilt from the admin area: %s vendors", result.documents)
        except Exception:
            log.exception("the search index rebuild started from the admin area failed")
