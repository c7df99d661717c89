"""Login sessions carry their assurance (level, auth_time, amr) instead of a stage.

The old stage maps onto the level: a session waiting for its second factor counts for none (it gave the password);
a signed-in one for the password alone when that is what signed it in (or, made before `how` was stored, when its
account has 2FA off), else for two factors. `how` gives the methods (RFC 8176 amr) where it names them, stored
without a time (read as presented at auth_time); the time the stage started becomes auth_time.

Revision ID: b3e71c2d9f46
Revises: a7d3c5e9f102
Create Date: 2026-12-07 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = 'b3e71c2d9f46'
down_revision: Union[str, Sequence[str], None] = 'a7d3c5e9f102'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# SQLite rebuilds the table for these changes: it must keep AUTOINCREMENT, or a deleted session's id would be given
# again (codes and grants are bound to session ids).
_KEEP_IDS_UNIQUE = {'sqlite_autoincrement': True}

_LEVEL_FROM_STAGE = """
UPDATE login_sessions SET level = CASE
  WHEN stage <> 'authenticated' THEN 'none'
  WHEN how = 'password' THEN 'password'
  WHEN how = '' AND NOT EXISTS (
    SELECT 1 FROM users WHERE users.id = login_sessions.user_id AND users.is_two_factor_enabled
  ) THEN 'password'
  ELSE 'two_factor'
END,
amr = CASE
  WHEN stage <> 'authenticated' THEN 'pwd'
  WHEN how = 'password' THEN 'pwd'
  WHEN how = 'sms' THEN 'pwd sms'
  WHEN how IN ('totp', 'recovery') THEN 'pwd otp'
  WHEN how = 'device' THEN 'pwd swk'
  WHEN how = 'passkey' THEN 'hwk user'
  ELSE ''
END
"""
_STAGE_FROM_LEVEL = (
    "UPDATE login_sessions SET stage = CASE WHEN level = 'none' THEN 'password_verified' ELSE 'authenticated' END"
)


def upgrade() -> None:
    """Upgrade schema (every live session stays signed in at the level its stage meant)."""
    with op.batch_alter_table('login_sessions', schema=None, table_kwargs=_KEEP_IDS_UNIQUE) as batch_op:
        batch_op.add_column(
            sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='none', nullable=False)
        )
        batch_op.add_column(
            sa.Column('amr', sqlmodel.sql.sqltypes.AutoString(length=255), server_default='', nullable=False)
        )
        batch_op.alter_column('stage_started_at', new_column_name='auth_time')
    op.execute(_LEVEL_FROM_STAGE)
    with op.batch_alter_table('login_sessions', schema=None, table_kwargs=_KEEP_IDS_UNIQUE) as batch_op:
        batch_op.drop_column('stage')


def downgrade() -> None:
    """Downgrade schema (a level becomes the stage it came from; the methods are forgotten)."""
    with op.batch_alter_table('login_sessions', schema=None, table_kwargs=_KEEP_IDS_UNIQUE) as batch_op:
        batch_op.add_column(
            sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=32), server_default='authenticated',
                      nullable=False)
        )
        batch_op.alter_column('auth_time', new_column_name='stage_started_at')
    op.execute(_STAGE_FROM_LEVEL)
    with op.batch_alter_table('login_sessions', schema=None, table_kwargs=_KEEP_IDS_UNIQUE) as batch_op:
        batch_op.drop_column('amr')
        batch_op.drop_column('level')
