"""GET /api/v1/estimate: the savings estimate as JSON, from the same parser and arithmetic as /estimate."""

from decimal import Decimal

from flask import jsonify, request

from vendors.api import bp, invalid_parameters
from vendors.estimator import present
from vendors.estimator.model import estimate as compute
from vendors.estimator.parameters import PARAMETERS, parse_inputs
from vendors.validation import InvalidParameters


@bp.get("/estimate")
def estimate():
    try:
        parsed = parse_inputs(request.args)
    except InvalidParameters as error:
        return invalid_parameters(error.problems)
    result = compute(parsed.inputs)
    preset = parsed.preset
    return jsonify(
        currency="USD",
        inputs={parameter.name: _number(getattr(parsed.inputs, parameter.name)) for parameter in PARAMETERS},
        preset=None
        if preset is None
        else {
            "key": preset.key,
            "country": preset.country,
            "specialisation": preset.specialisation,
            "hourly_rate_low": _number(preset.low),
            "hourly_rate_typical": _number(preset.typical),
            "hourly_rate_high": _number(preset.high),
            "source": preset.source,
        },
        **{name: _number(value) for name, value in present.figures(result).items()},
        breakdown={term: _number(value) for term, value in present.breakdown(result).items()},
    )


def _number(value: Decimal | int | None) -> float | int | None:
    """JSON numbers: whole inputs stay integers; Decimals (already rounded where shown) become floats."""
    if value is None or isinstance(value, int):
        return value
    return float(value)
