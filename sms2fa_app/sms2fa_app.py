"""Builds the Reflex app and registers its pages and API routes; nothing more."""

import reflex as rx

from sms2fa_app.api.routes import api_app
from sms2fa_app.api.session_cookie import page_origins
from sms2fa_app.api.socket_path import SocketHandshake, direct_socket
from sms2fa_app.backend.identity.session_cookie import cookie_policy
from sms2fa_app.backend.infra.log_guard import install_framework_log_guard
from sms2fa_app.backend.services import start_worker
from sms2fa_app.components.brand import head_components, page_meta
from sms2fa_app.config import get_settings
from sms2fa_app.pages.activity import activity_page
from sms2fa_app.pages.admin import admin_page
from sms2fa_app.pages.admin_apps import admin_apps_page
from sms2fa_app.pages.admin_cancel import cancel_reset_page
from sms2fa_app.pages.admin_ops import admin_ops_page
from sms2fa_app.pages.auth import login_page, signup_page
from sms2fa_app.pages.challenge import challenge_page
from sms2fa_app.pages.dashboard import dashboard_page
from sms2fa_app.pages.dev_outbox import dev_outbox_page
from sms2fa_app.pages.email_links import forgot_password_page, reset_password_page, verify_email_page
from sms2fa_app.pages.not_found import not_found_page
from sms2fa_app.pages.settings import settings_page
from sms2fa_app.pages.step_up import step_up_page
from sms2fa_app.reflex_adapter import frontend_url, socket_event_path
from sms2fa_app.reflex_frames import send_fewer_frames
from sms2fa_app.state.activity import ActivityState
from sms2fa_app.state.admin import AdminAppsState, AdminOpsState, AdminUsersState, CancelResetState
from sms2fa_app.state.browser_tokens import BrowserTokens
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.dashboard import DashboardState
from sms2fa_app.state.dev_outbox import DevOutboxState
from sms2fa_app.state.errors import on_backend_error, on_frontend_error
from sms2fa_app.state.language import TabLanguage, speak_tab_languages
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.password_reset import ForgotPasswordState, ResetPasswordState
from sms2fa_app.state.protected import STEP_UP_PATH, ProtectedEvents, add_protected_pages, load_extra_pages
from sms2fa_app.state.settings import WizardState
from sms2fa_app.state.signup import SignupState
from sms2fa_app.state.step_up import StepUpState
from sms2fa_app.state.store_watch import watch_state_store
from sms2fa_app.state.verify_email import VerifyEmailState
from sms2fa_app.state.words import pages as P

# No toaster: the strict CSP forbids server-sent toasts, so notices are drawn from state. api_app(): Plivo's
# callbacks, /healthz, /readyz, /metrics and the cookie exchange. Every websocket handshake: the page's Origin
# checked, the cookie's digests kept, the Cookie header dropped (api/socket_path.py).
_handshake = SocketHandshake(page_origins(get_settings(), frontend_url()), cookie_policy(get_settings()))
app = rx.App(
    backend_exception_handler=on_backend_error,
    frontend_exception_handler=on_frontend_error,
    api_transformer=[api_app(), direct_socket(socket_event_path(), _handshake)],
    head_components=head_components(),
)
if get_settings().is_production:  # development keeps Reflex's full diagnostics
    install_framework_log_guard()  # what a browser makes Reflex log (unknown events, payloads): one short line, rare
app.register_lifespan_task(start_worker)
app.add_middleware(BrowserTokens())  # the browser's tokens, bound to their connection
app.add_middleware(ProtectedEvents())  # every event of a protected page's state needs its rule (after the tokens)
app.add_middleware(TabLanguage())  # the tab's language settled before each event
watch_state_store(app)  # a page hears of an outage of the tab states' Redis instead of waiting in silence
send_fewer_frames(app)  # no server-side is_hydrated false per page change; a delta and its redirect in one frame
speak_tab_languages(app)  # what each tab is sent: the states' words in its language (before it waits a turn)
_BASE_URL = get_settings().base_url


def _meta(page: str) -> dict:
    """A page's title ("Log in · sms2fa", in English: the browser says it in the tab's language) with the description
    and link-preview tags every page has."""
    return page_meta(_BASE_URL, str(P.TITLE.format(page=page)))


app.add_page(login_page, route="/", **_meta(P.LOG_IN), on_load=LoginState.load)
app.add_page(login_page, route="/login", **_meta(P.LOG_IN), on_load=LoginState.load)
app.add_page(signup_page, route="/signup", **_meta(P.SIGN_UP), on_load=SignupState.load)
app.add_page(dashboard_page, route="/dashboard", **_meta(P.DASHBOARD), on_load=DashboardState.load)
app.add_page(challenge_page, route="/2fa-challenge", **_meta(P.VERIFY), on_load=ChallengeState.load)
app.add_page(settings_page, route="/settings", **_meta(P.SETTINGS), on_load=WizardState.load)
app.add_page(activity_page, route="/activity", **_meta(P.SECURITY_ACTIVITY), on_load=ActivityState.load)
app.add_page(
    forgot_password_page, route="/forgot-password", **_meta(P.RESET_PASSWORD), on_load=ForgotPasswordState.load
)
app.add_page(reset_password_page, route="/reset-password", **_meta(P.NEW_PASSWORD), on_load=ResetPasswordState.load)
app.add_page(verify_email_page, route="/verify-email", **_meta(P.CONFIRM_EMAIL), on_load=VerifyEmailState.load)
app.add_page(admin_page, route="/admin", **_meta(P.ADMIN), on_load=AdminUsersState.load)
app.add_page(admin_ops_page, route="/admin/sms", **_meta(P.ADMIN_SMS_OPERATIONS), on_load=AdminOpsState.load)
app.add_page(admin_apps_page, route="/admin/apps", **_meta(P.ADMIN_APPS), on_load=AdminAppsState.load)
app.add_page(cancel_reset_page, route="/cancel-2fa-reset", **_meta(P.CANCEL_THE_RESET), on_load=CancelResetState.load)
app.add_page(step_up_page, route=STEP_UP_PATH, **_meta(P.CONFIRM_ITS_YOU), on_load=StepUpState.load)
load_extra_pages(get_settings().extra_pages)  # developers' modules (EXTRA_PAGES): their @protected pages
add_protected_pages(app, _meta)
app.add_page(not_found_page, route="404", **_meta(P.PAGE_NOT_FOUND))
if not get_settings().is_production:
    app.add_page(dev_outbox_page, route="/dev/outbox", **_meta(P.DEV_OUTBOX), on_load=DevOutboxState.refresh)
