"""How codes reach the user's number: users.phone_channel ("sms", "whatsapp" or "voice" for a landline).

Revision ID: e4f7a2c9d150
Revises: d5a9c3e17b42
Create Date: 2026-12-07 22:55:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'e4f7a2c9d150'
down_revision: Union[str, Sequence[str], None] = 'd5a9c3e17b42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A column with a server default: existing accounts keep receiving texts."""
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('phone_channel', sa.String(length=8), nullable=False, server_default='sms'))


def downgrade() -> None:
    with op.batch_alter_table('users', recreate='auto', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('phone_channel')
