"""GET /api/v1/estimate: the savings estimate as JSON, from the same parser and arithmetic as /estimate."""

from decimal import Decimal

from flask import jsonify, request

from vendors import pagecache
from vendors.api import bp, invalid_parameters
from vendors.estimator import present
from vendors.estimator.model import Estimate
from vendors.estimator.model import estimate as compute
from vendors.estimator.parameters import PARAMETERS, parse_inputs
from vendors.estimator.presets import Preset
from vendors.validation import InvalidParameters


@bp.get("/estimate")
@pagecache.cached(catalogue=lambda: False)
def estimate():
    try:
        parsed = parse_inputs(request.args)
    except InvalidParameters as error:
        return invalid_parameters(error.problems)
    return jsonify(estimate_document(compute(parsed.inputs), parsed.preset))


def estimate_document(result: Estimate, preset: Preset | None) -> dict:
    """An estimate as the API reports it, here and in each vendor's column of /api/v1/compare."""
    return {
        "currency": "USD",
        "inputs": {
            parameter.name: number(getattr(result.inputs, parameter.name)) for parameter in PARAMETERS
        },
        "preset": None if preset is None else _preset(preset),
        **{name: number(value) for name, value in present.figures(result).items()},
        "breakdown": {term: number(value) for term, value in present.breakdown(result).items()},
    }


def _preset(preset: Preset) -> dict:
    return {
        "key": preset.key,
        "country": preset.country,
        "specialisation": preset.specialisation,
        "hourly_rate_low": number(preset.low),
        "hourly_rate_typical": number(preset.typical),
        "hourly_rate_high": number(preset.high),
        "source": preset.source,
    }


def number(value: Decimal | int | None) -> float | int | None:
    """JSON numbers: whole inputs stay integers; Decimals (already rounded where shown) become floats."""
    if value is None or isinstance(value, int):
        return value
    return float(value)
