"""change log identity: a random value naming this database, recorded by every search index built from it

Revision ID: 0005
Revises: 0004

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    identity = op.create_table('change_log_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(identity, [{'id': 1, 'value': uuid.uuid4().hex}])


def downgrade():
    op.drop_table('change_log_identity')
