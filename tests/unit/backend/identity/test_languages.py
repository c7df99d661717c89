"""A user's choice of language: saved when it ships, cleared back to negotiation, refused (changing nothing)
otherwise; the language of what is sent to them, and of the mails queued about them."""

from __future__ import annotations

from sms2fa_app.backend.identity.languages import LanguageChange
from sms2fa_app.backend.services import Services
from sms2fa_app.backend.vocabulary import EventKind
from tests.support.factories import account, create_user


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


def test_texts_follow_the_choice_then_the_phones_country(services: Services) -> None:
    user = create_user(services, phone="+919876543210")
    assert services.languages.for_phone(user.id, "IN") == "hi"
    services.languages.choose(user.id, "ar")
    assert services.languages.for_phone(user.id, "IN") == "ar"


def test_a_queued_notice_goes_out_in_the_account_holders_language(services: Services, mailer) -> None:
    user = create_user(services)
    services.languages.choose(user.id, "es")
    with services.database.session() as tx:
        services.activity.record(tx, user.id, EventKind.PASSWORD_CHANGED)
    services.jobs.drain()
    (mail,) = mailer.to("ada@example.com")
    assert mail.subject == "sms2fa: Se cambió tu contraseña"
