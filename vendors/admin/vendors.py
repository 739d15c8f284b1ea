"""/admin/vendors: every vendor in every status, and the editor."""

from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from vendors.accounts.access import current_actor, requires, safe_next
from vendors.admin import bp, worklist
from vendors.audit import AuditEntry
from vendors.catalog.forms import VendorForm, form_data
from vendors.catalog.models import Vendor
from vendors.catalog.records import FACET_FIELDS, RecordError, parse_record, plain_values, vendor_record
from vendors.catalog.writes import EditConflict, SavedMeanwhile, catalogue_writes, conflicting_changes
from vendors.database import MAX_ROW_ID
from vendors.directory import present, vendorpages
from vendors.extensions import db
from vendors.reference.taxonomy import STATUSES
from vendors.validation import digits_up_to

STATUS_ACTIONS = {"published": "Publish", "draft": "Unpublish", "archived": "Archive"}
OUT_OF_STEP = (
    "This form is out of step with the vendor: it is based on version {version}, which the vendor has not "
    "reached. Nothing was saved; open the vendor again and make your changes there."
)


def vendor_filter_from_request() -> worklist.VendorFilter:
    status = request.args.get("status", "")
    problem = request.args.get("problem", "")
    return worklist.VendorFilter(
        q=" ".join(request.args.get("q", "").split())[:200],
        status=status if status in STATUSES else "",
        problem=problem if problem in worklist.PROBLEMS else "",
    )


@bp.get("/vendors")
@requires("editor")
def vendor_list():
    vendor_filter = vendor_filter_from_request()
    page = worklist.vendor_page(vendor_filter, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "admin/vendors.html",
        page=page,
        vendor_filter=vendor_filter,
        statuses=STATUSES,
        problems=worklist.PROBLEMS,
        action_form=FlaskForm(),
        status_actions=STATUS_ACTIONS,
    )


@bp.route("/vendors/new", methods=["GET", "POST"])
@requires("editor")
def vendor_new():
    form = VendorForm(data={"status": "draft", "coverage": "business-hours"})
    if form.validate_on_submit():
        try:
            with catalogue_writes(current_actor(), note="admin form") as writer:
                vendor = writer.create(form.record())
                writer.flush()
                vendor_id, name = vendor.id, vendor.name
        except RecordError as error:
            form.show_problems(error)
        else:
            flash(f"{name} is saved.", "ok")
            return redirect(url_for("admin.vendor_edit", vendor_id=vendor_id), 303)
    return render_template("admin/vendor_form.html", form=form, vendor=None), 400 if form.errors else 200


@bp.route("/vendors/<int:vendor_id>/edit", methods=["GET", "POST"])
@requires("editor")
def vendor_edit(vendor_id: int):
    vendor = _vendor_or_404(vendor_id)
    saved = form_data(vendor_record(vendor))
    # The version is the one the form was opened at: a send without it must not take the current one, which
    # would pass the conflict check whatever was saved since the form was opened.
    form = VendorForm(data=saved | {"version": vendor.version} if request.method == "GET" else saved)
    conflict = None
    if form.validate_on_submit():
        conflict = _save_edit(vendor_id, form)
        if conflict is None and not form.errors:
            return redirect(url_for("admin.vendor_edit", vendor_id=vendor_id), 303)
        vendor = _vendor_or_404(vendor_id)
    status = 409 if conflict else 400 if form.errors else 200
    page = render_template(
        "admin/vendor_form.html", form=form, vendor=vendor, conflict=conflict, status_actions=STATUS_ACTIONS
    )
    return page, status


def _save_edit(vendor_id: int, form: VendorForm) -> "Conflict | None":
    """Save the form; returns the conflict when someone else saved first, else None."""
    expected = digits_up_to(str(form.version.data), MAX_ROW_ID)
    if expected is None:
        abort(400, description="The form lost its version number; open the vendor again.")
    try:
        with catalogue_writes(current_actor(), note="admin form") as writer:
            vendor = writer.session.get(Vendor, vendor_id) or abort(404)
            changes = writer.update(vendor, form.record(vendor_record(vendor)), expected_version=expected)
            name = vendor.name
    except RecordError as error:
        form.show_problems(error)
        return None
    except EditConflict as conflict:
        entries = conflicting_changes(vendor_id, conflict.expected_version)
        if not entries:  # no save came after the form's version: the vendor never reached it
            abort(409, description=OUT_OF_STEP.format(version=conflict.expected_version))
        return _merge_theirs(form, entries)
    flash(f"{name}: {len(changes)} field(s) saved." if changes else f"{name}: nothing had changed.", "ok")
    return None


@dataclass
class Conflict:
    entries: list[AuditEntry]  # the other saves, oldest first
    taken: list[str]  # fields only the others changed: the form now holds their values
    both: list[str]  # fields both sides changed: the form keeps this editor's values


def _merge_theirs(form: VendorForm, entries: list[AuditEntry]) -> Conflict:
    """Bring the other saves into the form where this editor left a field as it was, and move the form to
    the latest version, so saving again keeps both sides' work and overwrites only what both changed."""
    base: dict[str, object] = {}
    theirs: dict[str, object] = {}
    for entry in entries:
        for field_name, (old, new) in entry.changes.items():
            base.setdefault(field_name, old)
            theirs[field_name] = new
    try:
        mine = plain_values(parse_record(form.record()))
    except RecordError:
        mine = {}
    taken, both = [], []
    for field_name, value in theirs.items():
        if field_name not in form or field_name not in mine:
            continue
        if _same_value(field_name, mine[field_name], base[field_name]):
            form_value = form_data({field_name: value})[field_name]
            form[field_name].data = form_value
            form[field_name].raw_data = form_value if isinstance(form_value, list) else [str(form_value)]
            taken.append(field_name)
        elif not _same_value(field_name, mine[field_name], value):
            both.append(field_name)
    form.version.data = str(entries[-1].version)
    form.version.raw_data = [form.version.data]
    return Conflict(entries, taken, both)


def _same_value(field_name: str, typed, saved) -> bool:
    """Whether the form holds a saved value. A list's checkboxes say which items are ticked, not in what order
    (a browser sends them in page order, and saving keeps the vendor's own order), so lists are compared by
    their items: otherwise a list the editor left alone would count as changed by them."""
    if field_name in FACET_FIELDS:
        return set(typed or []) == set(saved or [])
    return typed == saved


@bp.get("/vendors/<int:vendor_id>/preview")
@requires("editor")
def vendor_preview(vendor_id: int):
    vendor = _vendor_or_404(vendor_id)
    buyer_country = current_app.config["BUYER_COUNTRY"]
    places = vendorpages.Places(buyer_country, back_to_listing="", return_to="")  # it has no shortlist form
    return render_template(
        "directory/vendor.html",
        vendor=vendor,
        stale=present.is_stale(vendor.verified_at),
        preview=True,
        **places.values(vendor.delivery_countries),
    )


@bp.post("/vendors/<int:vendor_id>/status")
@requires("editor")
def vendor_status(vendor_id: int):
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400, description=f"{status!r} is not a status; use one of {', '.join(STATUSES)}.")
    message = _quick_change(vendor_id, {"status": status})
    flash(message, "ok")
    return redirect(_back_to(vendor_id), 303)


@bp.post("/vendors/<int:vendor_id>/verify")
@requires("editor")
def vendor_verify(vendor_id: int):
    flash(_quick_change(vendor_id, {"verified_at": date.today()}), "ok")
    return redirect(_back_to(vendor_id), 303)


@bp.route("/vendors/<int:vendor_id>/delete", methods=["GET", "POST"])
@requires("editor")
def vendor_delete(vendor_id: int):
    vendor = _vendor_or_404(vendor_id)
    form = FlaskForm()
    if form.validate_on_submit():
        name = vendor.name
        try:
            with catalogue_writes(current_actor(), note="admin form") as writer:
                writer.delete(writer.session.get(Vendor, vendor_id) or abort(404))
        except SavedMeanwhile:
            flash(
                f"{name} was saved by someone else just now and is not deleted: check it, then try again.",
                "ok",
            )
            return redirect(url_for("admin.vendor_edit", vendor_id=vendor_id), 303)
        flash(f"{name} is deleted. Its audit trail is kept.", "ok")
        return redirect(url_for("admin.vendor_list"), 303)
    return render_template("admin/vendor_delete.html", vendor=vendor, form=form)


def _quick_change(vendor_id: int, changes: dict) -> str:
    """One field changed by a button (CSRFProtect has checked the form); returns what happened."""
    try:
        with catalogue_writes(current_actor(), note="admin action") as writer:
            vendor = writer.session.get(Vendor, vendor_id)
            if vendor is None:
                abort(404)
            diff = writer.update(vendor, changes)
            name = vendor.name
    except RecordError as error:
        return f"Not saved: {error}"
    except SavedMeanwhile:
        return "Not saved: someone else saved this vendor at the same moment. Try again."
    if not diff:
        return f"{name}: nothing had changed."
    field, (old, new) = next(iter(diff.items()))
    return f"{name}: {field.replace('_', ' ')} {old or '(empty)'} → {new}."


def _back_to(vendor_id: int) -> str:
    """Where the button was pressed (the list keeps its filters), else the vendor's editor."""
    target = request.form.get("back")
    return safe_next(target) if target else url_for("admin.vendor_edit", vendor_id=vendor_id)


def _vendor_or_404(vendor_id: int) -> Vendor:
    db.session.expire_all()
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None:
        abort(404, description="There is no vendor with this number; it may have been deleted.")
    return vendor
