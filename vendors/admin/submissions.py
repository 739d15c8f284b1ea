"""/admin/submissions: the queue of listings sent in through /submit."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from vendors.accounts.access import current_actor, requires
from vendors.admin import bp
from vendors.catalog.forms import VendorForm
from vendors.catalog.models import Vendor
from vendors.catalog.records import RecordError
from vendors.extensions import db
from vendors.forms import at_most
from vendors.submissions import queue
from vendors.submissions.models import STATES, Submission

DECISIONS = {"draft": "Approve as a draft", "published": "Approve and publish"}


class RejectForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired("Say why, for the record."), at_most(2000)])


@bp.get("/submissions")
@requires("editor")
def submission_list():
    state = request.args.get("status", "pending")
    state = state if state in STATES else "pending"
    submissions = db.session.scalars(
        select(Submission).where(Submission.status == state).order_by(Submission.created_at.desc()).limit(200)
    )
    counts = dict(
        db.session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all()
    )
    submissions = list(submissions)
    return render_template(
        "admin/submissions.html",
        submissions=submissions,
        state=state,
        states=STATES,
        counts=counts,
        still_listed=_still_listed(submissions),
    )


def _still_listed(submissions: list[Submission]) -> set[int]:
    """The ids of the vendors these submissions' approvals created that have not been deleted since."""
    created = [submission.vendor_id for submission in submissions if submission.vendor_id]
    return set(db.session.scalars(select(Vendor.id).where(Vendor.id.in_(created)))) if created else set()


@bp.route("/submissions/<int:submission_id>", methods=["GET", "POST"])
@requires("editor")
def submission_review(submission_id: int):
    submission = db.session.get(Submission, submission_id) or abort(404)
    form = VendorForm(data={**submission.record, "status": "draft"})
    if submission.status == "pending" and form.validate_on_submit():
        decision = request.form.get("decision")
        if decision not in DECISIONS:
            abort(400, description="Choose to approve as a draft or to publish.")
        try:
            vendor = queue.approve(submission_id, {**form.record(), "status": decision}, current_actor())
        except RecordError as error:
            form.show_problems(error)
        except queue.AlreadyDecided as error:
            flash(str(error).capitalize() + ".", "ok")
            return redirect(url_for("admin.submission_review", submission_id=submission_id), 303)
        else:
            flash(f"{vendor.name} is listed as {decision}. You can edit it below.", "ok")
            return redirect(url_for("admin.vendor_edit", vendor_id=vendor.id), 303)
    status = 400 if form.errors else 200
    return render_template(
        "admin/submission.html",
        submission=submission,
        form=form,
        reject_form=RejectForm(),
        decisions=DECISIONS,
        still_listed=_still_listed([submission]),
    ), status


@bp.post("/submissions/<int:submission_id>/reject")
@requires("editor")
def submission_reject(submission_id: int):
    submission = db.session.get(Submission, submission_id) or abort(404)
    reject_form = RejectForm()
    if reject_form.validate():
        try:
            queue.reject(submission_id, reject_form.reason.data, current_actor())
        except queue.AlreadyDecided as error:
            flash(str(error).capitalize() + ".", "ok")
        else:
            flash(f"Submission #{submission_id} ({submission.name}) is rejected.", "ok")
        return redirect(url_for("admin.submission_list"), 303)
    # The submission's own values: what this request sent (a reason) is not the vendor form's.
    form = VendorForm(formdata=None, data={**submission.record, "status": "draft"})
    return render_template(
        "admin/submission.html",
        submission=submission,
        form=form,
        reject_form=reject_form,
        decisions=DECISIONS,
        still_listed=_still_listed([submission]),
    ), 400
