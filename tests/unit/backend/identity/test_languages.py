"""A user's choice of language: saved when it ships, cleared back to negotiation, refused (changing nothing)
otherwise; the language of what is sent to them, and of the mails queued about them."""

from __future__ import annotations

from sms2fa_app.backend.delivery.code_text import message_text
from sms2fa_app.backend.factors.sms_policy import Purpose
from sms2fa_app.backend.identity.languages import LanguageChange
from sms2fa_app.backend.services import Services
from sms2fa_app.backend.vocabulary import EventKind
from tests.support.factories import account, create_user
from tests.support.recording_gateway import RecordingGateway


def test_a_shipped_choice_is_saved_and_cleared(services: Services) -> None:
    user = create_user(services)
    assert services.languages.choose(user.id, "pt-BR") is LanguageChange.SAVED
    assert account(services, user.id).locale == "pt_BR" and services.languages.choice(user.id) == "pt_BR"
    assert services.languages.choose(user.id, None) is LanguageChange.CLEARED
    assert services.languages.choice(user.id) is None


def test_an_unknown_choice_changes_nothing(services: Services) -> None:
    user = create_user(services)
    services.languages.choose(user.id, "de")
    for bad in ("fr", "xx-YY", "<script>", "a" * 40):
        assert services.languages.choose(user.id, bad) is LanguageChange.UNSUPPORTED
    assert services.languages.choose(10_000, "es") is LanguageChange.UNSUPPORTED
    assert services.languages.choice(user.id) == "de"


def test_texts_follow_the_choice_then_the_phones_country(services: Services, gateway: RecordingGateway) -> None:
    user = create_user(services, phone="+919876543210")

    def text_with_the_stored_choice() -> str:
        stored = account(services, user.id).locale  # the row every caller of request_code already holds
        services.otp.request_code(
            purpose=Purpose.LOGIN, user_id=user.id, session_id=1, phone=user.phone_number, client_ip="203.0.113.7",
            user_locale=stored,
        )  # fmt: skip
        services.clock.advance(61)
        return gateway.sent[-1]

    policy = services.otp.policy
    for locale in ("hi", "ar"):  # the number's country (India), then the stored choice
        services.languages.choose(user.id, None if locale == "hi" else locale)
        sent = text_with_the_stored_choice()
        assert sent.text == message_text(policy.app_name, sent.code, policy.ttl_seconds, policy.site_host, locale)


def test_a_queued_notice_goes_out_in_the_account_holders_language(services: Services, mailer) -> None:
    user = create_user(services)
    services.languages.choose(user.id, "es")
    with services.database.session() as tx:
        services.activity.record(tx, user.id, EventKind.PASSWORD_CHANGED)
    services.jobs.drain()
    (mail,) = mailer.to("ada@example.com")
    assert mail.subject == "sms2fa: Se cambió tu contraseña"
