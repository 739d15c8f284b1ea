"""/shortlist, /compare and /s/<token>: the buyer's shortlist, the comparison, and read-only shared links.

Every change is a POST form with a CSRF token that works without JavaScript (it redirects back to where the
buyer was); the optional script sends the same form and asks for JSON, to update the page in place.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, TooManyRequests

from vendors.accounts.access import safe_next
from vendors.catalog import csvfiles
from vendors.catalog.models import Vendor, could_be_slug, published_vendor
from vendors.database import whole_number
from vendors.directory.views import redirect_if_vendors_renamed, remembered_buyer_country
from vendors.errors import explained, http_error, prefers_json, wants_json
from vendors.estimator import parameters
from vendors.estimator.forms import EstimateForm
from vendors.estimator.model import estimate as compute
from vendors.estimator.present import usd
from vendors.extensions import db, limiter
from vendors.reference.countries import COUNTRIES, country_name
from vendors.shortlists import comparison, exports, store
from vendors.shortlists.models import ShortlistEntry
from vendors.shortlists.store import COOKIE
from vendors.throttle import ThrottledWarnings
from vendors.validation import InvalidParameters, as_spelled

bp = Blueprint("shortlists", __name__)
# While the database is away every page asks for the count: a warning a minute, not one a request.
UNAVAILABLE = ThrottledWarnings(logging.getLogger(__name__))

# Long enough to come back after a quarter's budget round; renewed on every change. Browsers cap a cookie's
# life at 400 days.
COOKIE_MAX_AGE = timedelta(days=365)
ASSUMPTIONS = tuple(
    parameter
    for parameter in parameters.PARAMETERS
    if parameter.name not in ("headcount", "salary", "hourly_rate")
)


def visitor_token() -> str | None:
    return request.cookies.get(COOKIE) or None


def current_summary() -> store.Summary:
    """The visitor's shortlist for the header of every page. When the database cannot answer, the page (an
    error page, say) still renders, with no count, rather than failing a second time."""
    if "shortlist_summary" not in g:
        try:
            g.shortlist_summary = store.summary(visitor_token())
        except SQLAlchemyError as error:
            db.session.rollback()
            UNAVAILABLE.warning("count", "shortlist count unavailable: %s", error.__class__.__name__)
            g.shortlist_summary = store.UNKNOWN
    return g.shortlist_summary


def template_helpers() -> dict:
    return {"shortlist_summary": current_summary, "shortlist_limit": store.LIMIT}


def _keep_cookie(response: Response, token: str) -> Response:
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def _renewed(response: Response) -> Response:
    """A change to an existing shortlist starts its cookie's year again."""
    token = visitor_token()
    return _keep_cookie(response, token) if store.find(token) is not None else response


def _answer(message: str, summary: store.Summary, status: int = 200, **extra) -> Response:
    """JSON for the script; for a plain form, the message on the page the buyer came from."""
    if prefers_json():
        response = jsonify(message=message, count=summary.count, limit=store.LIMIT, **extra)
        response.status_code = status
        return response
    flash(message)
    return redirect(safe_next(request.form.get("next"), "shortlists.shortlist"), 303)


# One budget for every kind of change (add, remove, note, share, revoke) from one client address.
_limit_changes = limiter.shared_limit(
    lambda: current_app.config["SHORTLIST_LIMIT_PER_ADDRESS"], scope="shortlist changes"
)


# ------------------------------------------------------------------------------------------ the shortlist
@bp.post("/shortlist/add")
@_limit_changes
def add():
    vendor = published_vendor(request.form.get("vendor", "").strip())
    if vendor is None:
        return _answer(
            "That vendor is not listed any more, so it cannot be shortlisted.",
            current_summary(),
            404,
            shortlisted=False,
        )
    try:
        token, summary = store.add(visitor_token(), vendor)
    except store.ShortlistFull as error:
        return _answer(str(error), current_summary(), 409, shortlisted=False)
    response = _answer(f"{vendor.name} is on your shortlist.", summary, shortlisted=True)
    return _keep_cookie(response, token)


@bp.post("/shortlist/remove")
@_limit_changes
def remove():
    entry_id = whole_number(request.form.get("entry"))
    slug = request.form.get("vendor", "").strip()
    name = None
    if entry_id is not None or could_be_slug(slug):
        name = store.remove(visitor_token(), vendor_slug=slug, entry_id=entry_id)
    if name is None:
        # Already off (taken off in another tab, say): the button the buyer pressed must say so too.
        return _answer("That vendor is not on your shortlist.", current_summary(), 404, shortlisted=False)
    summary = store.summary(visitor_token())
    return _renewed(_answer(f"{name} is off your shortlist.", summary, shortlisted=False))


@bp.post("/shortlist/notes/<int:entry_id>")
@_limit_changes
def save_note(entry_id: int):
    # Browsers send a line break as CRLF but count it as one character against the textarea's maxlength.
    note = request.form.get("note", "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(note) > store.NOTE_MAX_LENGTH:
        return _answer(
            f"A note holds at most {store.NOTE_MAX_LENGTH:,} characters; this one has {len(note):,}. "
            "It was not saved.",
            current_summary(),
            400,
        )
    if not store.set_note(visitor_token(), entry_id, note):
        abort(404, description="That vendor is not on your shortlist.")
    return _renewed(_answer("Note saved.", current_summary(), saved=True))


@bp.get("/shortlist")
def shortlist():
    return _shortlist_page()


@dataclass(frozen=True)
class UnsavedNote:
    entry_id: int
    note: str
    why: str


@bp.errorhandler(TooManyRequests)
@bp.errorhandler(CSRFError)
def _refused(error: HTTPException):
    """A note refused before it could be saved (past the limit on changes, or in a form the CSRF check could
    not confirm) comes back in the shortlist page, in its box as typed, with why: the visitor loses nothing
    they wrote. A client asking for JSON, and the other changes, get the site's usual answer."""
    if request.endpoint != "shortlists.save_note" or wants_json():
        return http_error(error)
    error, headers, _ = explained(error)
    unsaved = UnsavedNote(request.view_args["entry_id"], request.form.get("note", ""), error.description)
    response = _shortlist_page(unsaved)
    response.status_code = error.code
    response.headers.extend(headers)
    return response


def _shortlist_page(unsaved: UnsavedNote | None = None) -> Response:
    entries = _own_entries()
    page = render_template(
        "shortlists/shortlist.html",
        entries=entries,
        listed=[entry for entry in entries if entry.listed],
        shares=store.shares_of(store.find(visitor_token())),
        note_max=store.NOTE_MAX_LENGTH,
        unsaved=unsaved,
        **_share_form_values(
            [entry.vendor for entry in entries if entry.listed],
            parameters.default_inputs(),
            remembered_buyer_country(),
        ),
    )
    return _private_notes(Response(page))


@bp.get("/shortlist.csv")
def shortlist_csv():
    return _private_notes(csvfiles.download(exports.shortlist_rows(_own_entries()), "shortlist.csv"))


def _private_notes(response: Response) -> Response:
    """Pages with the visitor's notes are kept by their browser alone, never by a shared cache."""
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# ------------------------------------------------------------------------------------------ comparison
@bp.get("/compare")
def compare():
    form = EstimateForm(formdata=request.args)
    inputs_valid = form.validate(read_rate=False)
    buyer_country = _buyer_country(request.args)
    if not request.args.getlist("vendor"):
        return _compare_page(form, buyer_country, None, problem=None)
    try:
        vendors = comparison.parse_vendors(request.args)
    except InvalidParameters as error:
        moved = redirect_if_vendors_renamed("shortlists.compare")
        if moved is not None:
            return moved
        return _compare_page(form, buyer_country, None, problem=error.problems["vendor"]), 400
    if not inputs_valid:
        return _compare_page(form, buyer_country, None, problem=None, vendors=vendors), 400
    compared = comparison.build(
        vendors, form.parsed.inputs, buyer_country, current_app.config["NEARSHORE_MAX_HOURS"]
    )
    return _compare_page(form, buyer_country, compared, problem=None, vendors=vendors)


@bp.get("/compare.csv")
def compare_csv():
    try:
        vendors = comparison.parse_vendors(request.args)
        inputs = parameters.parse_inputs(request.args, read_rate=False).inputs
    except InvalidParameters as error:
        moved = redirect_if_vendors_renamed("shortlists.compare_csv")
        if moved is not None:
            return moved
        problems = "; ".join(f"{name}: {message}" for name, message in error.problems.items())
        abort(400, description=f"No comparison to download: {problems}.")
    compared = comparison.build(
        vendors, inputs, _buyer_country(request.args), current_app.config["NEARSHORE_MAX_HOURS"]
    )
    return csvfiles.download(exports.comparison_rows(compared), "comparison.csv")


def _buyer_country(args: MultiDict) -> str:
    code = as_spelled(args.get("buyer_country", ""), capitals=True)
    return code if code in COUNTRIES else remembered_buyer_country()


def _country_problem(args: MultiDict, buyer_country: str) -> str | None:
    """What the page says of a buyer country given in the address that is not in the list."""
    given = args.get("buyer_country", "").strip()
    if not given or as_spelled(given, capitals=True) in COUNTRIES:
        return None
    return f"That country is not in the list, so shores are shown for {country_name(buyer_country)}."


def _compare_page(form, buyer_country, compared, problem, vendors=None) -> str:
    vendors = vendors or []
    inputs = form.parsed.inputs if form.parsed else parameters.default_inputs()
    query = _comparison_args(vendors, inputs, buyer_country)
    picking = compared is None and not vendors
    return render_template(
        "shortlists/compare.html",
        form=form,
        assumption_names=[parameter.name for parameter in ASSUMPTIONS],
        assumptions=_assumptions(inputs),
        buyer_country=buyer_country,
        country_problem=_country_problem(request.args, buyer_country),
        comparison=compared,
        problem=problem,
        vendors=vendors,
        requested=request.args.getlist("vendor"),
        listed=[entry for entry in _own_entries() if entry.listed] if picking else [],
        csv_url=url_for("shortlists.compare_csv", **query) if compared else None,
        inquiry_url=url_for(
            "inquiries.inquiry", vendor=[vendor.slug for vendor in vendors], headcount=inputs.headcount
        ),
        shared=None,
        **_comparison_context(compared),
        **_share_form_values(vendors, inputs, buyer_country),
    )


def _comparison_context(compared: comparison.Comparison | None) -> dict:
    if compared is None:
        return {"attribute_rows": [], "rate_rows": [], "figure_rows": [], "in_house_annual": None, "usd": usd}
    return {
        "attribute_rows": comparison.attribute_rows(compared, country_name(compared.buyer_country)),
        "rate_rows": comparison.rate_rows(compared),
        "figure_rows": comparison.figure_rows(compared),
        "levels": comparison.LEVELS,
        # The same in every column, since every vendor replaces the same in-house team.
        "in_house_annual": compute(compared.inputs).in_house_annual,
        "usd": usd,
    }


def _own_entries() -> list[ShortlistEntry]:
    owned = store.find(visitor_token())
    return list(owned.entries) if owned else []


def _assumptions(inputs) -> list[tuple[parameters.Parameter, object]]:
    """Every input the costs were worked out with, for the shared page and for print."""
    return [
        (parameter, getattr(inputs, parameter.name))
        for parameter in parameters.PARAMETERS
        if parameter.name != "hourly_rate"
    ]


def _comparison_args(vendors: list[Vendor], inputs, buyer_country: str | None) -> dict:
    args = {name: value for name, value in parameters.as_args(inputs).items() if name != "hourly_rate"}
    if buyer_country:
        args["buyer_country"] = buyer_country
    return {"vendor": [vendor.slug for vendor in vendors], **args}


def _share_form_values(vendors: list[Vendor], inputs, buyer_country: str | None) -> dict:
    """The hidden fields of a "Share this shortlist" form: the vendors and every input, as a snapshot."""
    args = _comparison_args(vendors, inputs, buyer_country)
    fields = [("vendor", slug) for slug in args.pop("vendor")] + list(args.items())
    return {
        "share_fields": fields,
        "can_share": comparison.MIN_VENDORS <= len(vendors) <= comparison.MAX_VENDORS,
    }


# ------------------------------------------------------------------------------------------ sharing
@bp.post("/shortlist/share")
@_limit_changes
def share():
    try:
        vendors = comparison.parse_vendors(request.form)
        inputs = parameters.parse_inputs(request.form, read_rate=False).inputs
    except InvalidParameters as error:
        return _answer(f"Nothing was shared: {'; '.join(error.problems.values())}.", current_summary(), 400)
    snapshot = _comparison_args([], inputs, _buyer_country(request.form))
    snapshot.pop("vendor")
    token, share_token = store.share(visitor_token(), vendors, snapshot)
    link = url_for("shortlists.shared", share_token=share_token, _external=True)
    flash(f"Link made: {link} (anyone with it can see the comparison until you revoke it).")
    return _keep_cookie(redirect(url_for("shortlists.shortlist", _anchor="shared-links"), 303), token)


@bp.post("/shortlist/shared/<int:share_id>/revoke")
@_limit_changes
def revoke(share_id: int):
    if not store.revoke(visitor_token(), share_id):
        abort(404, description="You have no shared link with that number.")
    flash("The link is revoked: it now opens nothing.")
    return redirect(url_for("shortlists.shortlist", _anchor="shared-links"), 303)


@bp.get("/s/<share_token>")
def shared(share_token: str):
    link, compared = _shared_comparison(share_token)
    listed = [column.vendor for column in compared.listed]
    page = render_template(
        "shortlists/compare.html",
        form=None,
        buyer_country=compared.buyer_country,
        comparison=compared,
        problem=None,
        vendors=listed,
        listed=[],
        shared=link,
        csv_url=url_for("shortlists.shared_csv", share_token=share_token),
        inquiry_url=url_for("inquiries.inquiry", vendor=[vendor.slug for vendor in listed]),
        editable_url=url_for(
            "shortlists.compare", **_comparison_args(listed, compared.inputs, compared.buyer_country)
        )
        if len(listed) >= comparison.MIN_VENDORS
        else None,
        assumptions=_assumptions(compared.inputs),
        **_comparison_context(compared),
    )
    return _private(Response(page))


@bp.get("/s/<share_token>/comparison.csv")
def shared_csv(share_token: str):
    _, compared = _shared_comparison(share_token)
    return _private(csvfiles.download(exports.comparison_rows(compared), "comparison.csv"))


def _shared_comparison(share_token: str):
    link = store.shared(share_token)
    if link is None:
        abort(404, description="This shared link does not exist or was revoked by the person who made it.")
    by_id = {
        vendor.id: vendor
        for vendor in db.session.scalars(
            select(Vendor).where(
                Vendor.id.in_([entry["id"] for entry in link.vendors]), Vendor.status == "published"
            )
        )
    }
    vendors = [by_id.get(entry["id"], entry) for entry in link.vendors]
    inputs = parameters.parse_inputs(link.inputs, read_rate=False).inputs
    buyer_country = link.inputs.get("buyer_country") or current_app.config["BUYER_COUNTRY"]
    return link, comparison.build(vendors, inputs, buyer_country, current_app.config["NEARSHORE_MAX_HOURS"])


def _private(response: Response) -> Response:
    """A shared link's pages stay out of search engines, shared caches and other sites' referrer logs."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
