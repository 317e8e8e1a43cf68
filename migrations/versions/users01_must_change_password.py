"""user.must_change_password: imported users and users whose password an administrator reset choose their own

Revision ID: users01
Revises: locking01
Create Date: 2026-12-04 21:10:00

Existing users keep their passwords: the column starts false for them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'users01'
down_revision = 'locking01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    # DROP COLUMN in place (SQLite 3.35+): a copy-and-swap would drop `user`, which other rows reference
    with op.batch_alter_table('user', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('must_change_password')
