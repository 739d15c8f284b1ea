"""vendor texts' line breaks: a description's are LF only (browsers saved their textarea's as CRLF, so the same
text could read as changed), and a name or tagline has none (an import could bring one, which the editor's
one-line box would drop); the pages and the search read the same words either way

Revision ID: 0009
Revises: 0008

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

VENDORS = sa.table(
    'vendors',
    sa.column('id', sa.Integer),
    sa.column('name', sa.String),
    sa.column('tagline', sa.String),
    sa.column('description', sa.Text),
)
CRLF_OR_CR = re.compile(r"\r\n?")
# What ends a line for a browser or str.splitlines, with the spaces around it.
BREAKS = "\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029"
LINE_BREAK = re.compile(f"\\s*[{BREAKS}]+\\s*")


def upgrade():
    connection = op.get_bind()
    holding_one = sa.or_(
        VENDORS.c.description.contains("\r", autoescape=True),
        *(VENDORS.c[field].contains(character, autoescape=True) for field in ('name', 'tagline') for character in BREAKS),
    )
    for row in connection.execute(sa.select(VENDORS).where(holding_one)).all():
        changed = {
            'name': LINE_BREAK.sub(" ", row.name).strip(),
            'tagline': LINE_BREAK.sub(" ", row.tagline or "").strip(),
            'description': CRLF_OR_CR.sub("\n", row.description or ""),
        }
        changed = {field: value for field, value in changed.items() if value != (getattr(row, field) or "")}
        if changed:
            connection.execute(sa.update(VENDORS).where(VENDORS.c.id == row.id).values(**changed))


def downgrade():
    pass  # which line breaks were CRLF is not kept, and nothing reads them differently
