"""change log kinds: each row names the kind of document it concerns, so guides and reviews share the log

Revision ID: 0006
Revises: 0005

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # A plain rename on both databases: a batch copy of the table would drop SQLite's AUTOINCREMENT.
    op.execute('ALTER TABLE search_changes RENAME COLUMN vendor_id TO document_id')
    op.add_column(
        'search_changes',
        sa.Column('kind', sa.String(length=16), server_default='vendor', nullable=False),
    )


def downgrade():
    op.drop_column('search_changes', 'kind')
    op.execute('ALTER TABLE search_changes RENAME COLUMN document_id TO vendor_id')
