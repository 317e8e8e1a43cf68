"""audit entries and notifications store a message key and its arguments, rendered in the reader's language

Revision ID: lang01
Revises: 0e317cf36662
Create Date: 2026-12-03 17:00:00

Existing rows keep their stored Vietnamese text (summary, subject, body) and show it as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'lang01'
down_revision = '0e317cf36662'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('audit_entry', 'notification'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('message', sa.String(length=60), server_default='', nullable=False))
            batch_op.add_column(sa.Column('args', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))


def downgrade():
    for table in ('notification', 'audit_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('args')
            batch_op.drop_column('message')
