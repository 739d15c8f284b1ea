"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json and read by people at /api.

Built from the same declarations the API parses with (the facets and their values, the sort orders, the
estimator's parameters), so those cannot drift apart; tests/test_openapi.py records every parameter each route
actually reads and fails when one is missing here.
"""

from flask import jsonify, render_template

from vendors.api import bp
from vendors.directory.params import DEFAULT_PER_PAGE, FACET_TITLES, FACET_VALUES, MAX_PER_PAGE, SORTS
from vendors.estimator.parameters import PARAMETERS
from vendors.search import MAX_QUERY_LENGTH

COUNTRY_CODE = {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2 code"}
ERROR = {
    "description": "Bad parameters, each named with what is wrong",
    "$ref": "#/components/responses/Invalid",
}


def _query(name: str, description: str, schema: dict, *, many: bool = False) -> dict:
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _listing_parameters() -> list[dict]:
    facets = [
        _query(
            facet,
            f"{FACET_TITLES[facet]}; repeat for several (OR-ed)",
            {"type": "string", "enum": list(values)},
            many=True,
        )
        for facet, values in FACET_VALUES.items()
        if facet != "country"
    ]
    return [
        _query("q", "Search words", {"type": "string", "maxLength": MAX_QUERY_LENGTH}),
        _query("buyer_country", "The buyer's country, which shores are judged from", COUNTRY_CODE),
        _query("country", "Delivery country; repeat for several (OR-ed)", COUNTRY_CODE, many=True),
        *facets,
        _query("rate_min", "Lowest hourly rate, USD", {"type": "number", "minimum": 0, "maximum": 1000}),
        _query("rate_max", "Highest hourly rate, USD", {"type": "number", "minimum": 0, "maximum": 1000}),
        _query("sort", "Order of the results", {"type": "string", "enum": list(SORTS)}),
        _query("page", "Page number", {"type": "integer", "minimum": 1}),
        _query(
            "per_page",
            "Results per page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        ),
    ]


def _estimate_parameters(rate: bool = True) -> list[dict]:
    numbers = [
        _query(p.name, f"{p.label} ({p.unit})", {"type": "number", "default": float(p.default)})
        for p in PARAMETERS
        if rate or p.name != "hourly_rate"
    ]
    extra = []
    if rate:
        extra.append(
            _query("preset", "A rate preset: the vendor rate is its typical rate", {"type": "string"})
        )
    return [*numbers, *extra]


def _get(summary: str, parameters: list[dict], described: str, not_found: bool = False) -> dict:
    responses = {
        "200": {"description": described, "content": {"application/json": {"schema": {"type": "object"}}}}
    }
    responses["400"] = ERROR
    if not_found:
        responses["404"] = {
            "description": "No published vendor has this slug",
            "$ref": "#/components/responses/Problem",
        }
    responses["429"] = {
        "description": "Too many requests from this address",
        "$ref": "#/components/responses/Problem",
    }
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def describe() -> dict:
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Open BPO Directory API",
            "version": "1",
            "description": "Published vendors, search, the savings estimate and side-by-side comparison. "
            "Amounts are in US dollars. Read-only; no key needed; limited per client address.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/vendors": _get(
                "List and search published vendors", _listing_parameters(), "One page of vendors"
            ),
            "/vendors/{slug}": _get(
                "One published vendor",
                [slug, _query("buyer_country", "The buyer's country", COUNTRY_CODE)],
                "Every public field of the vendor",
                not_found=True,
            ),
            "/suggest": _get(
                "Vendor names for a search box",
                [
                    _query(
                        "q", "What has been typed so far", {"type": "string", "maxLength": MAX_QUERY_LENGTH}
                    )
                ],
                "Up to 8 names, with each vendor's page",
            ),
            "/estimate": _get(
                "The savings estimate", _estimate_parameters(), "The estimate and its breakdown"
            ),
            "/compare": _get(
                "2 to 6 vendors side by side, each with its estimate",
                [
                    _query("vendor", "A vendor's slug; repeat for each", {"type": "string"}, many=True),
                    *_estimate_parameters(rate=False),
                    _query("buyer_country", "The buyer's country", COUNTRY_CODE),
                ],
                "The vendors and their estimates",
            ),
            "/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {
            "responses": {
                "Invalid": {
                    "description": "Bad parameters",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Invalid"}}},
                },
                "Problem": {
                    "description": "An error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            },
            "schemas": {
                "Invalid": {
                    "type": "object",
                    "required": ["error", "errors"],
                    "properties": {
                        "error": {"const": "invalid_parameters"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "parameter": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(describe())


def reference_page():
    """The description as a page for people (/api)."""
    return render_template("api/reference.html", description=describe())
