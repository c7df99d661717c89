"""The admin console's own words (headings, labels, buttons, charts' series) and /dev/outbox's: drawn in the tab's
language by components/language.py `t(...)`, like state/words/pages.py. A sentence around a value keeps the
value's place as `{name}`; the words a state holds for the console are in state/words/admin.py."""

from sms2fa_app.backend.admin.audit import Action
from sms2fa_app.backend.admin.resets import IdentityCheck
from sms2fa_app.state.words.catalogue import Text

CONSOLE_NAME = Text("admin_page.console_name", "sms2fa admin")
REFRESH = Text("admin_page.refresh", "Refresh")

# /admin: accounts
EMAIL_CONTAINS = Text("admin_page.email_contains", "Email contains")
SEARCH = Text("admin_page.search", "Search")
OPEN = Text("admin_page.open", "Open")
TWO_FACTOR_ON = Text("admin_page.two_factor_on", "2FA on")
TWO_FACTOR_OFF = Text("admin_page.two_factor_off", "2FA off")
TWO_FACTOR_IS = Text("admin_page.two_factor_is", "Two-factor authentication: {state}")
FACTORS = Text("admin_page.factors", "Factors: {factors}")
LIVE_SESSIONS = Text("admin_page.live_sessions", "Live sessions: {count}")
CODES_LOCKED_FOR = Text("admin_page.codes_locked_for", "Codes locked for {wait}")
RESET_TAKES_EFFECT = Text(
    "admin_page.reset_takes_effect", "A reset of two-factor authentication takes effect on {due}."
)
END_ALL_SESSIONS = Text("admin_page.end_all_sessions", "End all sessions")
CLEAR_LOCKOUT = Text("admin_page.clear_lockout", "Clear lockout")
RESET_TWO_FACTOR = Text("admin_page.reset_two_factor", "Reset two-factor authentication")
RESET_ONLY_AFTER_CHECK = Text(
    "admin_page.reset_only_after_check",
    "Only after you have verified the person's identity. The reset takes effect after a waiting period; the user "
    "is mailed and texted a link to cancel it.",
)
HOW_YOU_VERIFIED = Text("admin_page.how_you_verified", "How you verified their identity")
CHOOSE = Text("admin_page.choose", "Choose…")
WHAT_YOU_CHECKED = Text("admin_page.what_you_checked", "What you checked (10 to 120 characters)")
I_VERIFIED = Text("admin_page.i_verified", "I verified this person's identity as described above.")
SCHEDULE_RESET = Text("admin_page.schedule_reset", "Schedule reset")
LAST_SIGN_INS = Text("admin_page.last_sign_ins", "Last sign-ins")
NO_SIGN_IN = Text("admin_page.no_sign_in", "No sign-in in the last 90 days.")
LOCKOUTS = Text("admin_page.lockouts", "Lockouts")
NO_LOCKOUT = Text("admin_page.no_lockout", "No lockout in the last 90 days.")
ADMIN_ACTIONS = Text("admin_page.admin_actions", "Admin actions")
NONE = Text("admin_page.none", "None.")
IDENTITY_CHECKS = {
    IdentityCheck.VIDEO_CALL: Text("admin_page.check.video_call", "a video call"),
    IdentityCheck.ID_DOCUMENT: Text("admin_page.check.id_document", "an identity document"),
    IdentityCheck.IN_PERSON: Text("admin_page.check.in_person", "in person"),
    IdentityCheck.KNOWN_CONTACT: Text("admin_page.check.known_contact", "a call back to contact details on file"),
}
AUDITED = {
    Action.GRANT_ADMIN: Text("admin_page.audit.grant_admin", "made an administrator"),
    Action.REVOKE_ADMIN: Text("admin_page.audit.revoke_admin", "administrator role removed"),
    Action.END_SESSIONS: Text("admin_page.audit.end_sessions", "all sessions ended"),
    Action.CLEAR_LOCKOUT: Text("admin_page.audit.clear_lockout", "lockout cleared"),
    Action.SCHEDULE_RESET: Text("admin_page.audit.schedule_reset", "2FA reset scheduled"),
    Action.CANCEL_RESET: Text("admin_page.audit.cancel_reset", "2FA reset cancelled"),
    Action.APPLY_RESET: Text("admin_page.audit.apply_reset", "2FA reset done"),
    Action.OPEN_ACCOUNT: Text("admin_page.audit.open_account", "account opened"),
    Action.SEARCH: Text("admin_page.audit.search", "accounts searched"),
    Action.OIDC_REGISTER_CLIENT: Text("admin_page.audit.oidc_register_client", "app registered"),
    Action.OIDC_DISABLE_CLIENT: Text("admin_page.audit.oidc_disable_client", "app disabled"),
    Action.OIDC_ENABLE_CLIENT: Text("admin_page.audit.oidc_enable_client", "app enabled"),
    Action.OIDC_ROTATE_SECRET: Text("admin_page.audit.oidc_rotate_secret", "app secret replaced"),
    Action.OIDC_ROTATE_KEYS: Text("admin_page.audit.oidc_rotate_keys", "signing keys replaced"),
}

# /admin/sms: SMS operations
SMS_OPERATIONS_TITLE = Text("admin_page.sms_operations_title", "SMS operations (last 24 hours, UTC)")
ESTIMATED_SPEND = Text("admin_page.estimated_spend", "Estimated spend: {amount}")
TEXTS_PER_HOUR = Text("admin_page.texts_per_hour", "Texts per hour by country")
CALLS_PER_HOUR = Text("admin_page.calls_per_hour", "Calls per hour by country")
WHATSAPP_PER_HOUR = Text("admin_page.whatsapp_per_hour", "WhatsApp messages per hour by country")
DELIVERY_RATE = Text("admin_page.delivery_rate", "Delivery rate per hour (%)")
DELIVERED_PERCENT = Text("admin_page.delivered_percent", "delivered %")
REFUSALS_BY_LIMIT = Text("admin_page.refusals_by_limit", "Refusals by limit")
REFUSED = Text("admin_page.refused", "refused")
BLOCKED_COUNTRIES = Text("admin_page.blocked_countries", "Blocked countries")
CAPS_REACHED = Text("admin_page.caps_reached", "caps reached")
SENDS_REFUSED = Text("admin_page.sends_refused", "sends refused")
SPEND_BY_COUNTRY = Text("admin_page.spend_by_country", "Estimated spend by country")
SPEND_IN = Text("admin_page.spend_in", "spend ({currency})")
CODE_TEXTS = Text("admin_page.code_texts", "Code texts by language")
TEXT_WITH_SAMPLE_CODE = Text("admin_page.text_with_sample_code", "Text with a sample code")
ENCODING = Text("admin_page.encoding", "Encoding")
SEGMENTS = Text("admin_page.segments", "Segments")
ESTIMATED_PRICE = Text("admin_page.estimated_price", "Estimated price")
PRICE_NOTE = Text("admin_page.price_note", "Price per text at the default (*) entry of SMS_PRICE_TABLE, per segment.")

# /admin/apps: the OpenID clients
APPS_TITLE = Text("admin_page.apps_title", "Apps (OpenID clients)")
DISABLED = Text("admin_page.disabled", "disabled")
NEW_SECRET = Text("admin_page.new_secret", "New secret")
ENABLE = Text("admin_page.enable", "Enable")
DISABLE = Text("admin_page.disable", "Disable")
REGISTER_APP_WITH = Text("admin_page.register_app_with", "Register an app with: {command}")

# /cancel-2fa-reset
CANCEL_RESET_INTRO = Text(
    "admin_page.cancel_reset_intro",
    "An administrator scheduled a reset of two-factor authentication on your account. If you didn't ask for it, "
    "cancel it: nothing will change.",
)

# /dev/outbox (development only)
DEV_OUTBOX = Text("admin_page.dev_outbox", "Development outbox")
DEV_OUTBOX_INTRO = Text(
    "admin_page.dev_outbox_intro",
    "Texts and mails go here because Plivo or SMTP is not configured. This page does not exist in production.",
)
CLEAR_LIMITS = Text("admin_page.clear_limits", "Clear limits for this machine")
NO_MESSAGES_YET = Text("admin_page.no_messages_yet", "No messages yet.")
OUTBOX_MAIL = Text("admin_page.outbox_mail", "Mail")
OUTBOX_TEXT = Text("admin_page.outbox_text", "Text")
