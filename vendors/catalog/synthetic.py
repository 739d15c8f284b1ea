"""Generated vendors for scale tests: `flask seed --synthetic N`, and the search benchmark's data.

Each vendor is derived from its number alone, with a random generator seeded by (seed, number), so
synthetic-000042 is the same whichever run or batch produced it: the same n gives the same vendors, and
adding 50 twice gives the same vendors as adding 100 once. Fields follow the sample data's distributions
roughly: markets weighted towards the Philippines and India, rates by market (cheapest market for the
minimum, dearest for the maximum), every size band, about one vendor in ten with undisclosed rates.

Descriptions are 80-200 words drawn from seed_data/vocabulary.txt with Zipf weights (the word of rank k
weighs 1/(k + 2.7)), so common words match most vendors and rare ones a few, mixed with the vendor's own
domain words (specialisation labels and phrases, country and language names).

Rows go in through the catalogue writer's bulk insert (validated, audited and logged for search like every
other change), one write transaction per batch, which is what makes 100,000 vendors a matter of minutes
rather than hours.
"""

import itertools
import math
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vendors.audit import Actor
from vendors.catalog.models import Vendor
from vendors.catalog.writes import catalogue_writes
from vendors.extensions import db
from vendors.reference.countries import COUNTRIES
from vendors.reference.languages import language_name
from vendors.reference.taxonomy import CERTIFICATIONS, CHANNELS, SPECIALISATIONS

SLUG_PREFIX = "synthetic-"
DEFAULT_SEED = 20261125
BATCH_SIZE = 5_000
VOCABULARY_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "vocabulary.txt"
DESCRIPTION_WORDS = (80, 200)

# country: (weight, (lowest, highest) minimum rate, (lowest, highest) maximum rate in USD/h, languages)
_MARKETS: dict[str, tuple[float, tuple[float, float], tuple[float, float], tuple[str, ...]]] = {
    "PH": (22, (7.0, 10.5), (11.0, 15.0), ("en", "tl")),
    "IN": (18, (6.0, 10.0), (10.0, 15.0), ("en", "hi")),
    "US": (8, (35.0, 45.0), (48.0, 65.0), ("en",)),
    "MX": (6, (12.0, 17.0), (18.0, 25.0), ("es", "en")),
    "CO": (5, (11.0, 16.0), (17.0, 24.0), ("es", "en")),
    "ZA": (4, (16.0, 21.0), (24.0, 33.0), ("en", "af")),
    "PL": (3, (18.0, 24.0), (26.0, 35.0), ("pl", "en")),
    "GB": (3, (33.0, 42.0), (45.0, 62.0), ("en",)),
    "BR": (2.5, (13.0, 18.0), (19.0, 27.0), ("pt", "en")),
    "CA": (2, (32.0, 40.0), (42.0, 58.0), ("en", "fr")),
    "EG": (2, (8.0, 12.0), (12.0, 17.0), ("ar", "en")),
    "KE": (2, (7.0, 10.0), (11.0, 15.0), ("en", "sw")),
    "VN": (2, (7.0, 11.0), (11.0, 16.0), ("vi", "en")),
    "PK": (1.5, (5.5, 8.5), (9.0, 13.0), ("ur", "en")),
    "MY": (1.5, (9.0, 13.0), (14.0, 19.0), ("ms", "en", "zh")),
    "RO": (1.5, (17.0, 22.0), (24.0, 32.0), ("ro", "en")),
    "BG": (1.5, (16.0, 21.0), (23.0, 30.0), ("bg", "en")),
    "MA": (1.5, (12.0, 16.0), (17.0, 24.0), ("fr", "ar", "en")),
    "GT": (1.5, (11.0, 15.0), (16.0, 22.0), ("es", "en")),
    "CR": (1.5, (14.0, 19.0), (20.0, 27.0), ("es", "en")),
    "DO": (1.5, (11.0, 15.0), (16.0, 22.0), ("es", "en")),
    "JM": (1.5, (11.0, 15.0), (16.0, 22.0), ("en",)),
    "SV": (1, (11.0, 15.0), (16.0, 22.0), ("es", "en")),
    "HN": (1, (11.0, 15.0), (16.0, 22.0), ("es", "en")),
    "PE": (1, (11.0, 15.0), (16.0, 22.0), ("es", "en")),
    "AR": (1, (15.0, 20.0), (22.0, 30.0), ("es", "en")),
    "LK": (1, (7.0, 10.0), (11.0, 15.0), ("si", "ta", "en")),
    "BD": (1, (5.0, 8.0), (8.0, 12.0), ("bn", "en")),
    "UA": (1, (16.0, 22.0), (24.0, 33.0), ("uk", "en")),
    "RS": (1, (16.0, 21.0), (23.0, 30.0), ("sr", "en")),
    "PT": (1, (20.0, 26.0), (28.0, 38.0), ("pt", "en")),
    "AU": (1, (34.0, 44.0), (46.0, 62.0), ("en",)),
    "IE": (0.5, (36.0, 45.0), (48.0, 62.0), ("en",)),
    "TR": (0.5, (14.0, 19.0), (20.0, 28.0), ("tr", "en")),
    "ID": (0.5, (6.5, 10.0), (10.0, 14.0), ("id", "en")),
    "TH": (0.5, (9.0, 13.0), (14.0, 19.0), ("th", "en")),
    "NG": (0.5, (6.5, 10.0), (10.0, 14.0), ("en", "yo")),
}
# Chance that a vendor holds each certification; raised below for healthcare, EU delivery and contact centres.
_CERTIFICATION_CHANCES = {
    "iso-27001": 0.4,
    "iso-9001": 0.15,
    "pci-dss": 0.3,
    "hipaa": 0.03,
    "soc-2": 0.25,
    "gdpr": 0.05,
    "copc": 0.04,
}
_OFFSHORE_OWNERS = ("US", "US", "US", "GB", "AU")
_EXTRA_LANGUAGES = ("es", "fr", "de", "pt", "ja", "zh", "it", "nl", "ar")
_EU = {"PL", "RO", "BG", "PT", "IE"}

_SPECIALISATION_WEIGHTS = {
    "customer-support": 30,
    "sales": 9,
    "finance-accounting": 10,
    "healthcare": 8,
    "creative-content": 5,
    "it-services": 8,
    "marketing": 5,
    "hr-recruitment": 5,
    "administration": 8,
    "supply-chain": 4,
    "legal": 3,
    "knowledge-research": 5,
    "content-moderation": 5,
}
_CHANNELS_BY_SPECIALISATION = {
    "customer-support": ("voice", "email", "chat", "social", "sms"),
    "sales": ("voice", "email", "sms"),
    "finance-accounting": ("back-office", "email", "voice"),
    "healthcare": ("back-office", "voice", "email"),
    "creative-content": ("back-office", "social"),
    "it-services": ("voice", "chat", "email"),
    "marketing": ("social", "email", "sms"),
    "hr-recruitment": ("back-office", "email", "voice"),
    "administration": ("back-office", "email"),
    "supply-chain": ("back-office", "email", "voice"),
    "legal": ("back-office", "email"),
    "knowledge-research": ("back-office", "email"),
    "content-moderation": ("back-office", "social", "chat"),
}
# Phrases a buyer searches for, each tied to the specialisation whose vendors would use it.
_PHRASES = {
    "customer-support": (
        "customer support",
        "Spanish chat support",
        "order tracking",
        "tier-one support",
        "returns",
    ),
    "sales": ("appointment setting", "lead generation", "outbound calling", "lead qualification"),
    "finance-accounting": ("bookkeeping", "accounts payable", "month-end close", "collections"),
    "healthcare": ("medical billing", "medical coding", "prior authorisations", "revenue cycle management"),
    "creative-content": ("graphic design", "video editing", "product descriptions"),
    "it-services": ("technical support", "IT helpdesk", "QA testing", "cloud monitoring"),
    "marketing": ("social media management", "paid ads", "email marketing"),
    "hr-recruitment": ("candidate screening", "recruitment process outsourcing", "interview scheduling"),
    "administration": ("data entry", "document processing", "virtual assistants"),
    "supply-chain": ("order management", "purchase orders", "shipment tracking"),
    "legal": ("document review", "contract review", "legal transcription"),
    "knowledge-research": ("market research", "data annotation", "desk research"),
    "content-moderation": ("content moderation", "trust and safety", "user-report review"),
}
_MIN_SEATS = {"small": (None, 1, 2, 3, 5), "medium": (None, 5, 10, 15), "large": (None, 25, 50)}
_ROUND_THE_CLOCK = {"small": 0.2, "medium": 0.35, "large": 0.6}  # chance of 24/7 coverage by size band
_NEARSHORE_MARKETS = {"MX", "CO", "GT", "CR", "DO", "JM", "SV", "HN", "PE", "AR", "BR"}
_NAME_FIRST = (  # noqa: SIM905 (a word list reads better as one string)
    "Amberly Ashgrove Baywick Birchmont Bramble Brightwater Calderon Canfield Cardew Carrow Cedarby "
    "Coldharbour Copperfield Corbridge Crestwood Dalewick Deepwater Dovecote Driftmoor Eastmere Elderwood "
    "Ellery Emberly Fairholm Fallowby Fenwick Fernly Fieldcrest Foxley Galloway Glenmore Goldthorpe "
    "Greywater Hallowell Harrowgate Hawkridge Heathcote Highbury Hollins Holmwood Ivywick Juniper Kestrel "
    "Kingsmere Lakemont Larkfield Linden Longmere Lowick Maplehurst Marrow Meadowlark Merrivale Millbrook "
    "Mistral Moorcroft Northwick Oakmere Orchard Osier Palisade Pemberly Pinewick Quarrymoor Radley "
    "Redfern Ridgemont Rookwood Rosemere Saltcote Sandgate Sedgewick Silverdale Slate Southmere "
    "Stonebridge Sunbury Swanmore Tamsworth Thornfield Tidemark Torrington Upwell Valemont Waterford "
    "Westbury Whitcombe Willowby Windrush Wrenwick Yarrowdale"
).split()
_NAME_SECOND = {
    "customer-support": ("Contact", "Support", "CX", "Care", "Contact Centre", "Customer Care"),
    "sales": ("Sales Partners", "Growth Desk", "Lead Services"),
    "finance-accounting": ("Ledger", "Accounting", "Finance Partners", "Bookkeeping"),
    "healthcare": ("Health Ops", "Medical Billing", "Care Services", "Health Partners"),
    "creative-content": ("Studio", "Creative", "Content Works"),
    "it-services": ("Tech Support", "IT Services", "Helpdesk", "Digital"),
    "marketing": ("Digital", "Marketing", "Media Desk"),
    "hr-recruitment": ("Talent", "Recruiting", "People Services"),
    "administration": ("Back Office", "Data Services", "Admin Desk"),
    "supply-chain": ("Logistics Desk", "Supply Services", "Procurement"),
    "legal": ("Legal Services", "Legal Support", "Paralegal"),
    "knowledge-research": ("Research", "Analytics", "Insights"),
    "content-moderation": ("Trust & Safety", "Moderation", "Content Review"),
}
_NAME_SUFFIX = ("", "", "", " Co.", " Ltd", " Group", " Partners", " Inc.")
_TAGLINES = (
    "{label} from {country}",
    "{label} teams in {country}",
    "{label} for growing companies",
    "{label} delivered from {places}",
    "Dependable {label_lower} at {market} rates",
    "{label} in {languages}",
)


def generate_records(
    n: int, start: int = 1, seed: int = DEFAULT_SEED, today: date | None = None
) -> Iterator[dict]:
    """n vendor records numbered start, start+1, ..., in the shape of seed_data/vendors.json.

    `today` anchors founding years and verification dates (default: the real today); pass a fixed date to
    get byte-identical records on any day.
    """
    today = today or date.today()
    urn = _word_urn()
    for number in range(start, start + n):
        yield _record(number, random.Random(f"{seed}:{number}"), today, urn)


def insert_synthetic(
    n: int,
    progress: Callable[[int], None] = lambda _: None,
    seed: int = DEFAULT_SEED,
    batch_size: int = BATCH_SIZE,
    actor: Actor | None = None,
) -> int:
    """Add n generated vendors numbered after any synthetic vendors already present; returns n.

    One write transaction per batch, so an interrupted run keeps the batches it finished. progress() is
    called with each batch's size after it commits.
    """
    actor = actor or Actor.command("flask seed --synthetic")
    records = generate_records(n, start=_next_number(db.session), seed=seed)
    added = 0
    for batch in _batches(records, batch_size):
        with catalogue_writes(actor, note="generated vendors") as writer:
            writer.insert_many(batch)
        added += len(batch)
        progress(len(batch))
    return added


def _next_number(session: Session) -> int:
    """One more than the highest synthetic-NNNNNN number in the database (1 when there are none).

    Read before the first batch's transaction, so two runs started at the same moment would pick the same
    numbers; the second then fails on the unique slug and rolls its batch back. Good enough for a
    scale-test command.
    """
    slugs = session.scalars(select(Vendor.slug).where(Vendor.slug.startswith(SLUG_PREFIX)))
    numbers = [int(tail) for slug in slugs if (tail := slug.removeprefix(SLUG_PREFIX)).isdigit()]
    return max(numbers, default=0) + 1


def _batches(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


_URN_BITS = 18


@cache
def _word_urn() -> list[str]:
    """2**18 slots holding each vocabulary word in proportion to its Zipf weight 1/(rank + 2.7).

    A uniform draw of a slot is the weighted draw of a word, several times cheaper than
    random.choices(cum_weights=...); even the rarest word gets a dozen slots.
    """
    lines = VOCABULARY_FILE.read_text(encoding="utf-8").splitlines()
    words = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    weights = [1 / (rank + 2.7) for rank in range(len(words))]
    scale = (1 << _URN_BITS) / sum(weights)
    urn = [
        word
        for word, weight in zip(words, weights, strict=True)
        for _ in range(max(1, round(weight * scale)))
    ]
    # Rounding leaves the count a little off 2**18: the most frequent word absorbs the difference.
    surplus = len(urn) - (1 << _URN_BITS)
    return urn[surplus:] if surplus > 0 else [words[0]] * -surplus + urn


# ------------------------------------------------------------------------------------------ one record
def _record(number: int, rng: random.Random, today: date, urn: list[str]) -> dict:
    slug = f"{SLUG_PREFIX}{number:06d}"
    countries = _delivery_countries(rng)
    specialisations = _specialisations(rng)
    size = rng.choices(("small", "medium", "large"), cum_weights=(45, 85, 100))[0]
    languages = _languages(rng, countries, specialisations[0])
    rates = _rates(rng, countries)
    name = (
        f"{rng.choice(_NAME_FIRST)} {rng.choice(_NAME_SECOND[specialisations[0]])}{rng.choice(_NAME_SUFFIX)}"
    )
    return {
        "slug": slug,
        "name": name,
        "tagline": _tagline(rng, specialisations[0], countries, languages),
        "description": _description(rng, urn, specialisations, countries, languages),
        "website": f"https://{slug}.example",
        "contact_email": f"hello@{slug}.example",
        "hq_country": _headquarters(rng, countries[0]),
        "delivery_countries": countries,
        "founded_year": _founded(rng, size, today),
        "employees": _employees(rng, size),
        "hourly_rate_min": rates and rates[0],
        "hourly_rate_max": rates and rates[1],
        "min_seats": rng.choice(_MIN_SEATS[size]),
        "specialisations": specialisations,
        "channels": _channels(rng, specialisations),
        "languages": languages,
        "certifications": _certifications(rng, specialisations, countries),
        "coverage": "24-7" if rng.random() < _ROUND_THE_CLOCK[size] else "business-hours",
        "status": "published",
        "verified_at": _verified(rng, today),
    }


_MARKET_CODES = list(_MARKETS)
_MARKET_CUMULATIVE = list(itertools.accumulate(market[0] for market in _MARKETS.values()))
_SPECIALISATION_CUMULATIVE = list(itertools.accumulate(_SPECIALISATION_WEIGHTS.values()))


def _delivery_countries(rng: random.Random) -> list[str]:
    count = rng.choices((1, 2, 3, 4), cum_weights=(65, 87, 96, 100))[0]
    chosen: list[str] = []
    while len(chosen) < count:
        code = rng.choices(_MARKET_CODES, cum_weights=_MARKET_CUMULATIVE)[0]
        if code not in chosen:
            chosen.append(code)
    return chosen


def _specialisations(rng: random.Random) -> list[str]:
    main = rng.choices(list(_SPECIALISATION_WEIGHTS), cum_weights=_SPECIALISATION_CUMULATIVE)[0]
    others = [slug for slug in SPECIALISATIONS if slug != main]
    extra = rng.choices((0, 1, 2, 3), cum_weights=(40, 75, 93, 100))[0]
    return [main, *rng.sample(others, extra)]


def _languages(rng: random.Random, countries: list[str], main_specialisation: str) -> list[str]:
    languages = [code for country in countries for code in _MARKETS[country][3]]
    if main_specialisation in {"customer-support", "content-moderation"} and rng.random() < 0.3:
        languages.append(rng.choice(_EXTRA_LANGUAGES))
    return list(dict.fromkeys(languages))


def _rates(rng: random.Random, countries: list[str]) -> tuple[str, str] | None:
    if rng.random() < 0.1:
        return None
    markets = [_MARKETS[country] for country in countries]
    low = rng.uniform(*min(markets, key=lambda market: market[1][0])[1])
    high = rng.uniform(*max(markets, key=lambda market: market[2][1])[2])
    if min(market[1][0] for market in markets) >= 30 and rng.random() < 0.2:
        low, high = low * 1.25, high * 1.3  # onshore specialists (legal, clinical, engineering) charge more
    low, high = round(low * 2) / 2, round(high * 2) / 2
    high = max(high, low + 2.5)
    return f"{low:.2f}", f"{high:.2f}"


def _headquarters(rng: random.Random, main_country: str) -> str:
    low_cost = _MARKETS[main_country][1][1] < 20
    return rng.choice(_OFFSHORE_OWNERS) if low_cost and rng.random() < 0.3 else main_country


def _employees(rng: random.Random, size: str) -> int:
    low, high = {"small": (5, 500), "medium": (501, 5_000), "large": (5_001, 60_000)}[size]
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _founded(rng: random.Random, size: str, today: date) -> int:
    oldest, youngest = {"small": (2000, 3), "medium": (1992, 6), "large": (1985, 12)}[size]
    return rng.randint(oldest, today.year - youngest)


def _channels(rng: random.Random, specialisations: list[str]) -> list[str]:
    chosen = set(_CHANNELS_BY_SPECIALISATION[specialisations[0]][:2])
    for slug in specialisations:
        chosen.update(channel for channel in _CHANNELS_BY_SPECIALISATION[slug] if rng.random() < 0.4)
    return [channel for channel in CHANNELS if channel in chosen]


def _certifications(rng: random.Random, specialisations: list[str], countries: list[str]) -> list[str]:
    chances = dict(_CERTIFICATION_CHANCES)
    if "healthcare" in specialisations:
        chances["hipaa"] = 0.6
    if set(countries) & _EU:
        chances["gdpr"] = 0.6
    if specialisations[0] in {"customer-support", "sales"}:
        chances["copc"] = 0.2
    chosen = [slug for slug in CERTIFICATIONS if rng.random() < chances[slug]]
    return chosen[:4]


def _verified(rng: random.Random, today: date) -> str | None:
    roll = rng.random()
    if roll < 0.03:
        return None
    days = rng.randint(0, 365) if roll < 0.83 else rng.randint(366, 1_100)
    return (today - timedelta(days=days)).isoformat()


def _tagline(rng: random.Random, main_specialisation: str, countries: list[str], languages: list[str]) -> str:
    label = SPECIALISATIONS[main_specialisation]
    names = [COUNTRIES[code].name for code in countries]
    template = rng.choice(_TAGLINES)
    return template.format(
        label=label,
        label_lower=label.lower(),
        country=names[0],
        places=" and ".join(names[:2]),
        market="nearshore" if countries[0] in _NEARSHORE_MARKETS else "fair",
        languages=" and ".join(language_name(code) for code in languages[:2]),
    )


def _description(
    rng: random.Random,
    urn: list[str],
    specialisations: list[str],
    countries: list[str],
    languages: list[str],
) -> str:
    """80-200 words of Zipf-drawn vocabulary in sentences of 6-18 words, with the vendor's domain terms."""
    domain = [SPECIALISATIONS[slug].lower() for slug in specialisations]
    domain += [phrase for slug in specialisations for phrase in _PHRASES[slug] if rng.random() < 0.35]
    domain += [COUNTRIES[code].name for code in countries] + [language_name(code) for code in languages]
    rng.shuffle(domain)
    target = rng.randint(*DESCRIPTION_WORDS)
    draw = rng.getrandbits
    drawn = [urn[draw(_URN_BITS)] for _ in range(target)]
    sentences: list[str] = []
    count = 0
    while count < target:
        length = rng.randint(6, 18)
        sentence = drawn[count : count + length]
        if domain and rng.random() < 0.7:
            position = rng.randrange(len(sentence))
            sentence[position : position + 1] = domain.pop().split()
        sentence = sentence[: DESCRIPTION_WORDS[1] - count]
        count += len(sentence)
        text = " ".join(sentence)
        sentences.append(text[0].upper() + text[1:] + ".")
    return " ".join(sentences)
