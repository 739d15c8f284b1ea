"""The estimator's forms: one field per input of the shared parameter table, read from the URL (a GET form, so
every result is a shareable link). Validation is `parameters.parse_inputs`, the same parser the API uses;
the form only places each message at its field and shows what the visitor typed.

`EstimateForm` holds the inputs (the comparison page uses it too); `EstimatePageForm` adds the buyer's
country and kind of work, which set the /estimate page's salary and payroll-tax defaults.
"""

import functools

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, SelectField
from wtforms.fields.choices import Choice
from wtforms.widgets import Select, TextInput

from vendors.estimator import in_house, presets
from vendors.estimator.parameters import BY_NAME, Parameter, ParsedInputs, parse_inputs, read_in_house
from vendors.reference.countries import COUNTRIES, country_name
from vendors.validation import InvalidParameters

OWN_RATE = ""


class ParameterField(Field):
    """A text input for one `Parameter`, with a numeric keyboard on phones. Text rather than type=number, so a
    bad value is shown back exactly as typed next to its message."""

    widget = TextInput()

    def __init__(self, parameter: Parameter, **kwargs):
        render_kw = {
            "inputmode": "numeric" if parameter.whole else "decimal",
            "autocomplete": "off",
            "spellcheck": "false",
        }
        super().__init__(label=parameter.label, default=parameter.default, render_kw=render_kw, **kwargs)
        self.parameter = parameter

    def process_formdata(self, valuelist: list[str]) -> None:
        # Parsing belongs to parse_inputs; the raw text stays in raw_data.
        pass

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data}"


def preset_choices() -> dict[str, list[tuple[str, str, dict]]]:
    """The preset options grouped by country; each carries its typical rate for the optional script."""
    groups: dict[str, list[tuple[str, str, dict]]] = {
        "Your figure": [(OWN_RATE, "My own rate (the field above)", {})]
    }
    for key, preset in presets.all_presets().items():
        label = f"{preset.work_label}: ${preset.typical}/h typical (${preset.low}-${preset.high})"
        groups.setdefault(country_name(preset.country), []).append(
            (key, label, {"data-rate": f"{preset.typical}"})
        )
    return groups


def country_choices() -> dict[str, list[tuple[str, str]]]:
    """Every country the directory knows; those with typical in-house figures first."""
    covered = in_house.countries()
    return {
        "Typical in-house figures": [(code, country_name(code)) for code in covered],
        "Other countries: general figures": [
            (code, country.name) for code, country in COUNTRIES.items() if code not in covered
        ],
    }


def work_choices() -> list[tuple[str, str]]:
    return list(in_house.KINDS_OF_WORK.items())


class RememberedOptionsSelect(Select):
    """WTForms' select, with each option's HTML made once per process: rendering the lists of every country
    and every typical rate was most of the estimator page's time."""

    @classmethod
    def render_option(cls, choice: Choice, **kwargs) -> Markup:
        attributes = tuple(sorted({**(choice.render_kw or {}), **kwargs}.items()))
        return _option_html(choice.value, choice.label, choice.selected, attributes)


@functools.lru_cache(maxsize=4096)
def _option_html(value: str, label: str, selected: bool, attributes: tuple) -> Markup:
    return Select.render_option(Choice(value, label, selected, dict(attributes)))


class EstimateForm(FlaskForm):
    class Meta:
        csrf = False

    headcount = ParameterField(BY_NAME["headcount"])
    salary = ParameterField(BY_NAME["salary"])
    payroll_tax_pct = ParameterField(BY_NAME["payroll_tax_pct"])
    benefits_pct = ParameterField(BY_NAME["benefits_pct"])
    overhead_per_fte = ParameterField(BY_NAME["overhead_per_fte"])
    attrition_pct = ParameterField(BY_NAME["attrition_pct"])
    replacement_cost_pct = ParameterField(BY_NAME["replacement_cost_pct"])
    hourly_rate = ParameterField(BY_NAME["hourly_rate"])
    preset = SelectField(
        "Or use a typical rate",
        choices=preset_choices,
        default=OWN_RATE,
        validate_choice=False,
        widget=RememberedOptionsSelect(),
    )
    hours_per_year = ParameterField(BY_NAME["hours_per_year"])
    oversight_pct = ParameterField(BY_NAME["oversight_pct"])
    transition_per_fte = ParameterField(BY_NAME["transition_per_fte"])
    years = ParameterField(BY_NAME["years"])

    parsed: ParsedInputs | None = None

    def parameter_fields(self, group: str) -> list[ParameterField]:
        return [
            field for field in self if isinstance(field, ParameterField) and field.parameter.group == group
        ]

    def validate(self, extra_validators=None, *, read_rate: bool = True) -> bool:
        """Parse every input with the shared parser; each problem goes to its field's errors.

        With `read_rate=False` the hourly rate and preset are not read (a vendor's rates are used instead).
        """
        return self._parse(read_rate=read_rate)

    def _raw(self) -> dict[str, str]:
        return {field.name: field.raw_data[0] for field in self if field.raw_data}

    def _parse(self, **options) -> bool:
        self._errors = None
        try:
            self.parsed = parse_inputs(self._raw(), **options)
        except InvalidParameters as error:
            for name, message in error.problems.items():
                self[name].errors = [message]
            return False
        if self.parsed.preset is not None:
            # Show the rate the preset put in, so the form reads as the estimate was computed.
            self.hourly_rate.raw_data = [f"{self.parsed.preset.typical}"]
        return True


class EstimatePageForm(EstimateForm):
    buyer_country = SelectField(
        "Your country", choices=country_choices, validate_choice=False, widget=RememberedOptionsSelect()
    )
    work = SelectField(
        "Kind of work", choices=work_choices, validate_choice=False, widget=RememberedOptionsSelect()
    )

    in_house_defaults: in_house.InHouseDefaults | None = None

    def validate(
        self, extra_validators=None, *, read_rate: bool = True, fallback_country: str, fallback_work: str
    ) -> bool:
        """As `EstimateForm.validate`, with the salary and payroll-tax defaults following the buyer's country
        (else `fallback_country`) and kind of work (else `fallback_work`). `in_house_defaults` says which
        defaults apply, even when some other input is wrong, and the two selects show them."""
        valid = self._parse(
            read_rate=read_rate, fallback_country=fallback_country, fallback_work=fallback_work
        )
        if valid:
            self.in_house_defaults = self.parsed.in_house_defaults
        else:
            self.in_house_defaults, _ = read_in_house(self._raw(), fallback_country, fallback_work)
        self.buyer_country.data = self.in_house_defaults.buyer_country
        self.work.data = self.in_house_defaults.work
        return valid
