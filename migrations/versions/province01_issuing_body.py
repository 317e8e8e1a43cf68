"""unit: the issuing body of a province (letterhead lines, place, number pattern, default signer) as data

Revision ID: province01
Revises: users01
Create Date: 2026-12-03 21:15:00

Set on root units (provinces); NULL means "derived from the unit's name", which is what every report printed
before, so existing reports do not change.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'province01'
down_revision = 'users01'
branch_labels = None
depends_on = None

COLUMNS = (('letterhead_parent', 255), ('letterhead_issuer', 255), ('place_name', 120), ('number_pattern', 80),
           ('signer_title', 120), ('signer_name', 120))


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade():
    # in place (SQLite 3.35+): a copy-and-swap would drop `unit`, which other rows reference
    with op.batch_alter_table('unit', schema=None, recreate='never') as batch_op:
        for name, _length in reversed(COLUMNS):
            batch_op.drop_column(name)
