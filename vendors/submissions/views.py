"""/submit: "List your company", the public side of the submissions queue."""

from flask import Blueprint, redirect, render_template, request, url_for

from vendors.catalog.records import RecordError
from vendors.extensions import limit_accepted_posts
from vendors.submissions import queue
from vendors.submissions.forms import SubmissionForm

bp = Blueprint("submissions", __name__)


@bp.route("/submit", methods=["GET", "POST"])
@limit_accepted_posts("SUBMIT_LIMIT_PER_ADDRESS")
def submit():
    form = SubmissionForm(data={"coverage": "business-hours"})
    if form.validate_on_submit():
        if form.homepage.data:
            # Filled in by software, not a person: answer as if it worked, keep nothing.
            return redirect(url_for("submissions.received"), 303)
        try:
            queue.receive(form.record(), form.submitter_name.data, form.submitter_email.data)
        except RecordError as error:
            form.show_problems(error)
        else:
            return redirect(url_for("submissions.received"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("submissions/submit.html", form=form), status


@bp.get("/submit/received")
def received():
    return render_template("submissions/received.html")
