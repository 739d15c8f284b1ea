"""/admin/import and /admin/export: the CSV files of vendors.catalog.csvfiles, in the browser.

An upload is checked at once and shown with the same report as `flask vendors import`; a file without
problems is kept (in the database, so any worker process can find it) until the admin confirms it.

Confirming starts the import in a background thread of the worker and answers at once with the upload's
status page, which refreshes itself until the import is done: a 20 MB file takes minutes to write, far longer
than gunicorn lets a request run. What became of the upload (waiting, running, done, rejected, failed) is kept
on its row, not in the worker's memory, since the status page may be served by any worker on any machine.
The import is still written in one transaction, so it goes in completely or not at all. Uploads and their
results are dropped a day after they were uploaded or last started.
"""

import io
import logging
import secrets
import threading
import time
from datetime import date, datetime, timedelta

from flask import (
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from wtforms.validators import ValidationError

from vendors import search
from vendors.accounts.access import current_actor, requires
from vendors.admin import bp
from vendors.admin.dashboard import start_index_job
from vendors.admin.vendors import vendor_filter_from_request
from vendors.audit import Actor
from vendors.catalog import csvfiles
from vendors.catalog.writes import SavedMeanwhile
from vendors.database import UTCDateTime, utcnow, write_transaction
from vendors.extensions import db

log = logging.getLogger(__name__)

UPLOAD_LIFETIME = timedelta(days=1)
# A worker that stops (restarted, replaced after MAX_REQUESTS, killed) takes its import's transaction with
# it and cannot say so: an import still running after this long is taken to have stopped that way, and may
# be started again, since nothing of it was written. The slowest upload measured (20 MB: 355,658 new
# vendors) takes 200 s on PostgreSQL on a 2-core machine; an import shown stopped while it still runs cannot
# commit (see _finish).
PRESUMED_STOPPED_AFTER = timedelta(minutes=10)
# An import marks itself done in its own transaction, and records its counts just after: a moment, unless its
# worker stopped in between, when the page says it was imported without them.
COUNTS_FOLLOW_WITHIN = timedelta(minutes=1)
STATUS_REFRESH_SECONDS = 5
WAITING_PER_USER = 3  # uploads checked and not yet confirmed, each a whole file kept in the database

# What became of an upload.
WAITING = "waiting"  # checked, not yet confirmed
RUNNING = "running"
DONE = "done"  # report: the counts, and whether the search index is catching up
REJECTED = "rejected"  # report: the problems found when it was confirmed (the directory changed meanwhile)
FAILED = "failed"  # report: why; nothing was written, and it may be started again
STARTABLE = (WAITING, FAILED)

# Why an import wrote nothing, as the status page says it ("... was not imported: <why>.").
STOPPED = "the server process running it stopped before it finished"
ERROR = "an error stopped it (the server's log has the details)"
SAVED_MEANWHILE = "a vendor in the file was saved by someone else while it was being imported"


class PendingImport(db.Model):
    """An uploaded CSV file that passed its checks, and what became of it (its `state`)."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    # Loaded only by the import itself: the status page is asked for every few seconds. Emptied once the
    # import is done or rejected, as it can no longer be started.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default=WAITING, server_default=WAITING)
    # One more at each start: only the run holding the current attempt may record an outcome or commit.
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    @property
    def status(self) -> str:
        """The state as the uploader should see it: a run presumed stopped has failed, and one that committed
        is shown running for the moment until its counts are recorded."""
        if self.state == RUNNING and utcnow() - self.started_at > PRESUMED_STOPPED_AFTER:
            return FAILED
        if self.state == DONE and self.report is None and utcnow() - self.finished_at < COUNTS_FOLLOW_WITHIN:
            return RUNNING
        return self.state

    @property
    def why_not_imported(self) -> str:
        return (self.report or {}).get("why", STOPPED)

    @property
    def expired(self) -> bool:
        return utcnow() - (self.started_at or self.created_at) > UPLOAD_LIFETIME


class UploadForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[FileRequired("Choose a CSV file to upload.")],
        render_kw={"accept": ".csv,text/csv"},
    )

    def validate_file(self, field) -> None:
        upload = field.data
        if not upload.filename.lower().endswith(".csv"):
            raise ValidationError("Only .csv files can be imported.")
        limit = current_app.config["IMPORT_MAX_MEGABYTES"] << 20
        upload.stream.seek(0, io.SEEK_END)
        if upload.stream.tell() > limit:
            raise ValidationError(
                f"The file is larger than {limit >> 20} MB; import it with flask vendors import."
            )
        upload.stream.seek(0)


@bp.route("/import", methods=["GET", "POST"])
@requires("editor")
def import_upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form), 400 if form.errors else 200
    data = form.file.data.read()
    filename = form.file.data.filename[-255:]
    seconds = current_app.config["IMPORT_CHECK_SECONDS"]
    try:
        checked = csvfiles.check(csvfiles.text_of(data), count=True, deadline=time.monotonic() + seconds)
    except csvfiles.TooLongToCheck as stopped:
        form.file.errors = [
            f"Checking {filename} took longer than {seconds} second{'' if seconds == 1 else 's'} "
            f"({stopped.rows:,} rows by then), longer "
            "than a page can wait: import it on the server with flask vendors import, which takes its time "
            "and shows its progress. Nothing was written."
        ]
        return render_template("admin/import.html", form=form), 422
    if checked.problems:
        return render_template(
            "admin/import.html", form=UploadForm(), checked=checked, filename=filename
        ), 422
    preview = checked.preview
    token = _keep(data, filename) if preview.added or preview.updated else None
    return render_template(
        "admin/import.html",
        form=UploadForm(),
        checked=checked,
        preview=preview,
        filename=filename,
        token=token,
        confirm_form=FlaskForm(),
    )


@bp.post("/import/<token>")
@requires("editor")
def import_confirm(token: str):
    """Start the import in the background, unless it is running or over; either way, show its status.
    Of two confirmations sent together (a double click, two tabs), one starts it."""
    upload = _own_upload(token)
    upload_id = upload.id
    if upload.status in STARTABLE and (attempt := _claim(upload)) is not None:
        _start_in_background(upload_id, attempt, current_actor())
    return redirect(url_for("admin.import_status", token=token), 303)


@bp.get("/import/<token>")
@requires("editor")
def import_status(token: str):
    upload = _own_upload(token)
    return render_template(
        "admin/import_status.html",
        upload=upload,
        status=upload.status,
        checked=_problems_of(upload) if upload.status == REJECTED else None,
        done_messages=_done_messages(upload) if upload.status == DONE else [],
        refresh_seconds=STATUS_REFRESH_SECONDS,
        confirm_form=FlaskForm(),
    )


@bp.get("/export")
@requires("editor")
def export():
    """The whole directory, or the vendor list's current filter, as a CSV download."""
    vendor_filter = vendor_filter_from_request()
    rows = csvfiles.export_rows(*vendor_filter.conditions())
    return csvfiles.download(rows, f"vendors-{date.today().isoformat()}.csv")


# ------------------------------------------------------------------------------------------ the upload
def _keep(data: bytes, filename: str) -> str:
    """Keep a checked upload until it is confirmed; only the user's newest WAITING_PER_USER of those not yet
    confirmed are kept, since each holds a whole file in the database."""
    token = secrets.token_urlsafe(32)
    last_used = func.coalesce(PendingImport.started_at, PendingImport.created_at)
    with write_transaction() as session:
        session.execute(delete(PendingImport).where(last_used < utcnow() - UPLOAD_LIFETIME))
        session.add(PendingImport(token=token, user_id=current_user.id, filename=filename, data=data))
        session.flush()
        newest = (
            select(PendingImport.id)
            .where(PendingImport.user_id == current_user.id, PendingImport.state == WAITING)
            .order_by(PendingImport.id.desc())
            .limit(WAITING_PER_USER)
        )
        session.execute(
            delete(PendingImport).where(
                PendingImport.user_id == current_user.id,
                PendingImport.state == WAITING,
                PendingImport.id.not_in(newest.scalar_subquery()),
            )
        )
    return token


def _own_upload(token: str) -> PendingImport:
    """The signed-in user's upload with this token: anyone else's is not found, like one over a day old."""
    upload = db.session.scalar(
        select(PendingImport).where(PendingImport.token == token, PendingImport.user_id == current_user.id)
    )
    if upload is None or upload.expired:
        abort(404, description="No such upload: uploads and how their import went are kept for a day.")
    return upload


def _claim(upload: PendingImport) -> int | None:
    """Mark the upload running as its next attempt, unless another request changed it since it was read;
    the attempt, or None if another request got there first."""
    # Read before the write transaction begins: its first step ends the read one, and with it what was read.
    upload_id, seen_attempt, seen_state = upload.id, upload.attempt, upload.state
    attempt = seen_attempt + 1
    with write_transaction() as session:
        claimed = _update_run(
            session,
            upload_id,
            seen_attempt,
            seen_state,
            {
                "state": RUNNING,
                "attempt": attempt,
                "started_at": utcnow(),
                "finished_at": None,
                "report": None,
            },
        )
    return attempt if claimed else None


def _problems_of(upload: PendingImport) -> csvfiles.Checked:
    """A rejected import's report, as csvfiles.check gave it."""
    problems = [csvfiles.Problem(*problem) for problem in upload.report["problems"]]
    return csvfiles.Checked(
        rows=upload.report["rows"], problems=problems, bad_lines={problem.line for problem in problems}
    )


def _done_messages(upload: PendingImport) -> list[str]:
    """What the import did, in the command line's words, and whether the search index is catching up."""
    counts = upload.report
    if counts is None:
        return [
            f"Imported {upload.filename}; its counts were not recorded: the audit log shows every change."
        ]
    applied = csvfiles.Applied(
        added=counts["added"], updated=counts["updated"], unchanged=counts["unchanged"]
    )
    nothing = (
        " Nothing changed: every row matches the directory." if not (applied.added or applied.updated) else ""
    )
    messages = [f"Imported {upload.filename}: {applied.summary()}.{nothing}"]
    if counts["catching_up"]:
        messages.append(
            "The search index is catching up with the import in the background; see the dashboard."
        )
    return messages


# ------------------------------------------------------------------------------------------ the import
class RunSuperseded(RuntimeError):
    """The upload was started again while this run went on (it was presumed stopped); this run must not
    commit, or it would write a file its page says was not written, or write it twice."""


def _start_in_background(upload_id: int, attempt: int, actor: Actor) -> None:
    """Run the import in a thread of this worker, as dashboard.start_index_job runs index jobs. A daemon:
    should the worker stop, the import's transaction ends with it and nothing of it is written."""
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=_run_import, args=(app, upload_id, attempt, actor), name=f"import-{upload_id}", daemon=True
    )
    thread.start()


def _run_import(app: Flask, upload_id: int, attempt: int, actor: Actor) -> None:
    """The import, recording its outcome on the upload's row; every failure is recorded as one."""
    with app.app_context():
        try:
            applied = _import(upload_id, attempt, actor)
        except csvfiles.FileRejected as rejected:
            outcome, report = REJECTED, _rejection_report(rejected.checked)
        except RunSuperseded:
            log.warning(
                "an import of upload %s was started again while it ran; this run wrote nothing", upload_id
            )
            return
        except SavedMeanwhile:
            outcome, report = FAILED, {"why": SAVED_MEANWHILE}
        except Exception:
            log.exception("the import of upload %s failed; nothing was written", upload_id)
            outcome, report = FAILED, {"why": ERROR}
        else:
            outcome, report = DONE, _done_report(applied)
        try:
            _record_outcome(upload_id, attempt, outcome, report)
        except Exception:
            # The row then shows the import running until PRESUMED_STOPPED_AFTER, then failed.
            log.exception(
                "the outcome (%s) of the import of upload %s could not be recorded", outcome, upload_id
            )


def _import(upload_id: int, attempt: int, actor: Actor) -> csvfiles.Applied:
    """Write the upload's file in one transaction, with the upload marked done in it."""
    upload = db.session.get(PendingImport, upload_id)
    data, filename = upload.data, upload.filename
    return csvfiles.apply(
        csvfiles.text_of(data),
        actor,
        note=f"import of {filename}",
        also=lambda session: _finish(session, upload_id, attempt),
    )


def _done_report(applied: csvfiles.Applied) -> dict:
    # A search catches up by itself with this many changes; past that, it would serve results without them.
    changed = applied.added + applied.updated
    catching_up = changed > search.IMPLICIT_MAX_WORK and start_index_job("catch-up")
    return {
        "added": applied.added,
        "updated": applied.updated,
        "unchanged": applied.unchanged,
        "catching_up": catching_up,
    }


def _finish(session: Session, upload_id: int, attempt: int) -> None:
    """In the import's own transaction: mark the upload done, so the import commits only if this run still
    holds it, and the file cannot be imported twice."""
    if not _update_run(
        session, upload_id, attempt, RUNNING, {"state": DONE, "finished_at": utcnow(), "data": b""}
    ):
        raise RunSuperseded(f"upload {upload_id} is no longer at attempt {attempt}")


def _record_outcome(upload_id: int, attempt: int, outcome: str, report: dict) -> None:
    """Keep how the run ended, if it is still the upload's current one. A done run marked itself done in its
    transaction (_finish); its counts follow here."""
    with write_transaction() as session:
        if outcome == DONE:
            _update_run(session, upload_id, attempt, DONE, {"report": report})
        else:
            forget_file = {"data": b""} if outcome == REJECTED else {}
            values = {"state": outcome, "finished_at": utcnow(), "report": report, **forget_file}
            _update_run(session, upload_id, attempt, RUNNING, values)


def _update_run(session: Session, upload_id: int, attempt: int, expected_state: str, changes: dict) -> bool:
    """Change the upload if it is still at this attempt and in the expected state; whether it was."""
    changed = session.execute(
        update(PendingImport)
        .where(
            PendingImport.id == upload_id,
            PendingImport.attempt == attempt,
            PendingImport.state == expected_state,
        )
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1


def _rejection_report(checked: csvfiles.Checked) -> dict:
    problems = [[problem.line, problem.column, problem.message] for problem in checked.problems]
    return {"rows": checked.rows, "problems": problems}
