"""The admin console's states: the guard every admin handler goes through, accounts, operations charts, and the
page where a user cancels a pending reset."""

from sms2fa_app.state.admin.apps import AdminAppsState
from sms2fa_app.state.admin.base import AdminState
from sms2fa_app.state.admin.cancel_reset import CancelResetState
from sms2fa_app.state.admin.ops import AdminOpsState
from sms2fa_app.state.admin.users import AdminUsersState

__all__ = ["AdminAppsState", "AdminOpsState", "AdminState", "AdminUsersState", "CancelResetState"]
