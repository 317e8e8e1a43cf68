"""unit, user, unit_kind: an integer version for optimistic locking, as assignments and plans have

Revision ID: locking01
Revises: review01
Create Date: 2026-12-04 20:00:00

Their edit forms used to carry the row's updated_at as a "stamp"; they now post the version, which SQLAlchemy
also checks in the UPDATE (version_id_col), so of two simultaneous saves the database lets one through.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'locking01'
down_revision = 'review01'
branch_labels = None
depends_on = None

TABLES = ('unit_kind', 'unit', 'user')


def upgrade():
    # existing rows start at version 1, as new ones do
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): batch mode's copy-and-swap would drop `unit` and `user`,
    # which other rows reference, and SQLite's foreign keys (on in this app) refuse that
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None, recreate='never') as batch_op:
            batch_op.drop_column('version')
