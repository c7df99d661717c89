"""Admin console fixes: at most one pending 2FA reset per user; what took a session to the authenticated stage.

Revision ID: f2c9d4b7a813
Revises: e8b3f1a6d240
Create Date: 2026-11-27 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = 'f2c9d4b7a813'
down_revision: Union[str, Sequence[str], None] = 'e8b3f1a6d240'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    """Upgrade schema (sessions made before it have how = "": the admin console asks them to sign in again)."""
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('how', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='', nullable=False)
        )
    op.create_index(
        'uq_two_factor_resets_pending',
        'two_factor_resets',
        ['user_id'],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('uq_two_factor_resets_pending', table_name='two_factor_resets')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_column('how')
