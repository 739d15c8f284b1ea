"""shortlists, shared comparisons and inquiries

Revision ID: 0004
Revises: 0003

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shortlists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('inquiries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('timeline', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('forwarded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['forwarded_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiries_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inquiries_status'), ['status'], unique=False)

    op.create_table('shared_comparisons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('shortlist_id', sa.Integer(), nullable=False),
    sa.Column('vendors', sa.JSON(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shortlist_id'], ['shortlists.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('shared_comparisons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_comparisons_shortlist_id'), ['shortlist_id'], unique=False)

    op.create_table('shortlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shortlist_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=True),
    sa.Column('vendor_slug', sa.String(length=80), nullable=False),
    sa.Column('vendor_name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shortlist_id'], ['shortlists.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shortlist_id', 'vendor_id')
    )
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlist_entries_shortlist_id'), ['shortlist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shortlist_entries_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('inquiry_recipients',
    sa.Column('inquiry_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=True),
    sa.Column('vendor_slug', sa.String(length=80), nullable=False),
    sa.Column('vendor_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['inquiry_id'], ['inquiries.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('inquiry_id', 'position')
    )
    with op.batch_alter_table('inquiry_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiry_recipients_vendor_id'), ['vendor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inquiry_recipients_vendor_slug'), ['vendor_slug'], unique=False)



def downgrade():
    with op.batch_alter_table('inquiry_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inquiry_recipients_vendor_slug'))
        batch_op.drop_index(batch_op.f('ix_inquiry_recipients_vendor_id'))

    op.drop_table('inquiry_recipients')
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_shortlist_id'))

    op.drop_table('shortlist_entries')
    with op.batch_alter_table('shared_comparisons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_comparisons_shortlist_id'))

    op.drop_table('shared_comparisons')
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inquiries_status'))
        batch_op.drop_index(batch_op.f('ix_inquiries_created_at'))

    op.drop_table('inquiries')
    op.drop_table('shortlists')
