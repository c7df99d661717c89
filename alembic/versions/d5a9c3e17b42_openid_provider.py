"""The OpenID provider: registered clients, issued tokens (digests only), ID-token signing keys, consents.

Revision ID: d5a9c3e17b42
Revises: d5a2e8c17f34
Create Date: 2026-12-07 20:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = 'd5a9c3e17b42'
down_revision: Union[str, Sequence[str], None] = 'd5a2e8c17f34'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'oidc_clients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', _text(64), nullable=False),
        sa.Column('name', _text(64), nullable=False),
        sa.Column('secret_digest', _text(64), nullable=False),
        sa.Column('redirect_uris', _text(2000), nullable=False),
        sa.Column('post_logout_redirect_uris', _text(2000), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('require_two_factor', sa.Boolean(), nullable=False),
        sa.Column('first_party', sa.Boolean(), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_oidc_clients_client_id'), 'oidc_clients', ['client_id'], unique=True)
    op.create_table(
        'oidc_signing_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kid', _text(64), nullable=False),
        sa.Column('alg', _text(8), nullable=False),
        sa.Column('private_key_encrypted', _text(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('retired_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kid'),
    )
    op.create_table(
        'oidc_consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client_id', _text(64), nullable=False),
        sa.Column('scope', _text(255), nullable=False),
        sa.Column('granted_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_oidc_consents_user_id'), 'oidc_consents', ['user_id'], unique=False)
    op.create_index('uq_oidc_consents_user_client', 'oidc_consents', ['user_id', 'client_id'], unique=True)
    op.create_table(
        'oidc_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('family', _text(32), nullable=False),
        sa.Column('client_id', _text(64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('scope', _text(255), nullable=False),
        sa.Column('access_digest', _text(64), nullable=False),
        sa.Column('access_expires_at', sa.Float(), nullable=False),
        sa.Column('refresh_digest', _text(64), nullable=True),
        sa.Column('issued_at', sa.Float(), nullable=False),
        sa.Column('rotated_at', sa.Float(), nullable=True),
        sa.Column('revoked_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_oidc_tokens_access_digest'), 'oidc_tokens', ['access_digest'], unique=True)
    op.create_index(op.f('ix_oidc_tokens_client_id'), 'oidc_tokens', ['client_id'], unique=False)
    op.create_index(op.f('ix_oidc_tokens_family'), 'oidc_tokens', ['family'], unique=False)
    op.create_index(op.f('ix_oidc_tokens_refresh_digest'), 'oidc_tokens', ['refresh_digest'], unique=True)
    op.create_index(op.f('ix_oidc_tokens_session_id'), 'oidc_tokens', ['session_id'], unique=False)
    op.create_index(op.f('ix_oidc_tokens_user_id'), 'oidc_tokens', ['user_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema (every client, token, key and consent is dropped)."""
    for index in ('user_id', 'session_id', 'refresh_digest', 'family', 'client_id', 'access_digest'):
        op.drop_index(op.f(f'ix_oidc_tokens_{index}'), table_name='oidc_tokens')
    op.drop_table('oidc_tokens')
    op.drop_index('uq_oidc_consents_user_client', table_name='oidc_consents')
    op.drop_index(op.f('ix_oidc_consents_user_id'), table_name='oidc_consents')
    op.drop_table('oidc_consents')
    op.drop_table('oidc_signing_keys')
    op.drop_index(op.f('ix_oidc_clients_client_id'), table_name='oidc_clients')
    op.drop_table('oidc_clients')
