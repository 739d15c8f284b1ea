"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json and read by people at /api.

Built from the same declarations the API parses with (the facets and their values, the sort orders, the
estimator's parameters and presets, the country codes), so those cannot drift apart; tests/test_openapi.py
records every parameter each route actually reads and fails when one is missing here, and
tests/test_api_schemathesis.py fuzzes a live server from this description and fails on any answer it does not
describe. The API holds requests to it too: a parameter described as taking one value is refused when given
several.
"""

from decimal import Decimal
from functools import cache

from flask import current_app, jsonify, render_template, request
from limits.storage import MemoryStorage

from vendors.api import bp, invalid_parameters
from vendors.catalog.models import SLUG_MAX_LENGTH, SLUG_PATTERN
from vendors.catalog.rules import SHORES
from vendors.directory.params import (
    DEFAULT_PER_PAGE,
    FACET_TITLES,
    FACET_VALUES,
    MAX_PER_PAGE,
    MAX_RATE,
    SORTS,
)
from vendors.estimator.parameters import PARAMETERS
from vendors.estimator.present import BREAKDOWN_TERMS, MONEY_FIGURES
from vendors.estimator.presets import all_presets
from vendors.extensions import limiter
from vendors.reference.countries import COUNTRIES
from vendors.search import MAX_QUERY_LENGTH
from vendors.shortlists.comparison import LEVELS, MAX_VENDORS, MIN_VENDORS

COUNTRY_CODE = {
    "type": "string",
    "enum": list(COUNTRIES),
    "description": "ISO 3166-1 alpha-2 code, in any case, spaces around it ignored",
}
SLUG = {
    "type": "string",
    "pattern": SLUG_PATTERN.pattern,
    "maxLength": SLUG_MAX_LENGTH,
    "description": "Lower-case letters and digits, words joined by hyphens",
}
# The listing parses page numbers of up to nine digits; longer ones are refused as too large.
MAX_PAGE = 999_999_999
# Seconds, in the Retry-After header of a 429 or 503.
RETRY_AFTER = {
    "description": "Seconds to wait before asking again",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
_RESPONSES = {
    "301": {"$ref": "#/components/responses/Renamed"},
    "400": {"$ref": "#/components/responses/Invalid"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
    "503": {"$ref": "#/components/responses/Unavailable"},
}


def _schema(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _strings(values) -> dict:
    return {"type": "array", "items": {"type": "string", "enum": list(values)}}


def _query(name: str, description: str, schema: dict, *, many: bool = False) -> dict:
    """An optional query parameter. Sent blank, it counts as not sent (its default applies), as in the
    site's forms, which leave unused fields blank."""
    if many:  # each value once: the parsers read a repeated one once
        schema = {"type": "array", "items": schema, "uniqueItems": True}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "description": description,
        "schema": schema,
    }


def _listing_parameters() -> list[dict]:
    facets = [
        _query(
            facet,
            f"{FACET_TITLES[facet]}; repeat for several (OR-ed)",
            {"type": "string", "enum": list(values)},
            many=True,
        )
        for facet, values in FACET_VALUES.items()
    ]
    rate = {"type": "number", "minimum": 0, "maximum": int(MAX_RATE)}
    return [
        _query("q", "Search words", {"type": "string", "maxLength": MAX_QUERY_LENGTH}),
        _query("buyer_country", "The buyer's country, which shores are judged from", COUNTRY_CODE),
        *facets,
        _query("rate_min", "Lowest hourly rate, USD, written without an exponent", rate),
        _query("rate_max", "Highest hourly rate, USD, written without an exponent; not below rate_min", rate),
        _query("sort", "Order of the results", {"type": "string", "enum": list(SORTS)}),
        _query(
            "page",
            "Page number, up to the last page, in digits (at most nine)",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        ),
        _query(
            "per_page",
            "Results per page, in digits",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        ),
    ]


def _plain(value: Decimal) -> int | float:
    """A bound or default as people write it: 50, not 50.0."""
    return int(value) if value == value.to_integral_value() else float(value)


def _estimate_parameters(rate: bool = True) -> list[dict]:
    numbers = [
        _query(
            p.name,
            f"{p.label} ({p.unit})" + ("" if p.whole else ", written without an exponent"),
            {
                "type": "integer" if p.whole else "number",
                "minimum": _plain(p.low),
                "maximum": _plain(p.high),
                "default": _plain(p.default),
            },
        )
        for p in PARAMETERS
        if rate or p.name != "hourly_rate"
    ]
    extra = []
    if rate:
        extra.append(
            _query(
                "preset",
                "A rate preset: its typical rate is the vendor rate, and hourly_rate is not read",
                {"type": "string", "enum": list(all_presets())},
            )
        )
    return [*numbers, *extra]


def _compared_vendors() -> dict:
    parameter = _query("vendor", "A published vendor's slug; repeat for each", SLUG, many=True)
    parameter["schema"] |= {"minItems": MIN_VENDORS, "maxItems": MAX_VENDORS}
    return parameter | {"required": True}


def _get(summary: str, parameters: list[dict], answer: dict, *errors: str) -> dict:
    """A GET with its 200 `answer` and the answers under `errors`, named as in components/responses. Every
    route shares the per-address limit, so every one may answer 429."""
    responses = {"200": answer} | {status: _RESPONSES[status] for status in errors}
    responses["429"] = _RESPONSES["429"]
    operation = {"summary": summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


def _ok(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _schema(schema)}}}


def _problem(description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": _schema("Problem")}}}
    if headers:
        response["headers"] = headers
    return response


def _object(properties: dict, description: str | None = None) -> dict:
    """An object that always has every one of its properties (null where a value may be missing)."""
    schema = {"type": "object", "required": list(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


def _schemas() -> dict:
    estimate_inputs = {p.name: {"type": "integer"} if p.whole else {"type": "number"} for p in PARAMETERS}
    compared_inputs = {name: schema for name, schema in estimate_inputs.items() if name != "hourly_rate"}
    undisclosed_rate = {"type": ["number", "null"], "description": "USD; null when undisclosed"}
    vendor_summary = {
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "tagline": {"type": "string"},
        "url": {"type": "string", "format": "uri", "description": "The vendor's page on this site"},
        "hq_country": {"type": "string"},
        "delivery_countries": {"type": "array", "items": _schema("DeliveryCountry")},
        "shore": _strings(SHORES),
        "size_band": {"type": "string", "enum": list(FACET_VALUES["size"])},
        "employees": {"type": "integer"},
        "hourly_rate_min": undisclosed_rate,
        "hourly_rate_max": undisclosed_rate,
        "rate_band": {"type": "string", "enum": list(FACET_VALUES["rate_band"])},
        "specialisations": _strings(FACET_VALUES["specialisation"]),
        "languages": _strings(FACET_VALUES["language"]),
        "certifications": _strings(FACET_VALUES["certification"]),
        "channels": _strings(FACET_VALUES["channel"]),
        "coverage": {"type": "string", "enum": list(FACET_VALUES["coverage"])},
        "verified_at": {"type": ["string", "null"], "format": "date"},
    }
    vendor_details = {
        "hq_country_name": {"type": "string"},
        "description": {"type": "string"},
        "website": {"type": "string"},
        "contact_email": {"type": "string"},
        "founded_year": {"type": ["integer", "null"]},
        "min_seats": {"type": ["integer", "null"]},
        "verification_stale": {"type": "boolean"},
        "buyer_country": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    }
    compared = {
        "rate_source": {
            "enum": ["vendor", "preset", None],
            "description": "Where the estimates' rates come from: the vendor's own range, or the typical "
            "range of a rate preset while the vendor's is undisclosed; null when there is neither",
        },
        **{f"estimate_{level}": _nullable(_schema("Estimate")) for level in LEVELS},
    }
    understood = {
        "words": {"type": "string"},
        "facet": {"type": "string", "enum": list(FACET_VALUES)},
        "values": {"type": "array", "items": {"type": "string"}},
        "label": {"type": "string"},
        "as_words": {"type": "string", "description": "The search reading those words as text"},
    }
    facet_counts = {
        facet: {
            "type": "object",
            "propertyNames": {"enum": list(values)},
            "additionalProperties": {"type": "integer", "minimum": 0},
        }
        for facet, values in FACET_VALUES.items()
    }
    suggested = {
        "name": {"type": "string"},
        "slug": {"type": "string"},
        "url": {"type": "string", "format": "uri", "description": "The vendor's page on this site"},
    }
    return {
        "Invalid": _object(
            {
                "error": {"const": "invalid_parameters"},
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": _object({"parameter": {"type": "string"}, "message": {"type": "string"}}),
                },
            }
        ),
        "Problem": _object({"error": {"type": "string"}, "message": {"type": "string"}}),
        "DeliveryCountry": _object(
            {
                "code": {"type": "string"},
                "name": {"type": "string"},
                "shore": {"type": "string", "enum": list(SHORES), "description": "Seen from buyer_country"},
            }
        ),
        "VendorSummary": _object(vendor_summary),
        "Vendor": {"allOf": [_schema("VendorSummary"), _object(vendor_details)]},
        "Listing": _object(
            {
                "total": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "pages": {"type": "integer", "minimum": 0},
                "buyer_country": {"type": "string"},
                "sort": {"type": "string", "enum": list(SORTS)},
                "q": {"type": "string", "description": "The search words as read, spaces collapsed"},
                "suggestion": {"type": ["string", "null"], "description": "A better spelling of q"},
                "understood": {
                    "type": "array",
                    "items": _object(understood, "Filter values the search's words named"),
                },
                "partial": {"type": "boolean", "description": "No vendor matched every word"},
                "items": {"type": "array", "items": _schema("VendorSummary")},
                "facets": _object(facet_counts, "Per filter, how many vendors each value would give"),
            }
        ),
        "Suggestions": _object(
            {
                "q": {"type": "string"},
                "names": {"type": "array", "maxItems": 8, "items": {"type": "string"}},
                "vendors": {"type": "array", "maxItems": 8, "items": _object(suggested)},
            }
        ),
        "Preset": _object(
            {
                "key": {"type": "string"},
                "country": {"type": "string"},
                "specialisation": {"type": "string"},
                "hourly_rate_low": {"type": "number"},
                "hourly_rate_typical": {"type": "number"},
                "hourly_rate_high": {"type": "number"},
                "source": {"type": "string"},
            }
        ),
        "Estimate": _object(
            {
                "currency": {"const": "USD"},
                "inputs": _object(estimate_inputs),
                "preset": _nullable(_schema("Preset")),
                **{figure: {"type": "number"} for figure in MONEY_FIGURES},
                "savings_pct": {"type": "number"},
                "payback_months": {"type": ["number", "null"], "description": "null when nothing is saved"},
                "breakdown": _object(
                    {term: {"type": "number"} for term in BREAKDOWN_TERMS}, "Each cost per position a year"
                ),
            }
        ),
        "Comparison": _object(
            {
                "currency": {"const": "USD"},
                "buyer_country": {"type": "string"},
                "inputs": _object(compared_inputs),
                "vendors": {
                    "type": "array",
                    "minItems": MIN_VENDORS,
                    "maxItems": MAX_VENDORS,
                    "items": {"allOf": [_schema("Vendor"), _object(compared)]},
                },
            }
        ),
    }


def describe() -> dict:
    slug = {
        "name": "slug",
        "in": "path",
        "required": True,
        "description": "The vendor's slug",
        "schema": SLUG,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Open BPO Directory API",
            "version": "1",
            "description": "Published vendors, search, the savings estimate and side-by-side comparison. "
            "Amounts are in US dollars. Read-only; no key needed; limited per client address. "
            "Every path takes GET (with HEAD and OPTIONS) only: another method is a 405 naming them in "
            "Allow, with {error, message} as its body, as is the 404 of an address no path here matches.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/vendors": _get(
                "List and search published vendors",
                _listing_parameters(),
                _ok("One page of vendors", "Listing"),
                "400",
                "503",
            ),
            "/vendors/{slug}": _get(
                "One published vendor",
                [slug, _query("buyer_country", "The buyer's country", COUNTRY_CODE)],
                _ok("Every public field of the vendor", "Vendor"),
                "301",
                "400",
                "404",
                "503",
            ),
            "/suggest": _get(
                "Vendor names for a search box",
                [
                    _query(
                        "q", "What has been typed so far", {"type": "string", "maxLength": MAX_QUERY_LENGTH}
                    )
                ],
                _ok("Up to 8 names, with each vendor's page", "Suggestions"),
                "400",
                "503",
            ),
            "/estimate": _get(
                "The savings estimate",
                _estimate_parameters(),
                _ok("The estimate and its breakdown", "Estimate"),
                "400",
            ),
            "/compare": _get(
                "2 to 6 vendors side by side, each with its estimate",
                [
                    _compared_vendors(),
                    *_estimate_parameters(rate=False),
                    _query("buyer_country", "The buyer's country", COUNTRY_CODE),
                ],
                _ok("The vendors and their estimates", "Comparison"),
                "301",
                "400",
                "503",
            ),
            "/openapi.json": _get(
                "This description",
                [],
                {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "400",
            ),
        },
        "components": {
            "responses": {
                "Renamed": {
                    "description": "A vendor named has a new slug: the same request naming it by that slug",
                    "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
                },
                "Invalid": {
                    "description": "Bad parameters, each named with what is wrong; or, as {error, message}, "
                    "a Host header naming a host this site does not serve",
                    "content": {
                        "application/json": {"schema": {"anyOf": [_schema("Invalid"), _schema("Problem")]}}
                    },
                },
                "NotFound": _problem("No published vendor has this slug"),
                "TooManyRequests": _problem(
                    "Too many requests from this address", {"Retry-After": RETRY_AFTER}
                ),
                "Unavailable": _problem("The database is not answering", {"Retry-After": RETRY_AFTER}),
            },
            "schemas": _schemas(),
        },
    }


@cache
def _single_valued() -> dict[str, frozenset[str]]:
    """Per path, the query parameters described as taking one value."""
    return {
        path: frozenset(
            parameter["name"]
            for parameter in operations["get"].get("parameters", [])
            if parameter["in"] == "query" and parameter["schema"]["type"] != "array"
        )
        for path, operations in describe()["paths"].items()
    }


@bp.before_request
def refuse_repeated_values():
    """A parameter described as taking one value but given several is refused rather than guessed at (the
    parsers would read the first and ignore the rest)."""
    path = request.url_rule.rule.removeprefix(bp.url_prefix).replace("<", "{").replace(">", "}")
    single = _single_valued().get(path, frozenset())
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1 and name in single)
    if repeated:
        return invalid_parameters({name: "given more than once: give one value" for name in repeated})
    return None


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(describe())


def reference_page():
    """The description as a page for people (/api)."""
    description = describe()
    return render_template(
        "api/reference.html",
        description=description,
        answers=_answers(description),
        api_limit=current_app.config["API_LIMIT_PER_ADDRESS"],
        limit_shared=not isinstance(limiter.storage, MemoryStorage),  # memory:// counts in each process
    )


def _answers(description: dict) -> dict[str, list[tuple[str, str]]]:
    """Each path's status codes in order, with what each means (shared responses looked up)."""
    shared = description["components"]["responses"]

    def meaning(response: dict) -> str:
        reference = response.get("$ref")
        return (shared[reference.rsplit("/", 1)[1]] if reference else response)["description"]

    return {
        path: [(code, meaning(response)) for code, response in sorted(operations["get"]["responses"].items())]
        for path, operations in description["paths"].items()
    }
