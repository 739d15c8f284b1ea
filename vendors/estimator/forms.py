"""The /estimate form: one field per input of the shared parameter table, read from the URL (a GET form, so
every result is a shareable link). Validation is `parameters.parse_inputs`, the same parser the API uses;
the form only places each message at its field and shows what the visitor typed.
"""

from flask_wtf import FlaskForm
from wtforms import Field, SelectField
from wtforms.widgets import TextInput

from vendors.estimator import presets
from vendors.estimator.parameters import BY_NAME, Parameter, ParsedInputs, parse_inputs
from vendors.reference.countries import country_name
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
        "Or use a typical rate", choices=preset_choices, default=OWN_RATE, validate_choice=False
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
        self._errors = None
        raw = {field.name: field.raw_data[0] for field in self if field.raw_data}
        try:
            self.parsed = parse_inputs(raw, read_rate=read_rate)
        except InvalidParameters as error:
            for name, message in error.problems.items():
                self[name].errors = [message]
            return False
        if self.parsed.preset is not None:
            # Show the rate the preset put in, so the form reads as the estimate was computed.
            self.hourly_rate.raw_data = [f"{self.parsed.preset.typical}"]
        return True
