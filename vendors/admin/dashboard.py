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
BACKGROUND_LOCK_TIMEOUT = 120.0


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
    if start_index_job("rebuild"):
        flash("Rebuilding the search index. Searches use the current index until the new one is ready.", "ok")
    else:
        flash("The search index is already being worked on.", "ok")
    return redirect(url_for("admin.dashboard"), 303)


def start_index_job(kind: str) -> bool:
    """Run a rebuild or a full catch-up of this machine's index in a background thread; False if one is
    running already."""
    root = current_app.config["SEARCH_INDEX_DIR"]
    if _rebuild_running(root):
        return False
    app = current_app._get_current_object()
    thread = threading.Thread(target=_index_job, args=(app, root, kind), name=f"index-{kind}", daemon=True)
    _rebuilds[root] = thread
    thread.start()
    return True


def _rebuild_running(root: str) -> bool:
    thread = _rebuilds.get(root)
    return thread is not None and thread.is_alive()


def _index_job(app, root: str, kind: str) -> None:
    with app.app_context():
        try:
            if kind == "rebuild":
                result = indexing.rebuild(db.engine, root, procs=1)
            else:
                result = indexing.catch_up(db.engine, root, BACKGROUND_LOCK_TIMEOUT)
            log.info("search index %s from the admin area: at change %s", kind, result.applied)
        except Exception:
            log.exception("the search index %s started from the admin area failed", kind)
