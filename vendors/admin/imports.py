"""/admin/import and /admin/export: the CSV files of vendors.catalog.csvfiles, in the browser.

An upload is checked at once and shown with the same report as `flask vendors import`; a file without
problems is kept (in the database, so any worker process can find it) until the admin confirms it, and then
written in one transaction. Uploads not confirmed within a day are dropped.
"""

import io
import secrets
from datetime import date, datetime, timedelta

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import ForeignKey, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from wtforms.validators import ValidationError

from vendors import search
from vendors.accounts.access import current_actor, requires
from vendors.admin import bp
from vendors.admin.dashboard import start_index_job
from vendors.admin.vendors import vendor_filter_from_request
from vendors.catalog import csvfiles
from vendors.database import UTCDateTime, utcnow, write_transaction
from vendors.extensions import db

UPLOAD_LIFETIME = timedelta(days=1)


class PendingImport(db.Model):
    """An uploaded CSV file that passed its checks and waits for the uploader to confirm it."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
    checked = csvfiles.check(csvfiles.text_of(data))
    if checked.problems:
        return render_template(
            "admin/import.html", form=UploadForm(), checked=checked, filename=filename
        ), 422
    preview = csvfiles.apply(csvfiles.text_of(data), current_actor(), note="", checked=checked, dry_run=True)
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
    upload = db.session.scalar(
        select(PendingImport).where(PendingImport.token == token, PendingImport.user_id == current_user.id)
    )
    if upload is None or utcnow() - upload.created_at > UPLOAD_LIFETIME:
        abort(404, description="This upload is no longer waiting: it was imported, or is over a day old.")
    data, filename = upload.data, upload.filename
    forget_upload = delete(PendingImport).where(PendingImport.token == token)
    try:
        result = csvfiles.apply(
            csvfiles.text_of(data),
            current_actor(),
            note=f"import of {filename}",
            also=lambda session: session.execute(forget_upload),
        )
    except csvfiles.FileRejected as rejected:
        page = render_template(
            "admin/import.html", form=UploadForm(), checked=rejected.checked, filename=filename
        )
        return page, 422
    nothing = (
        " Nothing changed: every row matches the directory." if not (result.added or result.updated) else ""
    )
    flash(f"Imported {filename}: {result.summary()}.{nothing}", "ok")
    if result.added + result.updated > search.IMPLICIT_MAX_WORK and start_index_job("catch-up"):
        flash("The search index is catching up with the import in the background; see the dashboard.", "ok")
    return redirect(url_for("admin.vendor_list"), 303)


@bp.get("/export")
@requires("editor")
def export():
    """The whole directory, or the vendor list's current filter, as a CSV download."""
    vendor_filter = vendor_filter_from_request()
    rows = csvfiles.export_rows(*vendor_filter.conditions())
    return csvfiles.download(rows, f"vendors-{date.today().isoformat()}.csv")


def _keep(data: bytes, filename: str) -> str:
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        session.execute(delete(PendingImport).where(PendingImport.created_at < utcnow() - UPLOAD_LIFETIME))
        session.add(PendingImport(token=token, user_id=current_user.id, filename=filename, data=data))
    return token
