"""Users may choose their language: users.locale (NULL: no choice yet, negotiated each time).

Revision ID: d5a2e8c17f34
Revises: b3e71c2d9f46
Create Date: 2026-12-07 20:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'd5a2e8c17f34'
down_revision: Union[str, Sequence[str], None] = 'b3e71c2d9f46'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A nullable column: adding it rewrites no row (SQLite and PostgreSQL alike)."""
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', recreate='auto', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('locale')
