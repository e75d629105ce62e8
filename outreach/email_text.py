"""Reading an email reply: the contractor's own words, without the quoted thread or signature.

An inbound email is stored whole (:mod:`outreach.email_inbox`); the reply is read out of it
here when its answer is read (:func:`reply_text`), and HTML-only mail is turned into text
(:func:`html_to_text`) with the quoted mail left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage as ReplyParser

# Signature blocks the parser finds start with a valediction ("Thanks,", "Sent from my
# iPhone"); a longer first line is a sentence that happens to start with "Thanks", and stays.
SIGNATURE_MAX_WORDS = 4
REPLY_LANGUAGES = ("en", "es")


class _HTMLText(HTMLParser):
    """HTML as plain text, leaving out quoted mail and non-text.

    Gmail, Apple Mail and Yahoo wrap the quote in one element (blockquote, ``gmail_quote``,
    ``yahoo_quoted``); Outlook does not: after its header block (``divRplyFwdMsg``, or the empty
    ``appendonsend`` marker before it) the old message follows as siblings, so everything from
    there on is left out.
    """

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "hr", "table"})
    _SKIP = frozenset({"blockquote", "style", "script", "head", "title"})
    _VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base"})
    _QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix")
    _REST_IS_QUOTE_IDS = (
        "divrplyfwdmsg",
        "appendonsend",
        "mail-editor-reference-message-container",
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[bool] = []  # per open element: does it hide its content?
        self._rest_is_quote = False

    def _hidden(self) -> bool:
        return self._rest_is_quote or any(self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element_id = " ".join(v or "" for k, v in attrs if k == "id").lower()
        if any(marker in element_id for marker in self._REST_IS_QUOTE_IDS):
            self._rest_is_quote = True
        if tag in self._BLOCKS and not self._hidden():
            self.parts.append("\n")
        if tag in self._VOID:
            return
        classes = " ".join(v or "" for k, v in attrs if k == "class")
        quoted = (
            any(name in classes for name in self._QUOTE_CLASSES) or "yahoo_quoted" in element_id
        )
        self._stack.append(tag in self._SKIP or quoted)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID or not self._stack:
            return
        self._stack.pop()
        if tag in self._BLOCKS and not self._hidden():
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# The line a mail client writes above a quote: Gmail's "On Mon, Mar 2, 2026 at 10:00 AM Rosa
# <rosa@example.com> wrote:" (wrapped over two lines when long), Spanish "El lun, 2 mar 2026 a las
# 10:00, Rosa (<rosa@example.com>) escribió:", some clients without the colon. The parser's own
# pattern wants the colon and its Spanish one two spaces before "escribió", so these are ours.
_ATTRIBUTION = re.compile(
    r"^[ \t]*(?:On|El)\s[^\n]{4,300}?(?:\n[^\n]{0,300}?)?\s?\b(?:wrote|escribi[óo])(?::|[ \t]*$)",
    re.MULTILINE,
)
# An address, a year, a time or a date: "On Monday my manager wrote" is the contractor talking.
_ATTRIBUTION_DETAIL = re.compile(r"@|\b\d{4}\b|\d:\d\d|\d/\d")
_QUOTE_FOLLOWS = re.compile(r"[ \t]*\n(?:[ \t]*\n)*[ \t]*>")
# Separators the parser does not know (it knows "-----Original Message-----").
_SEPARATOR = re.compile(
    r"^[ \t]*-{3,}[ \t]*(?:Mensaje original|Mensaje reenviado)[ \t]*-{3,}[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
# What phones and mail apps add below the text, at any length: "Sent from my iPhone", "Sent from
# my Verizon, Samsung Galaxy smartphone", "Sent from Yahoo Mail on Android", "Get Outlook for iOS
# <https://aka.ms/o0ukef>", "Enviado desde mi iPhone". The parser only knows the shortest ones
# and takes everything after them as signature, which loses an answer written below them.
_SENT_FROM = re.compile(
    r"^[ \t]*(?:sent (?:from|with|using|via)|get outlook for|enviado (?:desde|con)|"
    r"obtener outlook para|obt[eé]n outlook para)\b([^\n]{0,160})$",
    re.MULTILINE | re.IGNORECASE,
)
_DEVICE = re.compile(
    r"\b(?:iphone|ipad|ipod|android|galaxy|samsung|yahoo|outlook|mail|mobile|phone|smartphone|"
    r"device|blackberry|verizon|t-mobile|sprint|at&t|gmail|pixel|huawei|xiaomi|motorola|"
    r"tablet|ios|windows|aol|proton|m[oó]vil|celular|tel[eé]fono|dispositivo)\b",
    re.IGNORECASE,
)
_LINK = re.compile(r"<[^<>\n]*>|https?://\S+")


def _is_sent_from(match: re.Match[str]) -> bool:
    """A client's line, not a sentence that starts with "Sent from" ("...the office: no badge")."""
    rest = _LINK.sub(" ", match[1])
    return bool(_DEVICE.search(rest)) and not re.search(r"[:;!?]|\.\s+\w", rest)


def _without_quotes(text: str) -> str:
    """The text without quoted lines ("> ...") and the attributions above them.

    An attribution with a ">" quote after it is dropped and reading goes on, so an answer below
    the quote (bottom-posting) or between its lines (interleaving) stays. An attribution with no
    ">" after it starts an unmarked quote (Yahoo, Outlook for Mac): the rest is the old mail.
    """
    kept: list[str] = []
    position = 0
    for match in _ATTRIBUTION.finditer(text):
        if match.start() < position or not _ATTRIBUTION_DETAIL.search(match[0]):
            continue
        kept.append(text[position : match.start()])
        position = match.end()
        if not _QUOTE_FOLLOWS.match(text, position):
            position = len(text)
            break
    kept.append(text[position:])
    separated = _SEPARATOR.split("".join(kept), maxsplit=1)[0]
    lines = [line for line in separated.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines)


def reply_text(text: str) -> str:
    """What the contractor wrote this time: no quoted thread, no signature.

    Quotes marked with ">" and the attribution lines above them are dropped here, wherever the
    contractor wrote (above, below or between quoted lines), and so are the lines phones add
    ("Sent from my iPhone"). ``mail-parser-reply`` then cuts at Outlook's header block
    ("From: ... Sent: ...", "De: ... Enviado: ...") and "-----Original Message-----", and finds
    the signature.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _without_quotes(text)
    text = _SENT_FROM.sub(lambda m: "" if _is_sent_from(m) else m[0], text)
    parsed = ReplyParser(text=text, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True).read()
    if not parsed.replies:
        return ""
    reply = parsed.replies[0]
    signature_start = reply.signatures.split("\n", 1)[0] if reply.signatures else ""
    signed_off = len(signature_start.split()) <= SIGNATURE_MAX_WORDS
    body = reply.body if signed_off else reply.full_body
    return re.sub(r"\n{3,}", "\n\n", body).strip()
