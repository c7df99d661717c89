"""The transactional outbox: security notices and operator alerts written in their change's transaction.

Revision ID: a7d3c5e9f102
Revises: f2c9d4b7a813
Create Date: 2026-12-07 17:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = 'a7d3c5e9f102'
down_revision: Union[str, Sequence[str], None] = 'f2c9d4b7a813'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'outbox',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('payload', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('claimed_until', sa.Float(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_outbox_created_at'), 'outbox', ['created_at'], unique=False)
    op.create_index(op.f('ix_outbox_claimed_until'), 'outbox', ['claimed_until'], unique=False)


def downgrade() -> None:
    """Downgrade schema (notices still waiting in it are dropped)."""
    op.drop_index(op.f('ix_outbox_claimed_until'), table_name='outbox')
    op.drop_index(op.f('ix_outbox_created_at'), table_name='outbox')
    op.drop_table('outbox')
