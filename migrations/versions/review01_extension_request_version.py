"""extension_request: a version so simultaneous decisions cannot both be recorded, one pending request per assignment

Revision ID: review01
Revises: lang01
Create Date: 2026-12-03 16:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'review01'
down_revision = 'lang01'
branch_labels = None
depends_on = None


def upgrade():
    # existing requests start at version 1, as new ones do
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    # requests sent twice before this revision (a double-click): the first stays pending, the copies are closed
    op.execute("UPDATE extension_request SET state = 'refused', "
               "decision_note = 'Trùng với đề nghị gửi trước (gửi hai lần)' "
               "WHERE state = 'pending' AND id > (SELECT MIN(e.id) FROM extension_request e "
               "WHERE e.assignment_id = extension_request.assignment_id AND e.state = 'pending')")
    op.create_index('uq_extension_request_one_pending', 'extension_request', ['assignment_id'], unique=True,
                    sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))


def downgrade():
    op.drop_index('uq_extension_request_one_pending', table_name='extension_request')
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.drop_column('version')
