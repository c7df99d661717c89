"""The settings page's states: the status, the wizard, and a substate per factor."""

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.state.settings.account import DeleteAccountState
from sms2fa_app.state.settings.channel import CodeChannelState
from sms2fa_app.state.settings.passkeys import PasskeySetupState
from sms2fa_app.state.settings.password import PasswordChangeState
from sms2fa_app.state.settings.recovery import RecoveryCodesState
from sms2fa_app.state.settings.sms import SmsSetupState
from sms2fa_app.state.settings.status import SettingsState
from sms2fa_app.state.settings.steps import Step
from sms2fa_app.state.settings.totp import TotpSetupState
from sms2fa_app.state.settings.wizard import WizardState

__all__ = [
    "CodeChannelState",
    "DeleteAccountState",
    "Operation",
    "PasskeySetupState",
    "PasswordChangeState",
    "RecoveryCodesState",
    "SettingsState",
    "SmsSetupState",
    "Step",
    "TotpSetupState",
    "WizardState",
]
