"""The pages' own words (headings, labels, buttons, links): drawn in the tab's language by
components/language.py `t(...)`. A sentence around a value keeps the value's place as `{name}` (never glued).
Words another screen already declares are that entry (one id for the same words)."""

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.state.words import activity, login, settings
from sms2fa_app.state.words.catalogue import Text

LANGUAGE = Text("page.language", "Language")
DISMISS = Text("page.dismiss", "Dismiss")
TOGGLE_DARK_MODE = Text("page.toggle_dark_mode", "Toggle dark mode")

# Sign-up and log-in
EMAIL = Text("page.email", "Email")
PASSWORD = Text("page.password", "Password")
CONFIRM_PASSWORD = Text("page.confirm_password", "Confirm password")
CREATE_YOUR_ACCOUNT = Text("page.create_your_account", "Create your account")
CREATE_ACCOUNT = Text("page.create_account", "Create account")
LOG_IN_INSTEAD = Text("page.log_in_instead", "Log in instead")
ALREADY_HAVE_ACCOUNT = Text("page.already_have_account", "Already have an account?")
CHECK_YOUR_EMAIL = Text("page.check_your_email", "Check your email")
CHECK_EMAIL_TO_FINISH = login.CHECK_EMAIL
LOG_IN = Text("page.log_in", "Log in")
FORGOT_PASSWORD = Text("page.forgot_password", "Forgot password?")
OR = Text("page.or", "or")
SIGN_IN_WITH_PASSKEY = Text("page.sign_in_with_passkey", "Sign in with a passkey")
NEW_HERE = Text("page.new_here", "New here?")
CREATE_AN_ACCOUNT = Text("page.create_an_account", "Create an account")

# Confirming the address
CONFIRM_YOUR_EMAIL = Text("page.confirm_your_email", "Confirm your email address")
EMAIL_CONFIRMED = activity.EMAIL_VERIFIED
LINK_UNUSABLE = Text("page.link_unusable", "This link can't be used")
ONE_STEP_LEFT = Text("page.one_step_left", "One step left")
CONFIRM_TO_FINISH = Text("page.confirm_to_finish", "Confirm this address to finish signing up.")
CONFIRM_MY_EMAIL = Text("page.confirm_my_email", "Confirm my email address")

# Dashboard
DASHBOARD = Text("page.dashboard", "Dashboard")
SIGNED_IN_AS = Text("page.signed_in_as", "Signed in as {email}")
SECURITY_SETTINGS = Text("page.security_settings", "Security settings")
ADMIN_CONSOLE = Text("page.admin_console", "Admin console")
LOG_OUT = Text("page.log_out", "Log out")
ON = Text("page.on", "On")
OFF = Text("page.off", "Off")
MANAGE_TWO_FACTOR = Text("page.manage_two_factor", "Manage two-factor authentication")
TURN_ON_TWO_FACTOR = settings.OPERATION_TITLES[Operation.ENABLE_SMS]

# Settings: turning two-factor authentication on
SETTINGS = Text("page.settings", "Settings")
TWO_FACTOR = Text("page.two_factor", "Two-factor authentication")
ONLY_PASSWORD_PROTECTS = Text("page.only_password_protects", "Only your password protects this account.")
ENABLE_TWO_FACTOR = Text("page.enable_two_factor", "Enable two-factor authentication")
BACK_TO_DASHBOARD = Text("page.back_to_dashboard", "Back to dashboard")
MOBILE_NUMBER_TO_TEXT = Text("page.mobile_number_to_text", "The mobile number we should text.")
PHONE_NUMBER = Text("page.phone_number", "Phone number")
WE_WILL_TEXT = Text("page.we_will_text", "We'll text {number}")
SEND_CODE = Text("page.send_code", "Send code")
CODE_SENT_TO = Text("page.code_sent_to", "Enter the code we sent to {number}.")
DONE = Text("page.done", "Done")
VERIFICATION_CODE = Text("page.verification_code", "Verification code")
VERIFY = Text("page.verify", "Verify")
RESEND_CODE = Text("page.resend_code", "Resend code")

# The challenge
VERIFY_ITS_YOU = Text("page.verify_its_you", "Verify it's you")
SIGNING_IN_AS = Text("page.signing_in_as", "Signing in as {email}")
NOT_YOU = Text("page.not_you", "Not you?")
ENTER_TEXTED_CODE = Text("page.enter_texted_code", "Enter the 6-digit code we sent to the number ending in {ending}.")
ENTER_WHATSAPP_CODE = Text(
    "page.enter_whatsapp_code", "Enter the 6-digit code we sent by WhatsApp to the number ending in {ending}."
)
ENTER_APP_CODE = Text("page.enter_app_code", "Enter the 6-digit code from your authenticator app.")
ENTER_RECOVERY_CODE = Text("page.enter_recovery_code", "Enter one of your recovery codes. Each works once.")
USE_PASSKEY_HINT = Text(
    "page.use_passkey_hint", "Use your passkey: your device asks for your fingerprint, face, PIN or security key."
)
RECOVERY_CODE = Text("page.recovery_code", "Recovery code")
CALL_ME_INSTEAD = Text("page.call_me_instead", "Call me instead")
TEXT_INSTEAD = Text("page.text_instead", "Send a text instead")
VERIFY_WITH_PASSKEY = Text("page.verify_with_passkey", "Verify with a passkey")
CANCEL_AND_LOG_OUT = Text("page.cancel_and_log_out", "Cancel and log out")
USE_A_PASSKEY = Text("page.use_a_passkey", "Use a passkey")
TEXT_ME_A_CODE = Text("page.text_me_a_code", "Text me a code")
USE_AUTHENTICATOR_APP = Text("page.use_authenticator_app", "Use my authenticator app")
USE_A_RECOVERY_CODE = Text("page.use_a_recovery_code", "Use a recovery code")

# The settings wizard's steps
BACK = Text("page.back", "Back")
CANCEL = Text("page.cancel", "Cancel")
CONTINUE_WITH_PASSKEY = Text("page.continue_with_passkey", "Continue with a passkey")
REMOVING_PASSKEY = Text("page.removing_passkey", "Removing the passkey {name}.")
DOWNLOAD = Text("page.download", "Download")
COPY = Text("page.copy", "Copy")

# Forgotten password
RESET_YOUR_PASSWORD = Text("page.reset_your_password", "Reset your password")
ENTER_ACCOUNT_EMAIL = Text(
    "page.enter_account_email", "Enter the email address of your account. We'll send you a link."
)
SEND_RESET_LINK = Text("page.send_reset_link", "Send reset link")
BACK_TO_LOG_IN = Text("page.back_to_log_in", "Back to log in")
CHOOSE_NEW_PASSWORD = Text("page.choose_new_password", "Choose a new password")
CONFIRM_ITS_YOU = Text("page.confirm_its_you", "Confirm it's you")
RESET_NEEDS_SECOND_FACTOR = Text(
    "page.reset_needs_second_factor",
    "Your account has two-factor authentication. Confirm it's you before you choose a new password.",
)
WE_WILL_TEXT_ENDING = Text("page.we_will_text_ending", "We'll text a code to the number ending in {ending}.")
TEXT_ME_THE_CODE = Text("page.text_me_the_code", "Text me the code")
YOUR_NEW_PASSWORD = Text("page.your_new_password", "Your new password")
NEW_PASSWORD = Text("page.new_password", "New password")
CONFIRM_NEW_PASSWORD = Text("page.confirm_new_password", "Confirm new password")
SET_NEW_PASSWORD = Text("page.set_new_password", "Set new password")
LINK_EXPIRED = login.RESET_LINK_INVALID
ASK_FOR_NEW_LINK = Text("page.ask_for_new_link", "Ask for a new link")
PASSWORD_CHANGED = activity.PASSWORD_CHANGED

# The settings' sections
SETTINGS_SECTIONS = Text("page.settings_sections", "Settings sections")
SIGN_IN_METHODS = Text("page.sign_in_methods", "Sign-in methods")
DEVICES_AND_SESSIONS = Text("page.devices_and_sessions", "Devices and sessions")
DANGER_ZONE = Text("page.danger_zone", "Danger zone")

# Dashboard banners, the step-up page, security activity, the 404 page
MAKE_NEW_RECOVERY_CODES = settings.OPERATION_TITLES[Operation.REGENERATE_CODES]
CANCEL_THE_RESET = Text("page.cancel_the_reset", "Cancel the reset")
STEP_UP_ASKS_AGAIN = Text("page.step_up_asks_again", "This page asks for your second factor again.")
SHOW = Text("page.show", "Show")
NEWER = Text("page.newer", "Newer")
OLDER = Text("page.older", "Older")
SECURITY_ACTIVITY = Text("page.security_activity", "Security activity")
ACTIVITY_INTRO = Text(
    "page.activity_intro", "The last 90 days: sign-ins, wrong codes, lockouts and changes to your account."
)
NOTHING_YET = Text("page.nothing_yet", "Nothing yet.")
BACK_TO_SETTINGS = Text("page.back_to_settings", "Back to settings")
PAGE_NOT_FOUND = Text("page.not_found", "Page not found")
NO_PAGE_HERE = Text(
    "page.no_page_here", "There is no page at this address. It may have moved, or the link may be incomplete."
)
GO_HOME = Text("page.go_home", "Go to the home page")

# Settings: confirming a change, the account, sign-in methods, devices, passkeys
CONFIRM_WITH_PASSWORD = Text("page.confirm_with_password", "To confirm, enter your password.")
CONFIRM_WITH_APP = Text(
    "page.confirm_with_app", "To confirm, enter your password and a code from your authenticator app."
)
CONFIRM_WITH_RECOVERY = Text(
    "page.confirm_with_recovery", "To confirm, enter your password and one of your recovery codes."
)
CONFIRM_WITH_PASSKEY = Text(
    "page.confirm_with_passkey", "To confirm, enter your password, then use one of your passkeys."
)
CONFIRM_WITH_TEXT = Text(
    "page.confirm_with_text",
    "To confirm, enter your password, then a code we text to the number ending in {ending}.",
)
PASSWORD_THEN_APP = Text(
    "page.password_then_app", "Your password is confirmed. Enter a code from your authenticator app."
)
PASSWORD_THEN_RECOVERY = Text(
    "page.password_then_recovery", "Your password is confirmed. Enter one of your recovery codes."
)
PASSWORD_THEN_PASSKEY = Text("page.password_then_passkey", "Your password is confirmed. Now use one of your passkeys.")
CHANGE_PASSWORD = Text("page.change_password", "Change password")
DELETE_ACCOUNT_PERMANENTLY = Text("page.delete_account_permanently", "Delete my account permanently")
SIGN_OUT = Text("page.sign_out", "Sign out")
ACTIVE_SESSIONS = Text("page.active_sessions", "Active sessions")
SIGN_OUT_EVERYWHERE_ELSE = Text("page.sign_out_everywhere_else", "Sign out everywhere else")
DELETE_ACCOUNT = Text("page.delete_account", "Delete account")
DELETE_MY_ACCOUNT = Text("page.delete_my_account", "Delete my account")
CHANGE = Text("page.change", "Change")
CHANGE_PHONE_NUMBER = Text("page.change_phone_number", "Change phone number")
REMOVE = Text("page.remove", "Remove")
REMOVE_AUTHENTICATOR = Text("page.remove_authenticator", "Remove authenticator app")
SET_UP = Text("page.set_up", "Set up")
SET_UP_AUTHENTICATOR = settings.OPERATION_TITLES[Operation.ADD_TOTP]
ADD = Text("page.add", "Add")
ADD_A_PASSKEY = settings.OPERATION_TITLES[Operation.ADD_PASSKEY]
REGENERATE = Text("page.regenerate", "Regenerate")
REGENERATE_RECOVERY_CODES = Text("page.regenerate_recovery_codes", "Regenerate recovery codes")
TURN_OFF_TWO_FACTOR = settings.OPERATION_TITLES[Operation.DISABLE]
CONTINUE_TO_TURN_OFF = Text("page.continue_to_turn_off", "Continue to turn off")
KEEP_IT_ON = Text("page.keep_it_on", "Keep it on")
THIS_DEVICE = Text("page.this_device", "This device")
FORGET = Text("page.forget", "Forget")
REMEMBERED_DEVICES = Text("page.remembered_devices", "Remembered devices")
FORGET_ALL = Text("page.forget_all", "Forget all")
FORGET_ALL_DEVICES = Text("page.forget_all_devices", "Forget all devices")
SCAN_QR = Text(
    "page.scan_qr", "Scan this QR code with your authenticator app, or type the key below, then enter a current code."
)
KEY = Text("page.key", "Key")
OPEN_IN_AUTHENTICATOR = Text("page.open_in_authenticator", "Open in authenticator app")
COPY_KEY = Text("page.copy_key", "Copy key")
SAVE_NAME = Text("page.save_name", "Save name")
RENAME = Text("page.rename", "Rename")
PASSKEY_NAME = Text("page.passkey_name", "Passkey name (optional)")
CREATE_PASSKEY = Text("page.create_passkey", "Create passkey")
CONNECTED_APPS = Text("page.connected_apps", "Connected apps")
DISCONNECT = Text("page.disconnect", "Disconnect")

# The admin console's frame
ADMIN_ACCOUNTS = Text("page.admin_accounts", "Accounts")
ADMIN_SMS_OPERATIONS = Text("page.admin_sms_operations", "SMS operations")
ADMIN_APPS = Text("page.admin_apps", "Apps")
BACK_TO_THE_APP = Text("page.back_to_the_app", "Back to the app")

# The last words drawn as they were (issue 26): security activity's pages, settings' confirmations and sessions
PAGE_OF = Text("page.page_of", "Page {page} of {pages}")
CODE_SENT_TO_ENDING = Text("page.code_sent_to_ending", "Enter the code we sent to the number ending in {ending}.")
WE_WILL_TEXT_SIX_DIGITS = Text(
    "page.we_will_text_six_digits", "We'll text a 6-digit code to the number ending in {ending}."
)
DELETE_ACCOUNT_WARNING = Text(
    "page.delete_account_warning",
    "This deletes your account with its phone number, authenticator app, passkeys, recovery codes, sessions and "
    "remembered devices. It cannot be undone. We'll send a last email to confirm it.",
)
I_UNDERSTAND_NO_UNDO = Text("page.i_understand_no_undo", "I understand that this cannot be undone")
THIS_BROWSER = Text("page.this_browser", "this browser")
WAITING_FOR_SECOND_FACTOR = Text("page.waiting_for_second_factor", "waiting for its second factor")
QR_CODE_ALT = Text("page.qr_code_alt", "QR code for your authenticator app")
PASSKEY_SETUP_HINT = Text(
    "page.passkey_setup_hint",
    "Your browser or phone will ask you to create a passkey with your fingerprint, face, screen lock or security "
    "key. A name helps you tell your passkeys apart.",
)
PASSKEY_NAME_EXAMPLE = Text("page.passkey_name_example", "Work laptop")

# Each page's <title> ("{page} · sms2fa") and the meta description: the server renders the English; the browser
# says them in the tab's language (components/language.py `document_language`).
TITLE = Text("page.title", "{page} · sms2fa")
SIGN_UP = Text("page.sign_up", "Sign up")
RESET_PASSWORD = Text("page.reset_password", "Reset password")
CONFIRM_EMAIL = Text("page.confirm_email", "Confirm email")
ADMIN = Text("page.admin", "Admin")
DEV_OUTBOX = Text("page.dev_outbox", "Dev outbox")
DESCRIPTION = Text(
    "page.description",
    "Sign in with your password and a code texted to your phone, an authenticator app or a passkey.",
)
TITLED_PAGES = (
    LOG_IN,
    SIGN_UP,
    DASHBOARD,
    VERIFY,
    SETTINGS,
    SECURITY_ACTIVITY,
    RESET_PASSWORD,
    NEW_PASSWORD,
    CONFIRM_EMAIL,
    ADMIN,
    ADMIN_SMS_OPERATIONS,
    ADMIN_APPS,
    CANCEL_THE_RESET,
    CONFIRM_ITS_YOU,
    PAGE_NOT_FOUND,
    DEV_OUTBOX,
)
