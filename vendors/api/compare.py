"""GET /api/v1/compare: 2 to 6 vendors side by side, each with the estimate at its low and high rate."""

from flask import current_app, jsonify, request

from vendors import pagecache
from vendors.api import bp, invalid_parameters
from vendors.api.estimate import estimate_document, number
from vendors.api.vendors import vendor_details
from vendors.directory.views import redirect_if_vendors_renamed
from vendors.estimator.parameters import PARAMETERS, parse_inputs
from vendors.reference.countries import COUNTRIES
from vendors.shortlists import comparison
from vendors.validation import InvalidParameters, as_spelled


@bp.get("/compare")
@pagecache.cached()
def compare():
    problems: dict[str, str] = {}
    vendors, inputs = [], None
    try:
        vendors = comparison.parse_vendors(request.args)
    except InvalidParameters as error:
        moved = redirect_if_vendors_renamed("api.compare")
        if moved is not None:
            return moved
        problems.update(error.problems)
    try:
        inputs = parse_inputs(request.args, read_rate=False).inputs
    except InvalidParameters as error:
        problems.update(error.problems)
    buyer_country = (
        as_spelled(request.args.get("buyer_country", ""), capitals=True)
        or current_app.config["BUYER_COUNTRY"]
    )
    if buyer_country not in COUNTRIES:
        problems["buyer_country"] = f"{buyer_country[:10]!r} is not a country code the directory knows"
    if problems:
        return invalid_parameters(problems)
    compared = comparison.build(vendors, inputs, buyer_country, current_app.config["NEARSHORE_MAX_HOURS"])
    return jsonify(
        currency="USD",
        buyer_country=buyer_country,
        inputs={
            parameter.name: number(getattr(inputs, parameter.name))
            for parameter in PARAMETERS
            if parameter.name != "hourly_rate"
        },
        vendors=[_column(column, buyer_country) for column in compared.columns],
    )


def _column(column: comparison.Column, buyer_country: str) -> dict:
    preset = None if column.rates is None else column.rates.preset
    estimates = {
        f"estimate_{level}": estimate_document(column.estimates[level], preset) if column.estimates else None
        for level in comparison.LEVELS
    }
    return {**vendor_details(column.vendor, buyer_country), "rate_source": column.rate_source, **estimates}
