"""The console's table of code texts by language (issue 26): each shipped locale's text as this deployment sends
it, with its encoding, segments and estimated price; nothing in it is a real code or number."""

from __future__ import annotations

from sms2fa_app.backend.admin.code_texts import SAMPLE_CODE, code_text_costs
from sms2fa_app.backend.delivery.segments import Encoding
from sms2fa_app.backend.i18n.locales import SUPPORTED_LOCALES
from sms2fa_app.backend.services import Services
from sms2fa_app.state.admin import AdminOpsState
from tests.support.states import run
from tests.unit.state.admin.test_admin_states import account, signed_in_as


def test_each_locale_is_counted_and_priced_per_segment() -> None:
    costs = code_text_costs("sms2fa", "sms2fa.example.com", 300, (("US", 0.01), ("*", 0.05)))
    assert [cost.locale for cost in costs] == list(SUPPORTED_LOCALES)
    by_locale = {cost.locale: cost for cost in costs}
    assert by_locale["es"].encoding is Encoding.GSM7 and by_locale["hi"].encoding is Encoding.UCS2
    assert all(cost.segments == 1 and cost.price == 0.05 for cost in costs)
    assert all(cost.text.endswith(f"@sms2fa.example.com #{SAMPLE_CODE}") for cost in costs)
    assert by_locale["pt_BR"].tag == "pt-BR" and by_locale["ar"].language == "العربية (ar)"


async def test_the_operations_page_shows_the_table(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    state = await signed_in_as(services, admin, AdminOpsState)
    await run(state.load())
    rows = {row["locale"]: row for row in state.code_texts}
    assert set(rows) == set(SUPPORTED_LOCALES)
    assert rows["ar"]["encoding"] == "UCS-2" and rows["ar"]["segments"] == 1 and rows["ar"]["price"] == "0.0500 USD"
