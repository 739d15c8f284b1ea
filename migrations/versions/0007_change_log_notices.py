"""change log notices: on PostgreSQL, a trigger sends NOTIFY vendors_change_log with every transaction that
changes the change log or its identity, so workers learn the log moved without asking on every request

Revision ID: 0007
Revises: 0006

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TABLES = ('search_changes', 'change_log_identity')


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION change_log_notice() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_notify('vendors_change_log', ''); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER change_log_notice AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION change_log_notice()"
        )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER change_log_notice ON {table}')
    op.execute('DROP FUNCTION change_log_notice()')
