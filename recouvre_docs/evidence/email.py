"""E-mails (.eml, RFC 5322) -> PDF: a headers table, the body (plain text, or HTML sanitised with nh3),
and the list of attachments; PDF, image and e-mail attachments are handed back to be appended as
nested exhibits.

Nothing in a message can reach the network or the disk: the HTML is sanitised (no scripts, styles,
forms, links), images are served only from the message's own ``cid:`` parts or ``data:`` URLs, and
remote images are counted and reported as not loaded. Attachment names are only ever displayed
(escaped), never used as file names.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import nh3
from markupsafe import Markup

from .. import i18n
from ..errors import EvidenceError
from ..render import environment, pdf as render_pdf
from ..resources import templates_root

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup", "dd", "div", "dl",
    "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "q",
    "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "table": {"border", "cellpadding", "cellspacing"},
    "font": {"color"},
    "p": {"align"},
    "div": {"align"},
}
_REMOTE = re.compile(r"""(?i)(?:\b(?:src|background|poster)\s*=\s*["']?\s*|url\(\s*["']?\s*)(?:https?:|ftp:|//)""")
MAX_DEPTH = 3  # forwarded messages inside forwarded messages
# What WeasyPrint lays out of one body (an e-mail, an HTML file): a 15,000-row HTML table took 101 s
# and 780 MB; 2,000 rows take 5 to 8 s, 180 MB and 50 pages. Beyond either limit only the beginning
# is laid out, and the page says so; the original, complete, stays attached to the bundle.
MAX_BODY_ROWS = 2_000  # table rows (<tr>) of an HTML body
MAX_BODY_CHARS = 1_000_000  # characters of a body (HTML once sanitised, or plain text): about 400 pages of text
_ROW = re.compile(r"<tr[\s>]", re.IGNORECASE)


@dataclass
class Attachment:
    name: str
    mime: str
    data: bytes
    kind: str  # pdf | image | email | other


def parse(data: bytes, shown_as: str) -> EmailMessage:
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as err:  # noqa: BLE001 - the parser is lenient; anything raised means unreadable
        raise EvidenceError(f"{shown_as}: not a readable e-mail ({err})", hint="Export the message again as .eml.") from err
    if not any(msg.get(h) for h in ("From", "Date", "Subject", "To")):
        raise EvidenceError(
            f"{shown_as}: no e-mail headers found (From, To, Date, Subject)",
            hint="Export the message from the mail program as .eml (RFC 822), or print it to PDF.",
        )
    return msg  # type: ignore[return-value]


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a malformed header: show it raw
        value = msg.get_all(name, [""])[0] if hasattr(msg, "get_all") else ""
    return " ".join(str(value).split()) if value else ""


def _text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        raw = part.get_payload(decode=True) or b""
        return raw.decode("utf-8", "replace")


def _leaves(part: EmailMessage, depth: int = 0):
    """Leaf parts, not descending into attached messages (those are attachments)."""
    if part.get_content_maintype() == "multipart" and depth < 20:
        for sub in part.iter_parts():
            yield from _leaves(sub, depth + 1)  # type: ignore[arg-type]
    else:
        yield part


def _kind_of(name: str, mime: str, data: bytes) -> str:
    lower = name.lower()
    if mime == "message/rfc822" or lower.endswith(".eml"):
        return "email"
    if data[:5] == b"%PDF-" or mime == "application/pdf" or lower.endswith(".pdf"):
        return "pdf"
    if mime.startswith("image/") or lower.endswith((".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".bmp")):
        return "image"
    return "other"


def read(data: bytes, shown_as: str) -> tuple[EmailMessage, dict[str, Any], list[Attachment], dict[str, tuple[bytes, str]]]:
    msg = parse(data, shown_as)
    body = msg.get_body(preferencelist=("html", "plain"))
    html = _text(body) if body is not None and body.get_content_subtype() == "html" else None
    plain = _text(body) if body is not None and body.get_content_subtype() == "plain" else None

    cids: dict[str, tuple[bytes, str]] = {}
    attachments: list[Attachment] = []
    for part in _leaves(msg):
        if part is body:
            continue
        mime = part.get_content_type()
        cid = (part.get("Content-ID") or "").strip().strip("<>")
        if mime == "message/rfc822":
            inner = part.get_content()
            payload = inner.as_bytes() if hasattr(inner, "as_bytes") else bytes(inner)
        else:
            payload = part.get_payload(decode=True) or b""
        if cid and mime.startswith("image/"):
            cids[cid] = (payload, mime)
            if html and f"cid:{cid}" in html and part.get_content_disposition() != "attachment":
                continue  # an inline image of the body, shown in place
        name = part.get_filename() or ""
        disposition = part.get_content_disposition()
        if not name and disposition != "attachment" and mime in ("text/plain", "text/html"):
            continue  # the other alternative of the body
        if not name:
            name = f"{mime.replace('/', '-')}"
        attachments.append(Attachment(name=name, mime=mime, data=payload, kind=_kind_of(name, mime, payload)))

    facts: dict[str, Any] = {
        "subject": _header(msg, "Subject"),
        "from": _header(msg, "From"),
        "to": _header(msg, "To"),
        "cc": _header(msg, "Cc"),
        "date_header": _header(msg, "Date"),
        "attachments": [{"name": a.name, "mime": a.mime, "size": len(a.data)} for a in attachments],
    }
    try:
        when = email.utils.parsedate_to_datetime(facts["date_header"]) if facts["date_header"] else None
    except (TypeError, ValueError, IndexError):
        when = None
    if when is not None:
        facts["date"] = when.date().isoformat()
        facts["datetime"] = when.isoformat()
    language = (_header(msg, "Content-Language") or "")[:2].lower()
    if language:
        facts["language"] = language
    facts["_html"] = html
    facts["_plain"] = plain
    return msg, facts, attachments, cids


def sanitize(html: str) -> tuple[str, int]:
    """(clean HTML, number of remote references dropped)."""
    remote = len(_REMOTE.findall(html))
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"cid", "data"},
        link_rel=None,
        strip_comments=True,
    )
    return clean, remote


def truncate_html(clean: str) -> tuple[str, bool]:
    """The beginning of a sanitised HTML body within MAX_BODY_ROWS and MAX_BODY_CHARS, cut before a tag
    (the HTML parser closes what the cut left open), and whether it was cut."""
    cut = len(clean)
    for n, row in enumerate(_ROW.finditer(clean)):
        if n == MAX_BODY_ROWS:
            cut = row.start()
            break
    if cut > MAX_BODY_CHARS:
        tag = clean.rfind("<", 0, MAX_BODY_CHARS)
        cut = tag if tag > 0 else MAX_BODY_CHARS
    return (clean[:cut], True) if cut < len(clean) else (clean, False)


def truncate_text(text: str) -> tuple[str, bool]:
    if len(text) <= MAX_BODY_CHARS:
        return text, False
    line = text.rfind("\n", 0, MAX_BODY_CHARS)
    return text[: line if line > 0 else MAX_BODY_CHARS], True


def render_message(
    msg_facts: dict[str, Any],
    attachments: list[Attachment],
    cids: dict[str, tuple[bytes, str]],
    target: Path,
    *,
    lang: str,
    notes: list[str | None],
    case_root: Path | None = None,
) -> int:
    """Render an e-mail already read by :func:`read` to ``target``; ``notes[i]`` says what became of
    attachment i (None: reproduced after the message). Returns the page count."""
    html, remote = (sanitize(msg_facts["_html"]) if msg_facts.get("_html") else (None, 0))
    plain, truncated = msg_facts.get("_plain"), False
    if html:
        html, truncated = truncate_html(html)
    elif plain:
        plain, truncated = truncate_text(plain)
    if truncated:
        msg_facts["body_truncated"] = True
    context = {
        "mail": {k: v for k, v in msg_facts.items() if not k.startswith("_")},
        "date_display": _display_date(msg_facts, lang),
        "html_body": Markup(html) if html else None,
        "plain_body": plain,
        "truncated": truncated,
        "remote_blocked": remote,
        "attachments": [
            {"name": a.name, "mime": a.mime, "size": _size(len(a.data), lang), "note": notes[i]}
            for i, a in enumerate(attachments)
        ],
    }
    page = environment.render("email.html", context, lang, case_root)
    root = templates_root()
    result = render_pdf.html_to_pdf(page, target, base_dir=root / "shared", roots=[root], parts=cids, lang=lang)
    msg_facts["remote_blocked"] = remote + len([u for u in result.blocked if not u.startswith("file:")])
    return result.pages


def _display_date(facts: dict[str, Any], lang: str) -> str:
    if "datetime" not in facts:
        return facts.get("date_header", "")
    import datetime as dt

    when = dt.datetime.fromisoformat(facts["datetime"])
    offset = when.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else ""
    return f"{i18n.format_date(when.date(), lang, 'full')}, {when:%H:%M} {offset}".strip()


def _size(n: int, lang: str) -> str:
    if n < 1024:
        return f"{n} o" if lang == "fr" else f"{n} B"
    unit = "ko" if lang == "fr" else "KB"
    if n < 1024 * 1024:
        return f"{i18n.format_number(round(n / 1024), lang)} {unit}"
    unit = "Mo" if lang == "fr" else "MB"
    return f"{i18n.format_number(round(n / 1024 / 1024, 1), lang)} {unit}"



def msg_to_eml(data: bytes, shown_as: str) -> bytes:
    """An Outlook .msg as the RFC 822 message it stands for (extract-msg reads the OLE2 container:
    headers, plain and HTML bodies, inline images, attachments, attached messages)."""
    import logging

    import extract_msg
    from extract_msg.exceptions import ExMsgBaseException

    logging.getLogger("extract_msg").setLevel(logging.ERROR)  # its guesses about encodings are not the user's concern

    try:
        msg = extract_msg.openMsg(data, delayAttachments=False)
    except (ExMsgBaseException, OSError, ValueError, KeyError, TypeError) as err:
        raise EvidenceError(
            f"{shown_as}: this Outlook message cannot be read ({err.__class__.__name__}: {str(err)[:160]})",
            hint="Open it in Outlook and save it again (File > Save As > Outlook Message Format - Unicode), "
            "or export it as .eml.",
        ) from err
    try:
        message = msg.asEmailMessage()
        # The MAPI properties are the reference; the transport headers may be missing or empty, and MAPI
        # strings may end with a NUL.
        known = {"Subject": msg.subject, "From": msg.sender, "To": msg.to, "Cc": msg.cc,
                 "Date": email.utils.format_datetime(msg.date) if msg.date else None}
        for name, mapi in known.items():
            value = str(mapi if mapi else message.get(name, "") or "").replace("\x00", "").strip()
            del message[name]
            if value:
                message[name] = value
        return message.as_bytes(policy=email.policy.SMTPUTF8)
    except (ExMsgBaseException, ValueError, KeyError, TypeError, AttributeError) as err:
        raise EvidenceError(
            f"{shown_as}: this Outlook message cannot be converted ({err.__class__.__name__}: {str(err)[:160]})",
            hint="Export it from Outlook as .eml and put the .eml in evidence/ instead.",
        ) from err
    finally:
        msg.close()
