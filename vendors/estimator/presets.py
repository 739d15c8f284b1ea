"""Typical vendor hourly rates by delivery country and kind of work (seed_data/rate_presets.csv). No Flask.

The figures are indicative ranges in US dollars per billed position-hour, each row naming the kind of public
source it was drawn from. A preset's typical rate can stand in for `hourly_rate`; its low and high rates
stand in for a vendor that does not disclose its own range.
"""

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from vendors.reference.countries import COUNTRIES, country_name
from vendors.reference.taxonomy import SPECIALISATIONS, mid_sentence
from vendors.validation import as_spelled

PRESETS_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "rate_presets.csv"
ANY_WORK = "any"
COLUMNS = (
    "country",
    "specialisation",
    "hourly_rate_low",
    "hourly_rate_typical",
    "hourly_rate_high",
    "source",
)


class PresetFileError(ValueError):
    """The presets file is malformed; the message names the line and the problem."""


@dataclass(frozen=True)
class Preset:
    country: str
    specialisation: str  # a SPECIALISATIONS slug, or "any" for the country as a whole
    low: Decimal
    typical: Decimal
    high: Decimal
    source: str

    @property
    def key(self) -> str:
        """The `preset` URL parameter naming this row, e.g. "PH-customer-support"."""
        return f"{self.country}-{self.specialisation}"

    @property
    def work_label(self) -> str:
        return "Any kind of work" if self.specialisation == ANY_WORK else SPECIALISATIONS[self.specialisation]

    @property
    def label(self) -> str:
        return f"{country_name(self.country)}, {mid_sentence(self.work_label)}"


@dataclass(frozen=True)
class VendorRates:
    """The two hourly rates a vendor's estimate uses, and where they came from."""

    low: Decimal
    high: Decimal
    disclosed: bool
    preset: Preset | None  # the fallback used when the vendor's own range is undisclosed


def all_presets() -> dict[str, Preset]:
    """Every preset by key, grouped by country name then in file order."""
    return _load(PRESETS_FILE)


def find(key: str) -> Preset | None:
    """The preset for a key such as "PH-customer-support" (the country code in any case)."""
    country, _, work = key.partition("-")
    return all_presets().get(f"{as_spelled(country, capitals=True)}-{as_spelled(work)}")


def preset_for(country: str, specialisation: str | None) -> Preset | None:
    """The preset for this kind of work in this country, else the country-wide one, else None."""
    presets = all_presets()
    if specialisation:
        exact = presets.get(f"{country}-{specialisation}")
        if exact:
            return exact
    return presets.get(f"{country}-{ANY_WORK}")


def vendor_rates(
    rate_min: Decimal | None, rate_max: Decimal | None, countries: list[str], specialisations: list[str]
) -> VendorRates | None:
    """A vendor's low and high rates: its own range, else the preset for its first delivery country and main
    (first) specialisation, else that country's general preset. None when nothing fits."""
    if rate_min is not None or rate_max is not None:
        low = rate_min if rate_min is not None else rate_max
        high = rate_max if rate_max is not None else rate_min
        return VendorRates(low, high, disclosed=True, preset=None)
    if not countries:
        return None
    preset = preset_for(countries[0], specialisations[0] if specialisations else None)
    if preset is None:
        return None
    return VendorRates(preset.low, preset.high, disclosed=False, preset=preset)


@cache
def _load(path: Path) -> dict[str, Preset]:
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise PresetFileError(f"{path.name}: the columns must be {', '.join(COLUMNS)}")
        presets = {}
        for row in reader:
            preset = _parse_row(row, f"{path.name} line {reader.line_num}")
            if preset.key in presets:
                raise PresetFileError(f"{path.name} line {reader.line_num}: {preset.key} appears twice")
            presets[preset.key] = preset
    return dict(sorted(presets.items(), key=lambda item: country_name(item[1].country)))


def _parse_row(row: dict[str, str], where: str) -> Preset:
    country = row["country"].strip().upper()
    specialisation = row["specialisation"].strip().lower()
    if country not in COUNTRIES:
        raise PresetFileError(f"{where}: {country!r} is not a country the directory knows")
    if specialisation != ANY_WORK and specialisation not in SPECIALISATIONS:
        raise PresetFileError(f"{where}: {specialisation!r} is not a specialisation slug or {ANY_WORK!r}")
    low, typical, high = (_rate(row[column], where) for column in COLUMNS[2:5])
    if not low <= typical <= high:
        raise PresetFileError(f"{where}: the rates must read low <= typical <= high")
    source = row["source"].strip()
    if not source:
        raise PresetFileError(f"{where}: every figure needs its source")
    return Preset(country, specialisation, low, typical, high, source)


def _rate(raw: str, where: str) -> Decimal:
    try:
        rate = Decimal(raw.strip())
    except InvalidOperation:
        raise PresetFileError(f"{where}: {raw!r} is not an amount in US dollars") from None
    if not rate.is_finite() or rate <= 0:
        raise PresetFileError(f"{where}: {raw!r} is not a positive amount in US dollars")
    return rate
