from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from vendors import pagecache
from vendors.catalog.models import ShowableVendor, published_vendor_to_show
from vendors.directory.views import redirect_if_vendors_renamed, remembered_buyer_country
from vendors.estimator import chart, in_house, parameters, present, presets
from vendors.estimator.forms import EstimatePageForm
from vendors.estimator.model import Estimate, Inputs, YearRow, at_rates, to_cents, yearly
from vendors.estimator.model import estimate as compute
from vendors.links import with_query
from vendors.reference.countries import country_name

bp = Blueprint("estimator", __name__)


@dataclass
class Scenario:
    """One result column: the estimate for one hourly rate, with what the page shows of it."""

    key: str  # "estimate", or "low"/"high" for a vendor's range; prefixes the ids of its figures
    label: str
    result: Estimate

    @property
    def title(self) -> str:
        return f"{self.label} at {present.hourly_rate(self.result.inputs.hourly_rate)} an hour"

    @cached_property
    def figures(self) -> dict[str, Decimal | None]:
        return present.figures(self.result)

    @cached_property
    def breakdown(self) -> dict[str, Decimal]:
        return present.breakdown(self.result)

    @cached_property
    def terms_in_words(self) -> dict[str, str]:
        return present.terms_in_words(self.result.inputs)

    @cached_property
    def years(self) -> list[YearRow]:
        return yearly(self.result)

    @cached_property
    def charts(self) -> dict[str, chart.Chart]:
        """The chart drawn wide and narrow (for a phone, or scenarios side by side): the page shows the one
        that fits the room its figure has (templates/estimator/_chart.html)."""
        return {"wide": chart.build(self.years), "narrow": chart.build(self.years, chart.NARROW)}

    @property
    def api_url(self) -> str:
        return url_for("api.estimate", **parameters.as_args(self.result.inputs))


@bp.context_processor
def template_helpers() -> dict:
    return {
        "usd": present.usd,
        "hourly_rate": present.hourly_rate,
        "dollars": present.dollars,
        "one_decimal": present.one_decimal,
        "payback_in_words": present.payback_in_words,
        "term_labels": present.TERM_LABELS,
        "term_formulas": present.TERM_FORMULAS,
        "term_meanings": present.TERM_MEANINGS,
        "cents": to_cents,
        "all_presets": presets.all_presets(),
        "in_house_costs": in_house.all_costs(),
        "in_house_countries": in_house.countries(),
        "kinds_of_work": in_house.KINDS_OF_WORK,
        "table_inputs": in_house.TABLE_INPUTS,
        "parameter_groups": parameters.GROUPS,
        "parameter_table": parameters.PARAMETERS,
        "parameter_by_name": parameters.BY_NAME,
        "country_name": country_name,
        "rendered_once": rendered_once,
    }


def rendered_once(template: str) -> Markup:
    """A part of the page that depends on nothing but the app (its explanation and reference tables: a third
    of the estimator page's rendering time), rendered on first use and kept for the app's life."""
    parts = current_app.extensions.setdefault("estimator_parts", {})
    if template not in parts:
        parts[template] = Markup(render_template(template))  # nosec B704  # autoescaped output of a template the templates name
    return parts[template]


@bp.get("/estimate")
@pagecache.cached(catalogue=lambda: "vendor" in request.args)
def estimate():
    form = EstimatePageForm(formdata=request.args)
    slug = request.args.get("vendor", "").strip()
    vendor = published_vendor_to_show(slug) if slug else None
    if slug and vendor is None and (moved := redirect_if_vendors_renamed("estimator.estimate")):
        return moved
    rates = None
    if vendor is not None:
        rates = presets.vendor_rates(
            vendor.hourly_rate_min, vendor.hourly_rate_max, vendor.delivery_countries, vendor.specialisations
        )
    with_vendor_rates = rates is not None
    valid = form.validate(
        read_rate=not with_vendor_rates,
        fallback_country=remembered_buyer_country(),
        fallback_work=in_house.work_for(vendor.specialisations) if vendor else in_house.DEFAULT_WORK,
    )
    if not valid:
        return _page(form, slug, vendor, rates, scenarios=[]), 400
    inputs = form.parsed.inputs
    if with_vendor_rates:
        scenarios = _vendor_scenarios(inputs, rates)
    else:
        scenarios = [Scenario("estimate", "Estimate", compute(inputs))]
    return _page(form, slug, vendor, rates, scenarios)


def _vendor_scenarios(inputs: Inputs, rates: presets.VendorRates) -> list[Scenario]:
    low, high = at_rates(inputs, (rates.low, rates.high))
    return [Scenario("low", "Low estimate", low), Scenario("high", "High estimate", high)]


def _page(
    form: EstimatePageForm,
    slug: str,
    vendor: ShowableVendor | None,
    rates: presets.VendorRates | None,
    scenarios: list[Scenario],
) -> str:
    """The page; `scenarios` is empty when the inputs are invalid. The share link carries every input."""
    inputs = scenarios[0].result.inputs if scenarios else None
    share_args = parameters.as_args(inputs) if inputs else {}
    if inputs:
        share_args["buyer_country"] = form.in_house_defaults.buyer_country
        share_args["work"] = form.in_house_defaults.work
    if inputs and rates is None and form.parsed.preset is not None:
        share_args["preset"] = form.parsed.preset.key
    if vendor is not None:
        share_args["vendor"] = vendor.slug
        if rates is not None:
            share_args.pop("hourly_rate", None)
    return render_template(
        "estimator/estimate.html",
        form=form,
        vendor_slug=slug,
        vendor=vendor,
        rates=rates,
        preset=form.parsed.preset if form.parsed else None,
        in_house_defaults=form.in_house_defaults,
        scenarios=scenarios,
        share_url=url_for("estimator.estimate", _external=True, **share_args) if inputs else None,
        own_rate_url=with_query("estimator.estimate", _without(request.args, "vendor")),
        default_rate=parameters.BY_NAME["hourly_rate"].default,
    )


def _without(args: MultiDict, name: str) -> dict[str, list[str]]:
    return {key: values for key, values in args.to_dict(flat=False).items() if key != name}
