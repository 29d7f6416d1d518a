"""What a client's text back means: the carrier keywords (STOP, START, HELP) and YES.

Twilio reads the same keywords before we do. On a number with Twilio's default opt-out handling,
STOP-family words block further texts to the sender until they send an opt-in word, and Twilio
answers STOP, START and HELP itself. YES is one of Twilio's opt-in words too, so a YES both
re-subscribes the number at Twilio and, for CONNECT, answers the consent request. A keyword is
the whole message (case, surrounding spaces and trailing punctuation ignored), as Twilio matches
it: "yes please" is not a YES.
"""

from __future__ import annotations

from domain.taxonomy import LabelledStrEnum


class SmsKeyword(LabelledStrEnum):
    STOP = ("stop", "Opt out")
    START = ("start", "Opt back in")
    YES = ("yes", "Yes (consent)")
    HELP = ("help", "Help")
    OTHER = ("other", "Other text")


# Twilio's default keyword lists (YES is an opt-in word at Twilio; here it is also consent).
_KEYWORDS: dict[str, SmsKeyword] = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"),
                    SmsKeyword.STOP),
    **dict.fromkeys(("START", "UNSTOP"), SmsKeyword.START),
    "YES": SmsKeyword.YES,
    **dict.fromkeys(("HELP", "INFO"), SmsKeyword.HELP),
}


def classify_reply(body: str | None) -> SmsKeyword:
    """The keyword a text is, or OTHER."""
    word = (body or "").strip().rstrip(".!").strip().upper()
    return _KEYWORDS.get(word, SmsKeyword.OTHER)


def opts_in(keyword: SmsKeyword) -> bool:
    """Whether the keyword lifts an earlier STOP (START and YES are opt-in words)."""
    return keyword in (SmsKeyword.START, SmsKeyword.YES)
