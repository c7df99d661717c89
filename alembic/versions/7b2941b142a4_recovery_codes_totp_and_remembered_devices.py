"""Recovery codes, authenticator apps, remembered devices; users.factor_epoch and users.preferred_factor.

Revision ID: 7b2941b142a4
Revises: 9af7404edc5b
Create Date: 2026-11-24 20:52:46

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = '7b2941b142a4'
down_revision: Union[str, Sequence[str], None] = '9af7404edc5b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('authenticator_apps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_encrypted', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('last_used_step', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('authenticator_apps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authenticator_apps_user_id'), ['user_id'], unique=True)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('used_at', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_code_digest'), ['code_digest'], unique=True)
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('remembered_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('factor_epoch', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('last_used_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remembered_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remembered_devices_token_digest'), ['token_digest'], unique=True)
        batch_op.create_index(batch_op.f('ix_remembered_devices_user_id'), ['user_id'], unique=False)

    # Existing rows get epoch 0 and SMS as the preferred factor.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('factor_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('preferred_factor', sqlmodel.sql.sqltypes.AutoString(length=8), server_default='sms', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('preferred_factor')
        batch_op.drop_column('factor_epoch')

    with op.batch_alter_table('remembered_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remembered_devices_user_id'))
        batch_op.drop_index(batch_op.f('ix_remembered_devices_token_digest'))

    op.drop_table('remembered_devices')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_recovery_codes_code_digest'))

    op.drop_table('recovery_codes')
    with op.batch_alter_table('authenticator_apps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authenticator_apps_user_id'))

    op.drop_table('authenticator_apps')
