"""Search answered by the database alone, for when the index is missing or unreadable.

Slower (substring scans) and plainer (no stemming, typo tolerance or accent folding: a word is found folded
or as typed, "bogotá" but not "bogota" in "Bogotá"), but the same clause semantics: every word or phrase
required, excluded ones removed; attribute words match their labels ("Spanish", "Colombia").
Ranking keeps the one promise that matters most: a match in the name comes before any other.
"""

from sqlalchemy import ColumnElement, and_, case, exists, false, func, not_, or_, select

from vendors.extensions import db
from vendors.search import registry
from vendors.search.parsing import Clause, ParsedQuery, words_of


def find_ids(parsed: ParsedQuery, kind: registry.DocumentKind | None = None) -> list[int]:
    """Ids of the published documents of kind (vendors by default) matching parsed, best first."""
    kind = kind or registry.VENDORS
    conditions: list[ColumnElement[bool]] = [kind.published]
    conditions += [_matches(kind, clause) for clause in parsed.required]
    conditions += [not_(_matches(kind, clause)) for clause in parsed.excluded]
    # The weightiest text field (the name) comes first, as it does in the index's ranking.
    first = getattr(kind.model, max((f for f in kind.fields if f.columns), key=lambda f: f.weight).columns[0])
    order = [func.lower(first), kind.model.id]
    if parsed.required:
        # A query with nothing required ("-billing", "the") has no name to match first.
        in_first = and_(*(_like(first, clause) for clause in parsed.required))
        order.insert(0, case((in_first, 0), else_=1))
    statement = select(kind.model.id).where(*conditions).order_by(*order)
    return list(db.session.scalars(statement))


def _matches(kind: registry.DocumentKind, clause: Clause) -> ColumnElement[bool]:
    """The clause, or any of its alternatives, in one of kind's text fields."""
    matches = []
    for option in clause.options:
        for text_field in kind.fields:
            matches += [_like(getattr(kind.model, column), option) for column in text_field.columns]
            for facet in text_field.labels_of:
                matches += _label_matches(kind, text_field, facet, option)
    return or_(*matches) if matches else false()


def _like(column, clause: Clause) -> ColumnElement[bool]:
    """The clause's words in column, in order, folded as the index has them or as typed."""
    spelt = [clause.words, clause.spellings] if clause.spellings else [clause.words]
    patterns = ["%" + "%".join(escape_like(word) for word in words) + "%" for words in spelt]
    return or_(*(func.lower(column).like(pattern, escape="\\") for pattern in patterns))


def _label_matches(
    kind: registry.DocumentKind, text_field: registry.TextField, facet: str, clause: Clause
) -> list[ColumnElement[bool]]:
    """Documents holding a value of facet whose label contains the clause's words, as a value or in a coded
    column (the headquarters country)."""
    vocabulary = kind.by_facet[facet].vocabulary
    values = [value for value, label in vocabulary.items() if _contains(words_of(label), clause.words)]
    if not values:
        return []
    coded = [column for column, held in text_field.coded_columns.items() if held == facet]
    matches = [getattr(kind.model, column).in_(values) for column in coded]
    stored = kind.attribute_rows
    if stored is not None and kind.by_facet[facet].stored:
        rows = stored.model
        matches.append(
            exists().where(stored.owner_column == kind.model.id, rows.facet == facet, rows.value.in_(values))
        )
    return matches


def _contains(words: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
