"""What the local Plivo (plivo_server.py) sends back to the app, signed like Plivo's (plivo_signing.py).

- Delivery reports: queued, sent, then the scripted outcome, each a POST to the message's status URL.
- A call's answer: as if the callee picked up, a POST to the answer URL; the XML's Speak elements are what the
  call said, and tests read the code from them like a person listening.

LocalPlivo keeps the records (under its lock); these functions only talk to the app.
"""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from typing import Any

from tests.support.plivo_signing import Reply, post_signed

REPORT_DELAY_SECONDS = 0.3  # before the first delivery report (the app records the message id meanwhile)
REPORT_GAP_SECONDS = 0.1
ANSWER_DELAY_SECONDS = 0.3  # ringing, before the callee picks up
NO_REPORT = "none"  # deliver_next(NO_REPORT): reports stop at "sent"


def post(auth_token: str, url: str, params: dict[str, str]) -> Reply:
    """A signed POST to the app; a connection failure is a reply with status 0 (Plivo would retry)."""
    try:
        return post_signed(auth_token, url, params, timeout=10)
    except OSError as error:  # the app is down: tests see the failure
        return Reply(0, "", str(error))


def send_reports(
    auth_token: str,
    message: dict[str, Any],
    url: str,
    outcome: tuple[str, str],
    record: Callable[[dict[str, Any]], None],
) -> None:
    """Queued, sent, then the outcome: each a signed POST to the status URL, like Plivo's; `record` keeps each."""
    time.sleep(REPORT_DELAY_SECONDS)
    final = [] if outcome[0] == NO_REPORT else [outcome]  # none: the message never arrives (a timeout)
    for sequence, (status, error_code) in enumerate([("queued", ""), ("sent", ""), *final], start=1):
        params = {
            "MessageUUID": message["message_uuid"],
            "To": message["dst"].lstrip("+"),
            "From": message["src"].lstrip("+"),
            "Type": message.get("type", "sms"),
            "Status": status,
            "ErrorCode": error_code,
            "Units": "1",
            "Sequence": str(sequence),
        }
        reply = post(auth_token, url, params)
        record(
            {
                "message_uuid": message["message_uuid"],
                "status": status,
                "error_code": error_code,
                "url": url,
                "reply": reply.status,
            }
        )
        time.sleep(REPORT_GAP_SECONDS)


def pick_up(auth_token: str, call: dict[str, Any], delay: float) -> dict[str, Any]:
    """The callee picks up after `delay`: fetch the answer URL (signed); returns reply, xml and spoken."""
    time.sleep(delay)
    params = {
        "CallUUID": str(uuid.uuid4()),
        "RequestUUID": call["request_uuid"],
        "From": call["from"].lstrip("+"),
        "To": call["to"].lstrip("+"),
        "CallStatus": "in-progress",
        "Direction": "outbound",
        "Event": "StartApp",
    }
    reply = post(auth_token, call["answer_url"], params)
    spoken: list[str] = []
    if reply.status == 200:
        try:
            spoken = [(element.text or "").strip() for element in ElementTree.fromstring(reply.body).iter("Speak")]
        except ElementTree.ParseError:
            spoken = []
    return {"reply": reply.status, "xml": reply.body, "spoken": spoken}


def spoken_code(spoken: list[str]) -> str | None:
    """The code a call read out: its one-digit Speak elements, the 6 digits said twice (None otherwise)."""
    digits = "".join(text for text in spoken if len(text) == 1 and text.isdigit())
    half = len(digits) // 2
    if len(digits) == 12 and digits[:half] == digits[half:]:
        return digits[:half]
    return None
