"""What can be searched and filtered: one declaration per kind of document, everything else derived from it.

A kind of document (vendors now; guides and reviews next) declares its searchable text fields and its
filterable attributes. From the declaration come:

    the index schema and each document's text      vendors.search.schema
    the weights that rank a match                  vendors.search.matching
    the snippets' candidate texts                  vendors.search.snippets
    the database fallback's matching               vendors.search.fallback
    the similar-vendor terms                       vendors.search (similar)
    the directory's facets: values, labels, titles vendors.directory.params, vendors.directory.bitsets

A new kind (guides, reviews) is one more DocumentKind: its writers log changes under its name, and
`flask index` keeps its folder as it keeps the vendors'.

Adding a searchable field is one entry in `VENDORS.fields` (plus a migration if it reads a new column); the
next catch-up rebuilds every index, since the schema signature names the fields. Search reads `VENDORS`
through this module at call time (`registry.VENDORS`), never a copy made at import: a test replaces it with
one more field to prove the point. The directory's facet tables are built from `VENDORS.attributes` once.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement

from vendors.catalog import changelog
from vendors.catalog.models import Vendor, VendorFacetValue
from vendors.catalog.rules import RATE_LABELS, SHORES, SIZE_LABELS, rate_band, size_band
from vendors.reference.countries import COUNTRIES
from vendors.reference.languages import LANGUAGES
from vendors.reference.taxonomy import CERTIFICATIONS, CHANNELS, COVERAGE, SPECIALISATIONS

LABEL_SEPARATOR = " · "


@dataclass(frozen=True)
class Attribute:
    """A filterable attribute: its URL parameter, its heading, and its values with their labels.

    `stored` attributes are kept as the vendor's VendorFacetValue rows under the same name; the others are
    worked out: with `compute`, from one column of the vendor (size and rate bands, which the listing keeps
    as bitsets); without, at query time (the shore, which depends on the buyer's country).
    """

    facet: str
    title: str
    vocabulary: Mapping[str, str]
    stored: bool = True
    computed_from: str = ""  # the column `compute` reads
    compute: Callable[[Any], str] | None = None

    def label(self, value: str) -> str:
        return self.vocabulary.get(value, value)


@dataclass(frozen=True)
class TextField:
    """A searchable text field, gathered from the database in one of two ways:

    - `columns`: the text of these columns of the document's row, joined by a space;
    - `labels_of`: the labels of these attributes' values (with `coded_columns`, columns holding one more
      value of an attribute, such as the headquarters country), joined by LABEL_SEPARATOR.

    The database fallback matches it the same way: a substring of the columns, or a label of the values.
    """

    name: str
    weight: float
    columns: tuple[str, ...] = ()
    labels_of: tuple[str, ...] = ()
    coded_columns: Mapping[str, str] = field(default_factory=dict)  # column -> the attribute it holds
    snippet: int = 0  # a candidate text for the result's snippet: 1 is preferred, then 2...; 0 is not one
    similar: bool = True  # its words describe the vendor for "similar vendors"


@dataclass(frozen=True)
class AttributeRows:
    """Where a kind keeps its stored attribute values: a table of (owner, facet, value, position) rows."""

    model: type
    owner: str  # the column holding the document's id

    @property
    def owner_column(self):
        return getattr(self.model, self.owner)


@dataclass(frozen=True)
class DocumentKind:
    """A kind of searchable document.

    `name` is what the change log calls it (the catalogue's writers log changes under it), `folder` the
    subfolder of SEARCH_INDEX_DIR holding its index. Catch-up, rebuild, status, the schema, the documents and
    the database fallback take a kind; a kind without stored attributes has `attribute_rows` None.
    """

    name: str
    folder: str
    model: type
    fields: tuple[TextField, ...]
    attributes: tuple[Attribute, ...]
    published: ColumnElement[bool]
    attribute_rows: AttributeRows | None = None

    @cached_property
    def weights(self) -> dict[str, float]:
        return {text.name: text.weight for text in self.fields}

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        """Heaviest first, whatever the declaration's order: a phrase is checked in this order, and a vendor
        found in its short name is not checked again in its long description."""
        return tuple(text.name for text in sorted(self.fields, key=lambda text: -text.weight))

    @cached_property
    def signature(self) -> str:
        """Every field's declaration: what an index built for this kind depends on."""
        return " ".join(
            f"{text.name}:{'+'.join(text.columns)}/{'+'.join(text.labels_of)}"
            f"/{'+'.join(f'{column}={held}' for column, held in sorted(text.coded_columns.items()))}"
            for text in sorted(self.fields, key=lambda text: text.name)
        )

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """Every column a document is gathered from, the id first."""
        read = ["id"]
        for text in self.fields:
            read += [*text.columns, *text.coded_columns]
        return tuple(dict.fromkeys(read))

    @cached_property
    def by_facet(self) -> dict[str, Attribute]:
        return {attribute.facet: attribute for attribute in self.attributes}

    @cached_property
    def stored_facets(self) -> tuple[str, ...]:
        return tuple(attribute.facet for attribute in self.attributes if attribute.stored)

    def text(self, text_field: TextField, row, values: Mapping[str, list[str]]) -> str:
        """One field's text for one document: `row` has the columns, `values` the stored attribute values."""
        if text_field.columns:
            return " ".join(getattr(row, column) or "" for column in text_field.columns)
        labels = []
        for facet in text_field.labels_of:
            held = text_field.coded_columns.items()
            coded = [getattr(row, column) for column, attribute_held in held if attribute_held == facet]
            attribute = self.by_facet[facet]
            labels += [attribute.label(value) for value in dict.fromkeys([*coded, *values.get(facet, [])])]
        return LABEL_SEPARATOR.join(labels)


VENDORS = DocumentKind(
    name=changelog.VENDOR,
    folder="vendors",
    model=Vendor,
    fields=(
        TextField("name", 8.0, columns=("name",)),
        TextField("tagline", 4.0, columns=("tagline",)),  # shown above every snippet: never one itself
        TextField("labels", 2.5, labels_of=("specialisation", "channel", "certification"), snippet=3),
        TextField(
            "places",
            2.5,
            labels_of=("country", "language"),
            coded_columns={"hq_country": "country"},
            snippet=4,
            similar=False,
        ),
        TextField("description", 1.0, columns=("description",), snippet=1),
    ),
    attributes=(
        Attribute("shore", "Shore", SHORES, stored=False),
        Attribute("country", "Delivery country", {code: country.name for code, country in COUNTRIES.items()}),
        Attribute(
            "size", "Company size", SIZE_LABELS, stored=False, computed_from="employees", compute=size_band
        ),
        Attribute("specialisation", "Specialisation", SPECIALISATIONS),
        Attribute(
            "rate_band",
            "Hourly rate",
            RATE_LABELS,
            stored=False,
            computed_from="hourly_rate_min",
            compute=rate_band,
        ),
        Attribute("language", "Language", LANGUAGES),
        Attribute("certification", "Certification", CERTIFICATIONS),
        Attribute("channel", "Channel", CHANNELS),
        Attribute("coverage", "Coverage", COVERAGE, stored=False, computed_from="coverage", compute=str),
    ),
    published=Vendor.status == "published",
    attribute_rows=AttributeRows(VendorFacetValue, "vendor_id"),
)
