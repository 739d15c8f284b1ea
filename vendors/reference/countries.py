"""Countries the directory knows: ISO 3166-1 alpha-2 codes, names, regions and business-hub UTC offsets.

Names and codes come from pycountry. No maintained package records where a country's business hub is
or which region a buyer would file it under, so that part is this small table. Offsets are standard
(winter) time in hours east of UTC at the named hub; daylight saving is ignored on purpose so the shore
of a country does not change twice a year.
"""

from dataclasses import dataclass
from decimal import Decimal

import pycountry


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    region: str
    hub: str
    utc_offset: Decimal


# code: (region, hub city, standard UTC offset in hours)
_HUBS: dict[str, tuple[str, str, str]] = {
    "US": ("North America", "New York", "-5"),
    "CA": ("North America", "Toronto", "-5"),
    "MX": ("Latin America", "Mexico City", "-6"),
    "GT": ("Latin America", "Guatemala City", "-6"),
    "SV": ("Latin America", "San Salvador", "-6"),
    "HN": ("Latin America", "Tegucigalpa", "-6"),
    "NI": ("Latin America", "Managua", "-6"),
    "CR": ("Latin America", "San José", "-6"),
    "PA": ("Latin America", "Panama City", "-5"),
    "JM": ("Latin America", "Kingston", "-5"),
    "DO": ("Latin America", "Santo Domingo", "-4"),
    "CO": ("Latin America", "Bogotá", "-5"),
    "EC": ("Latin America", "Quito", "-5"),
    "PE": ("Latin America", "Lima", "-5"),
    "CL": ("Latin America", "Santiago", "-4"),
    "AR": ("Latin America", "Buenos Aires", "-3"),
    "UY": ("Latin America", "Montevideo", "-3"),
    "BR": ("Latin America", "São Paulo", "-3"),
    "GB": ("Western Europe", "London", "0"),
    "IE": ("Western Europe", "Dublin", "0"),
    "PT": ("Western Europe", "Lisbon", "0"),
    "ES": ("Western Europe", "Madrid", "1"),
    "FR": ("Western Europe", "Paris", "1"),
    "BE": ("Western Europe", "Brussels", "1"),
    "NL": ("Western Europe", "Amsterdam", "1"),
    "DE": ("Western Europe", "Berlin", "1"),
    "CH": ("Western Europe", "Zurich", "1"),
    "AT": ("Western Europe", "Vienna", "1"),
    "IT": ("Western Europe", "Milan", "1"),
    "DK": ("Northern Europe", "Copenhagen", "1"),
    "SE": ("Northern Europe", "Stockholm", "1"),
    "NO": ("Northern Europe", "Oslo", "1"),
    "FI": ("Northern Europe", "Helsinki", "2"),
    "PL": ("Central and Eastern Europe", "Warsaw", "1"),
    "CZ": ("Central and Eastern Europe", "Prague", "1"),
    "SK": ("Central and Eastern Europe", "Bratislava", "1"),
    "HU": ("Central and Eastern Europe", "Budapest", "1"),
    "RS": ("Central and Eastern Europe", "Belgrade", "1"),
    "HR": ("Central and Eastern Europe", "Zagreb", "1"),
    "RO": ("Central and Eastern Europe", "Bucharest", "2"),
    "BG": ("Central and Eastern Europe", "Sofia", "2"),
    "LT": ("Central and Eastern Europe", "Vilnius", "2"),
    "UA": ("Central and Eastern Europe", "Kyiv", "2"),
    "GR": ("Southern Europe", "Athens", "2"),
    "TR": ("Middle East", "Istanbul", "3"),
    "IL": ("Middle East", "Tel Aviv", "2"),
    "AE": ("Middle East", "Dubai", "4"),
    "SA": ("Middle East", "Riyadh", "3"),
    "EG": ("Africa", "Cairo", "2"),
    "MA": ("Africa", "Casablanca", "1"),
    "TN": ("Africa", "Tunis", "1"),
    "ZA": ("Africa", "Johannesburg", "2"),
    "KE": ("Africa", "Nairobi", "3"),
    "NG": ("Africa", "Lagos", "1"),
    "GH": ("Africa", "Accra", "0"),
    "MU": ("Africa", "Port Louis", "4"),
    "IN": ("South Asia", "Mumbai", "5.5"),
    "PK": ("South Asia", "Karachi", "5"),
    "BD": ("South Asia", "Dhaka", "6"),
    "LK": ("South Asia", "Colombo", "5.5"),
    "NP": ("South Asia", "Kathmandu", "5.75"),
    "PH": ("Southeast Asia", "Manila", "8"),
    "MY": ("Southeast Asia", "Kuala Lumpur", "8"),
    "SG": ("Southeast Asia", "Singapore", "8"),
    "VN": ("Southeast Asia", "Ho Chi Minh City", "7"),
    "TH": ("Southeast Asia", "Bangkok", "7"),
    "ID": ("Southeast Asia", "Jakarta", "7"),
    "CN": ("East Asia", "Shanghai", "8"),
    "HK": ("East Asia", "Hong Kong", "8"),
    "TW": ("East Asia", "Taipei", "8"),
    "KR": ("East Asia", "Seoul", "9"),
    "JP": ("East Asia", "Tokyo", "9"),
    "AU": ("Oceania", "Sydney", "10"),
    "NZ": ("Oceania", "Auckland", "12"),
}

# pycountry's official names read oddly in a directory ("Viet Nam", "Korea, Republic of").
_DISPLAY_NAMES = {"VN": "Vietnam", "KR": "South Korea", "TW": "Taiwan", "TR": "Turkey"}


def _build() -> dict[str, Country]:
    countries = {}
    for code, (region, hub, offset) in _HUBS.items():
        record = pycountry.countries.get(alpha_2=code)
        name = _DISPLAY_NAMES.get(code) or getattr(record, "common_name", None) or record.name
        countries[code] = Country(code, name, region, hub, Decimal(offset))
    return countries


COUNTRIES: dict[str, Country] = dict(sorted(_build().items(), key=lambda item: item[1].name))


def country(code: str) -> Country:
    """The country for an upper-case alpha-2 code; KeyError when the directory does not know it."""
    return COUNTRIES[code]


def country_name(code: str) -> str:
    return COUNTRIES[code].name if code in COUNTRIES else code
