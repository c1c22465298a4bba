"""What a scanned label URL says: its host, its path and its token, as the format allows them.

A QR code's URL is ``https://{PUBLIC_HOST}/…``: no user name, no password, and a host the registry publishes in
its trust list. The comparison must not be fooled by spellings that reach the same server (upper case, a Unicode
name and its punycode, an explicit port 443, a trailing dot) nor accept one that reaches another (a user name in
front of the host: ``https://cfp.example.cn@evil.example/`` goes to evil.example).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from registry.verifier import format as fmt
from registry.verifier.format import FormatError

HTTPS_PORT = 443
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")  # ß, final sigma, ZWNJ, ZWJ


def host_key(netloc: str) -> str:
    """``host`` or ``host:port`` in one spelling: lower case, IDNA (punycode) labels, no trailing dot, no port 443.

    FormatError when ``netloc`` is not a plain host: it carries a user name or password, an impossible port, or
    a name IDNA cannot encode.
    """
    if not isinstance(netloc, str) or not netloc or "@" in netloc:
        raise FormatError("not a plain host")
    try:
        parts = urlsplit("//" + netloc)
        port = parts.port
    except ValueError as error:  # a port out of range or not a number, an unbalanced IPv6 bracket
        raise FormatError("not a plain host") from error
    hostname = (parts.hostname or "").rstrip(".")
    if not hostname or parts.path or parts.query or parts.fragment:
        raise FormatError("not a plain host")
    if ":" in hostname:  # IPv6 literal: urlsplit dropped its brackets
        hostname = f"[{hostname}]"
    else:
        # Python's idna codec is IDNA 2003, which maps these four to something else where browsers (IDNA 2008,
        # UTS 46 non-transitional) keep them: straße.example would key as strasse.example but lead elsewhere.
        if _IDNA_DEVIATIONS.intersection(hostname):
            raise FormatError("not a plain host")
        try:
            # The idna codec applies nameprep (case and width folding) to Unicode labels, so ＣＦＰ.example.cn,
            # cfp.example.cn and CFP.EXAMPLE.CN are one key, and bücher.example is xn--bcher-kva.example.
            hostname = hostname.encode("idna").decode("ascii").lower()
        except UnicodeError as error:
            raise FormatError("not a plain host") from error
    return hostname if port in (None, HTTPS_PORT) else f"{hostname}:{port}"


def same_host(netloc: str, hosts: tuple[str, ...]) -> bool:
    """Whether ``netloc`` (as scanned) names one of ``hosts`` (already keys)."""
    try:
        return host_key(netloc) in hosts
    except FormatError:
        return False


class NotHttps(FormatError):
    """A label URL under another scheme than https: the format has only https."""

    def __init__(self, scheme: str) -> None:
        super().__init__(f"a label URL is https, not {scheme}")
        self.scheme = scheme


@dataclass(frozen=True)
class Scanned:
    host: str | None  # the URL's authority as written (user name included); None for a bare token
    path: str | None  # None for a bare token
    token: str


def split_scanned(scanned: str) -> Scanned:
    """The host, path and token of what a camera read (a URL, or a bare token); FormatError if neither."""
    text = scanned.strip() if isinstance(scanned, str) else ""
    if text.startswith(fmt.TOKEN_PREFIX):
        return Scanned(None, None, text[len(fmt.TOKEN_PREFIX) :])
    try:
        parts = urlsplit(text)
    except ValueError as error:  # e.g. an unbalanced "[" (an invalid IPv6 host)
        raise FormatError("not a URL") from error
    if not parts.fragment.startswith(fmt.TOKEN_PREFIX) or not parts.netloc:
        if text and "." not in text and "/" not in text:
            return Scanned(None, None, text)  # a bare token without its prefix
        raise FormatError("not a label URL")
    if parts.scheme != "https":  # urlsplit gives the scheme in lower case
        raise NotHttps(parts.scheme or "?")
    return Scanned(parts.netloc, parts.path, parts.fragment[len(fmt.TOKEN_PREFIX) :])


_GS1_QUALIFIERS = re.compile(r"^(/10/[^/]{1,20})?(/21/[^/]{1,20})?/?$")


def path_matches(scanned_path: str, sub: str) -> bool:
    """The scanned path is the token's ``sub``, or, for a GS1 Digital Link ``/01/{GTIN}``, that path followed by a
    batch ``/10/{lot}`` and/or serial ``/21/{serial}`` (GS1 Digital Link 1.2 qualifiers)."""
    if scanned_path.rstrip("/") == sub:
        return True
    return (
        sub.startswith("/01/")
        and scanned_path.startswith(sub + "/")
        and bool(_GS1_QUALIFIERS.match(scanned_path[len(sub) :]))
    )
