"""import runs: a confirmed upload is imported in the background, so its row keeps what became of it (waiting,
running, done, rejected, failed), its attempt, when it started and finished, and the report its page shows

Revision ID: 0008
Revises: 0007

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs on both databases: the uploads waiting for their confirmation become 'waiting'.
    op.add_column(
        'pending_imports',
        sa.Column('state', sa.String(length=10), server_default='waiting', nullable=False),
    )
    op.add_column('pending_imports', sa.Column('attempt', sa.Integer(), server_default='0', nullable=False))
    op.add_column('pending_imports', sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('pending_imports', sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('pending_imports', sa.Column('report', sa.JSON(), nullable=True))


def downgrade():
    # One column at a time: SQLite drops a column in place (3.35 and later) unless it is in a constraint.
    for column in ('report', 'finished_at', 'started_at', 'attempt', 'state'):
        op.drop_column('pending_imports', column)
