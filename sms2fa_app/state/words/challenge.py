"""The words of the second step: sending a code, checking it, the shared lock, delivery and passkey prompts."""

from __future__ import annotations

from sms2fa_app.backend.delivery.status import Channel, Delivery, DeliveryState
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import SendRefusal, SendRefused
from sms2fa_app.state.words.catalogue import Plural, Text
from sms2fa_app.state.words.common import wait_phrase

_SEND_REFUSALS: dict[SendRefusal, Text] = {
    SendRefusal.COOLDOWN: Text(
        "challenge.send.cooldown",
        "A code was just sent to this number. The button below counts down to the next one.",
    ),
    SendRefusal.USER_LIMIT: Text("challenge.send.user_limit", "You've asked for too many codes. Try again in {wait}."),
    SendRefusal.PHONE_LIMIT: Text(
        "challenge.send.phone_limit", "Too many codes were sent to this number. Try again in {wait}."
    ),
    SendRefusal.IP_LIMIT: Text(
        "challenge.send.ip_limit", "Too many codes were requested from your network. Try again in {wait}."
    ),
    SendRefusal.GLOBAL_BUDGET: Text(
        "challenge.send.global_budget", "We can't send codes right now. Try again in {wait}."
    ),
    SendRefusal.VOICE_LIMIT: Text(
        "challenge.send.voice_limit", "You've asked for too many calls. Try again in {wait}."
    ),
    SendRefusal.COUNTRY_BLOCKED: Text(
        "challenge.send.country_blocked",
        "We can't send codes to numbers in this country right now. Try again in {wait}.",
    ),
    SendRefusal.PROOF_REQUIRED: Text(
        "challenge.send.proof_required", "One more step: your browser runs a quick check, then asks again by itself."
    ),
    SendRefusal.COUNTRY_NOT_ALLOWED: Text(
        "challenge.send.country_not_allowed", "We can't text numbers in that country yet."
    ),
    SendRefusal.INVALID_NUMBER: Text(
        "challenge.send.invalid_number", "Enter a valid mobile number with its country code, like +1 415 555 2671."
    ),
    SendRefusal.NUMBER_TYPE_NOT_ALLOWED: Text(
        "challenge.send.number_type", "That number can't receive our texts. Use a mobile number."
    ),
    SendRefusal.UNDELIVERABLE: Text("challenge.send.undeliverable", "We couldn't text that number."),
    SendRefusal.DELIVERY_FAILED: Text(
        "challenge.send.delivery_failed", "We couldn't send the code. Try again in a moment."
    ),
    # Plivo Lookup's verdicts on a new number (issue 27)
    SendRefusal.VOIP_NOT_ALLOWED: Text(
        "challenge.send.voip",
        "That's an internet (VoIP) number. Those are easy to take over, so we only send codes to mobile phones "
        "and landlines.",
    ),
    SendRefusal.TOLL_FREE_NOT_ALLOWED: Text(
        "challenge.send.toll_free", "That's a toll-free number, which can't get our codes. Use your own phone number."
    ),
    SendRefusal.LOOKUP_FAILED: Text(
        "challenge.send.lookup_failed", "We can't check that number right now. Try again in a few minutes."
    ),
    SendRefusal.NO_FALLBACK: Text(
        "challenge.send.no_fallback", "There's no WhatsApp code to text instead. Ask for a new code below."
    ),
    SendRefusal.FALLBACK_NOT_YET: Text(
        "challenge.send.fallback_not_yet", "Your WhatsApp code may still arrive. You can get it by text in {wait}."
    ),
}


def send_refused(refused: SendRefused) -> str:
    """Why a code was not sent, with the wait when there is one."""
    return _SEND_REFUSALS[refused.reason].format(wait=wait_phrase(max(1, refused.retry_after_seconds)))


# Per factor: (wrong guess, malformed input, right but already used, unusable: nothing to check against).
_VERIFY_WORDS: dict[Factor, tuple[Plural | Text, Text, Text, Text]] = {
    Factor.SMS: (
        Plural(
            "challenge.sms.wrong", "That code isn't right. 1 try left.", "That code isn't right. {count} tries left."
        ),
        Text("challenge.sms.malformed", "Enter the 6 digits from the text message."),
        Text("challenge.sms.used", "That code was already used. Request a new code."),
        Text(
            "challenge.sms.exhausted",
            "That code stopped working after too many wrong tries. Request a new code below.",
        ),
    ),
    Factor.TOTP: (
        Plural(
            "challenge.totp.wrong",
            "That code isn't right. Use the newest code in your authenticator app, and check that your phone "
            "sets its clock automatically. 1 try left.",
            "That code isn't right. Use the newest code in your authenticator app, and check that your phone "
            "sets its clock automatically. {count} tries left.",
        ),
        Text("challenge.totp.malformed", "Enter the 6 digits your authenticator app shows for this account."),
        Text("challenge.totp.used", "That code was already used. Wait for the next one in your app."),
        Text("challenge.totp.not_set_up", "Set up your authenticator app first."),
    ),
    Factor.RECOVERY: (
        Plural(
            "challenge.recovery.wrong",
            "That recovery code isn't one of yours. 1 try left.",
            "That recovery code isn't one of yours. {count} tries left.",
        ),
        Text("challenge.recovery.malformed", "A recovery code has 10 letters and digits, like k7m2p-x9qrt."),
        Text("challenge.recovery.used", "That recovery code was already used. Each works once: try another one."),
        Text("challenge.recovery.none_left", "You have no recovery codes left. Choose another way below."),
    ),
    Factor.PASSKEY: (
        Text("challenge.passkey.refused", "That passkey wasn't accepted. Try again, or choose another way below."),
        Text(
            "challenge.passkey.malformed", "That passkey answer wasn't valid. Try again, or choose another way below."
        ),
        Text("challenge.passkey.used", "That passkey was just used. Try again."),
        Text("challenge.passkey.refused", "That passkey wasn't accepted. Try again, or choose another way below."),
    ),
}
# Per factor: the lock, in words; every factor shares one lock (a recovery code is a second factor too), so each
# says so and nobody retries in vain. The page counts the wait down next to it.
_LOCKED: dict[Factor, Text] = {
    Factor.SMS: Text(
        "challenge.locked.sms",
        "Too many wrong codes. Every way to verify, recovery codes included, is paused until the countdown ends.",
    ),
    Factor.TOTP: Text(
        "challenge.locked.totp",
        "Too many wrong authenticator codes. Every way to verify, recovery codes included, is paused until the "
        "countdown ends.",
    ),
    Factor.RECOVERY: Text(
        "challenge.locked.recovery",
        "Too many wrong recovery codes. Every way to verify, recovery codes included, is paused until the "
        "countdown ends.",
    ),
    Factor.PASSKEY: Text(
        "challenge.locked.passkey",
        "Too many passkeys were refused. Every way to verify, recovery codes included, is paused until the "
        "countdown ends.",
    ),
}
LOCK_WAITING = Text("challenge.lock_waiting", "Try again in {clock}.")  # the live countdown ({clock}: 0:57)
LOCK_READY = Text("challenge.lock_ready", "You can try again now.")
VERIFY_LOCKED = Text("challenge.verify_locked", "Wait {clock}")  # a Verify (or Log in) button while locked
SEND_WAITING = Text("challenge.send_waiting", "Send code in {clock}")  # "Send code" while the cooldown runs
CODE_EXPIRES = Text("challenge.code_expires", "Code expires in {clock}.")  # the live countdown of a texted code
CODE_EXPIRED = Text("challenge.code_expired", "That code has expired or was replaced. Request a new code below.")
PASSKEY_EXPIRED = Text("challenge.passkey.expired", "The passkey request expired or was already answered. Try again.")
PASSKEY_NONE = Text("challenge.passkey.none", "You have no passkey yet. Choose another way to verify.")


def locked(factor: Factor) -> str:
    """The lock, in words (the page counts its wait down next to it)."""
    return _LOCKED[factor]


def verify_failed(result: VerifyResult, factor: Factor = Factor.SMS) -> str:
    """Why a code of this factor was not accepted (a LOCKED result: see `locked`, counted down by the page)."""
    status = result.status
    wrong, malformed, used, unusable = _VERIFY_WORDS[factor]
    if status is VerifyStatus.LOCKED:
        return locked(factor)
    if status is VerifyStatus.MALFORMED:
        return malformed
    if status is VerifyStatus.ALREADY_USED:
        return used
    if status is VerifyStatus.WRONG:
        return wrong(max(1, result.attempts_left)) if isinstance(wrong, Plural) else wrong
    if status is VerifyStatus.EXPIRED and factor in (Factor.SMS, Factor.PASSKEY):
        return CODE_EXPIRED if factor is Factor.SMS else PASSKEY_EXPIRED
    return unusable


CODE_SENT = Text("challenge.code_sent", "We sent a new code to the number ending in {ending}.")
# No code went out (a limit or the proof of work held it back): the challenge says so instead of "we sent".
NOT_SENT = Text("challenge.not_sent", "We haven't sent a code yet.")
SEND_WAIT = Text("challenge.send_wait", "You can ask for a code in {clock}.")  # live, while a limit holds sends
SEND_READY = Text("challenge.send_ready", "You can ask for a code now.")
OTHER_WAYS = Text("challenge.other_ways", "Meanwhile, you can verify another way:")
RESEND_WAITING = Text("challenge.resend_waiting", "Resend code in {seconds}s")  # the short cooldown
RESEND_HELD = Text("challenge.resend_held", "Resend code in {clock}")  # an hourly limit's longer wait
TEXTED_INSTEAD = Text("challenge.texted_instead", "We texted the same code to the number ending in {ending}.")
WHATSAPP_TEXTED = Text(
    "challenge.whatsapp_texted",
    "WhatsApp is not working right now: we texted your code to the number ending in {ending}.",
)
CALLING = Text("challenge.calling", "We're calling the number ending in {ending}. Listen for the 6-digit code.")
_REMEMBER_DEVICE = Plural(
    "challenge.remember_device", "Remember this device for 1 day", "Remember this device for {count} days"
)


def remember_device(days: int) -> str:
    """The label of the challenge's "remember this device" checkbox."""
    return _REMEMBER_DEVICE(days)


_NOT_DELIVERED = Text("challenge.delivery.not_delivered", "Not delivered: try a voice call")
_DELIVERED = Text("challenge.delivery.delivered", "Delivered")
_CALLING_NOW = Text("challenge.delivery.calling", "Calling you now")
_WHATSAPP_LOST = Text("challenge.delivery.whatsapp_lost", "Not delivered on WhatsApp: send a text instead")
_DELIVERY: dict[tuple[Channel, DeliveryState], Text] = {
    (Channel.SMS, DeliveryState.QUEUED): Text("challenge.delivery.queued", "Text queued"),
    (Channel.SMS, DeliveryState.SENT): Text("challenge.delivery.sent", "Text sent to your carrier"),
    (Channel.SMS, DeliveryState.DELIVERED): _DELIVERED,
    (Channel.SMS, DeliveryState.UNDELIVERED): _NOT_DELIVERED,
    (Channel.SMS, DeliveryState.FAILED): _NOT_DELIVERED,
    (Channel.VOICE, DeliveryState.QUEUED): _CALLING_NOW,
    (Channel.VOICE, DeliveryState.DELIVERED): Text("challenge.delivery.answered", "Call answered"),
    (Channel.WHATSAPP, DeliveryState.QUEUED): Text("challenge.delivery.whatsapp_queued", "WhatsApp message queued"),
    (Channel.WHATSAPP, DeliveryState.SENT): Text("challenge.delivery.whatsapp_sent", "Sent to WhatsApp"),
    (Channel.WHATSAPP, DeliveryState.DELIVERED): _DELIVERED,
    (Channel.WHATSAPP, DeliveryState.UNDELIVERED): _WHATSAPP_LOST,
    (Channel.WHATSAPP, DeliveryState.FAILED): _WHATSAPP_LOST,
}


def delivery_status(delivery: Delivery | None) -> str:
    """The live status of the newest code, e.g. "Delivered" or "Not delivered: try a voice call" ("" unknown)."""
    if delivery is None:
        return ""
    return _DELIVERY.get((delivery.channel, delivery.state), _CALLING_NOW if delivery.channel is Channel.VOICE else "")


# ---- passkeys in the browser ------------------------------------------------------------------------------

# Where else to go when the browser refuses a passkey, per screen (a whole sentence each: never glued).
CHOOSE_ANOTHER_WAY = "choose_another_way"  # the challenge and the re-authentication step
CANCEL = "cancel"  # the settings step that adds a passkey
LOG_IN_WITH_PASSWORD = "log_in_with_password"  # the login page
_BROWSER_REFUSALS: dict[tuple[str, str], Text] = {
    ("unsupported", CHOOSE_ANOTHER_WAY): Text(
        "passkey.browser.unsupported.choose_another_way",
        "This browser can't use passkeys here. Please choose another way to verify below.",
    ),
    ("cancelled", CHOOSE_ANOTHER_WAY): Text(
        "passkey.browser.cancelled.choose_another_way",
        "The passkey request was cancelled or timed out. Try again, or choose another way to verify below.",
    ),
    ("failed", CHOOSE_ANOTHER_WAY): Text(
        "passkey.browser.failed.choose_another_way",
        "The passkey didn't work in this browser. Try again, or choose another way to verify below.",
    ),
    ("unsupported", CANCEL): Text(
        "passkey.browser.unsupported.cancel", "This browser can't use passkeys here. Please cancel."
    ),
    ("cancelled", CANCEL): Text(
        "passkey.browser.cancelled.cancel",
        "The passkey request was cancelled or timed out. Try again, or cancel.",
    ),
    ("failed", CANCEL): Text(
        "passkey.browser.failed.cancel", "The passkey didn't work in this browser. Try again, or cancel."
    ),
    ("unsupported", LOG_IN_WITH_PASSWORD): Text(
        "passkey.browser.unsupported.log_in_with_password",
        "This browser can't use passkeys here. Please log in with your email and password.",
    ),
    ("cancelled", LOG_IN_WITH_PASSWORD): Text(
        "passkey.browser.cancelled.log_in_with_password",
        "The passkey request was cancelled or timed out. Try again, or log in with your email and password.",
    ),
    ("failed", LOG_IN_WITH_PASSWORD): Text(
        "passkey.browser.failed.log_in_with_password",
        "The passkey didn't work in this browser. Try again, or log in with your email and password.",
    ),
}
PASSKEY_ON_DEVICE = Text("passkey.browser.already_on_device", "This device already holds a passkey for your account.")


def passkey_browser_error(name: str, where: str = CHOOSE_ANOTHER_WAY) -> str:
    """What the browser's refusal (a DOMException name, or "unsupported") means, and what to do instead."""
    if name == "InvalidStateError":
        return PASSKEY_ON_DEVICE
    kind = {"unsupported": "unsupported", "NotAllowedError": "cancelled", "AbortError": "cancelled"}.get(name, "failed")
    return _BROWSER_REFUSALS[(kind, where)]
