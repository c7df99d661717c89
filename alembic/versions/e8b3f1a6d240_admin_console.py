"""Admin console: the admin role, the admins' audit log, pending 2FA resets, stored SMS operations events.

Revision ID: e8b3f1a6d240
Revises: c41d7e2a9b10
Create Date: 2026-11-25 21:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = 'e8b3f1a6d240'
down_revision: Union[str, Sequence[str], None] = 'c41d7e2a9b10'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_admin', sa.Boolean(), server_default='0', nullable=False))

    op.create_table('admin_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('admin_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_actions_admin_id'), ['admin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_actions_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_actions_at'), ['at'], unique=False)

    op.create_table('two_factor_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('identity_check', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('requested_at', sa.Float(), nullable=False),
    sa.Column('due_at', sa.Float(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('resolved_at', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('two_factor_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_two_factor_resets_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_two_factor_resets_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_two_factor_resets_state'), ['state'], unique=False)

    op.create_table('sms_ops_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sms_ops_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_ops_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_ops_events_message_id'), ['message_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('sms_ops_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_ops_events_message_id'))
        batch_op.drop_index(batch_op.f('ix_sms_ops_events_at'))
    op.drop_table('sms_ops_events')
    with op.batch_alter_table('two_factor_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_two_factor_resets_state'))
        batch_op.drop_index(batch_op.f('ix_two_factor_resets_due_at'))
        batch_op.drop_index(batch_op.f('ix_two_factor_resets_user_id'))
    op.drop_table('two_factor_resets')
    with op.batch_alter_table('admin_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_actions_at'))
        batch_op.drop_index(batch_op.f('ix_admin_actions_user_id'))
        batch_op.drop_index(batch_op.f('ix_admin_actions_admin_id'))
    op.drop_table('admin_actions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('is_admin')
