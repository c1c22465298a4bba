"""Verifying a scanned label URL (or a bare token) against a trust list and status lists.

The order of the checks is the order of the verdicts: a URL or token outside the format (not https, not the
tagged COSE_Sign1) is ``malformed``; one whose key the trust list does not hold is ``unknown_key``; then the
signature (``bad_signature``, which includes any ``alg`` but ES256 and a signature made outside the key's signing
window); then the key's revocation (``key_revoked``: every token the key signed, whatever its ``iat``, because a
stolen key can backdate); then the scanned host against the hosts the trust list publishes (``foreign_host``);
then the scanned path against ``sub`` (``wrong_product``); then the status lists (``revoked``, ``suspended``);
then ``exp`` (``expired``); then the status lists' age against their ``ttl`` (``stale_status``). Only a token
that passes all of them is ``valid``.
"""

from __future__ import annotations

import enum
import gzip
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from registry.verifier import format as fmt
from registry.verifier.format import FormatError, LabelClaims
from registry.verifier.urls import host_key, path_matches, same_host, split_scanned

# Seconds a status list without a ``ttl`` is relied on (the registry's lists always carry one): five minutes,
# the default that drafts of the W3C Bitstring Status List gave.
DEFAULT_STATUS_TTL = 300.0


class Verdict(enum.StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    UNKNOWN_KEY = "unknown_key"
    KEY_REVOKED = "key_revoked"
    BAD_SIGNATURE = "bad_signature"
    WRONG_PRODUCT = "wrong_product"
    FOREIGN_HOST = "foreign_host"
    STALE_STATUS = "stale_status"
    MALFORMED = "malformed"


# The messages live here, not in the Babel catalogue, because the verifier must run without Flask.
MESSAGES: dict[Verdict, dict[str, str]] = {
    Verdict.VALID: {
        "en": "Valid: the label was issued by {body} and its signature verifies.",
        "zh_CN": "有效：该标识由{body}签发，签名验证通过。",
    },
    Verdict.SUSPENDED: {
        "en": "Suspended: the label's signature verifies, but {body} has suspended it. Do not rely on it until it is restored.",
        "zh_CN": "已暂停：签名验证通过，但{body}已暂停该标识。恢复之前请勿采信。",
    },
    Verdict.REVOKED: {
        "en": "Revoked: the label's signature verifies, but it has been withdrawn or cancelled. It is no longer valid.",
        "zh_CN": "已撤销：签名验证通过，但该标识已被撤销或注销，不再有效。",
    },
    Verdict.EXPIRED: {
        "en": "Expired: the label was valid until {until}. It is no longer valid.",
        "zh_CN": "已过期：该标识有效期至{until}，现已失效。",
    },
    Verdict.UNKNOWN_KEY: {
        "en": "Unknown key: the label was signed with a key the registry's trust list does not hold. It may be forged.",
        "zh_CN": "未知密钥：该标识的签名密钥不在登记系统的信任列表中，可能是伪造的。",
    },
    Verdict.KEY_REVOKED: {
        "en": "Key revoked: the key that signed this label was revoked on {revoked_at}. Ask the holder for a re-issued label.",
        "zh_CN": "密钥已吊销：签发该标识的密钥已于{revoked_at}吊销。请向持有人索取重新签发的标识。",
    },
    Verdict.BAD_SIGNATURE: {
        "en": "Bad signature: the label's data does not match its signature. It has been altered or forged.",
        "zh_CN": "签名无效：标识数据与签名不符，已被篡改或伪造。",
    },
    Verdict.WRONG_PRODUCT: {
        "en": "Wrong product: this signed label belongs to {sub}, not to the product at {path}. It has been moved from another product.",
        "zh_CN": "产品不符：该签名标识属于 {sub}，而不是 {path} 的产品，已被挪用到其他产品上。",
    },
    Verdict.FOREIGN_HOST: {
        "en": "Wrong address: the label's signature verifies, but this code leads to {host}, which is not the registry ({registry}). Do not follow it: look the label up on {registry}.",
        "zh_CN": "网址不符：签名验证通过，但该码指向 {host}，而不是登记系统（{registry}）。请勿访问该网址，请到 {registry} 查询该标识。",
    },
    Verdict.STALE_STATUS: {
        "en": "Status out of date: the label's signature verifies, but the status lists are older than their time to live, so a withdrawal or suspension since then would not show. Fetch fresh status lists and verify again.",
        "zh_CN": "状态信息过期：签名验证通过，但状态列表已超过其有效时长，此后的撤销或暂停不会显示。请获取最新的状态列表后重新验证。",
    },
    Verdict.MALFORMED: {
        "en": "Not a label: this is not a carbon footprint label code (expected a URL with #L1. and a token).",
        "zh_CN": "无法识别：这不是碳足迹标识码（应为带 #L1. 和令牌的网址）。",
    },
}
# A malformed input whose fault is known says how to fix it.
HTTPS_REQUIRED = {
    "en": "Not a label: a label's address begins with https://, and this one begins with {scheme}://. It is not a code the registry issued.",
    "zh_CN": "无法识别：标识的网址以 https:// 开头，而此网址以 {scheme}:// 开头，不是登记系统签发的标识码。",
}


def message_for(verdict: Verdict, language: str, **values: str) -> str:
    template = MESSAGES[verdict]["en" if language.startswith("en") else "zh_CN"]
    return template.format_map(_Default(values))


class _Default(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def _iso(timestamp: int | float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _parse_time(text: Any) -> float | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise FormatError("time is not a string")
    try:
        return datetime.fromisoformat(text).timestamp()  # a trailing Z is UTC since Python 3.11
    except ValueError as error:
        raise FormatError(f"bad time {text!r}") from error


# --- trust list -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedKey:
    kid: bytes
    key: ec.EllipticCurvePublicKey
    body_code: str
    body_name: dict[str, str]
    sign_from: float
    sign_until: float
    verify_until: float
    revoked_at: float | None


@dataclass
class TrustList:
    """The verification keys of the certification bodies, as the registry's root key signed them."""

    keys: dict[bytes, TrustedKey]
    issued_at: float
    issuer: str
    root_key: ec.EllipticCurvePublicKey
    # The hosts the registry answers at, as ``urls.host_key`` spells them, the current one first: a scanned URL
    # on any other host is ``foreign_host``.
    hosts: tuple[str, ...] = ()

    @classmethod
    def from_document(
        cls, document: dict[str, Any] | str | bytes, root_key: dict[str, Any] | ec.EllipticCurvePublicKey
    ) -> TrustList:
        """Parse ``/.well-known/label-trust-list.json`` (flattened JWS JSON), checking the root signature.

        ``root_key`` is the trust anchor: the registry's root public key, pinned by the verifier (a JWK or a
        key). A trust list not signed by it raises FormatError.
        """
        if isinstance(document, (str, bytes)):
            document = fmt.parse_json(document)
        root = root_key if isinstance(root_key, ec.EllipticCurvePublicKey) else fmt.key_from_jwk(root_key)
        if not isinstance(document, dict) or not all(
            isinstance(document.get(k), str) for k in ("protected", "payload", "signature")
        ):
            raise FormatError("the trust list is not a flattened JWS")
        _, payload = fmt.jws_verify(f"{document['protected']}.{document['payload']}.{document['signature']}", root)
        return cls.from_payload(fmt.parse_json(payload), root)

    @classmethod
    def from_payload(cls, body: dict[str, Any], root: ec.EllipticCurvePublicKey) -> TrustList:
        """The trust list from its (already trusted) payload: what ``from_document`` does after the signature
        check, and what the registry itself uses, holding the payload first-hand."""
        keys: dict[bytes, TrustedKey] = {}
        for entry in body["keys"]:
            kid = fmt.b64url_decode(entry["kid"])
            key = fmt.key_from_jwk(entry["jwk"])
            if fmt.kid_for(key) != kid:
                raise FormatError("a trust-list kid does not match its key")
            keys[kid] = TrustedKey(
                kid=kid,
                key=key,
                body_code=entry["body"]["code"],
                body_name={
                    "zh_CN": entry["body"]["name_zh"],
                    "en": entry["body"].get("name_en") or entry["body"]["name_zh"],
                },
                sign_from=_parse_time(entry["sign_from"]) or 0.0,
                sign_until=_parse_time(entry["sign_until"]) or 0.0,
                verify_until=_parse_time(entry["verify_until"]) or 0.0,
                revoked_at=_parse_time(entry.get("revoked_at")),
            )
        return cls(
            keys=keys,
            issued_at=_parse_time(body["issued_at"]) or 0.0,
            issuer=body["issuer"],
            root_key=root,
            hosts=_published_hosts(body),
        )


def _published_hosts(body: dict[str, Any]) -> tuple[str, ...]:
    """The trust list's ``hosts`` (current first, then former ones), or, in a list that predates them, the host of
    its ``issuer`` (``https://{PUBLIC_HOST}``)."""
    hosts = body.get("hosts")
    if hosts is None:
        issuer = urlsplit(str(body["issuer"]))
        if issuer.scheme != "https":
            raise FormatError("the trust list's issuer is not an https URL")
        hosts = [issuer.netloc]
    if not isinstance(hosts, list) or not hosts or not all(isinstance(host, str) for host in hosts):
        raise FormatError("the trust list's hosts are not a list of host names")
    return tuple(dict.fromkeys(host_key(host) for host in hosts))


# --- status lists -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusList:
    purpose: str  # "revocation" or "suspension"
    number: int
    bits: bytes
    valid_from: float
    ttl: float = DEFAULT_STATUS_TTL  # seconds after valid_from that the list may be relied on

    def is_stale(self, now: float, max_age: float | None = None) -> bool:
        """Older than its ttl, or than ``max_age`` seconds when the verifier chose a limit of its own."""
        return now - self.valid_from > (self.ttl if max_age is None else max_age)

    def is_set(self, index: int) -> bool:
        """W3C Bitstring Status List: index 0 is the most significant bit of the first byte."""
        return bool(self.bits[index // 8] & (0x80 >> (index % 8)))


def decode_encoded_list(encoded: str) -> bytes:
    """``encodedList``: multibase base64url (prefix ``u``) of the GZIP-compressed bitstring."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise FormatError("encodedList must be multibase base64url (prefix u)")
    try:
        bits = gzip.decompress(fmt.b64url_decode(encoded[1:]))
    except (OSError, EOFError) as error:
        raise FormatError("encodedList is not gzip") from error
    if len(bits) * 8 < fmt.STATUS_LIST_SIZE:
        raise FormatError("status list shorter than 131072 entries")
    return bits


@dataclass
class StatusLists:
    lists: dict[tuple[str, int], StatusList] = field(default_factory=dict)

    @classmethod
    def from_credentials(cls, credentials: list[str], trust: TrustList) -> StatusLists:
        """Parse status-list credentials (compact JWS, ``vc+jwt``), each checked against the root key. Of two
        credentials for the same list, the one with the later ``validFrom`` counts, whatever the order given."""
        lists = cls()
        for compact in credentials:
            _, payload = fmt.jws_verify(compact, trust.root_key)
            credential = fmt.parse_json(payload)
            subject = credential["credentialSubject"]
            if (
                "BitstringStatusListCredential" not in credential.get("type", [])
                or subject.get("type") != "BitstringStatusList"
            ):
                raise FormatError("not a BitstringStatusListCredential")
            purpose = subject["statusPurpose"]
            number = int(str(credential["id"]).rstrip("/").rsplit("/", 1)[-1])
            ttl = subject.get("ttl", DEFAULT_STATUS_TTL * 1000)  # milliseconds
            if not isinstance(ttl, (int, float)) or isinstance(ttl, bool) or ttl < 0:
                raise FormatError("the status list's ttl is not a number of milliseconds")
            status_list = StatusList(
                purpose=purpose,
                number=number,
                bits=decode_encoded_list(subject["encodedList"]),
                valid_from=_parse_time(credential["validFrom"]) or 0.0,
                ttl=ttl / 1000,
            )
            known = lists.lists.get((purpose, number))
            if known is None or status_list.valid_from > known.valid_from:
                lists.lists[(purpose, number)] = status_list
        return lists

    def get(self, purpose: str, number: int) -> StatusList | None:
        return self.lists.get((purpose, number))


# --- verification -----------------------------------------------------------------------------------------


@dataclass
class Result:
    verdict: Verdict
    claims: LabelClaims | None = None
    key: TrustedKey | None = None
    scanned_path: str | None = None
    detail: str | None = None
    status_checked: dict[str, float | None] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)  # the purposes whose list was older than allowed
    scanned_host: str | None = None  # as scanned (None for a bare token)
    registry_host: str | None = None  # the registry's current host, from the trust list
    scheme: str | None = None  # set when the URL was refused for not being https

    @classmethod
    def refused(cls, error: FormatError) -> Result:
        return cls(Verdict.MALFORMED, detail=str(error), scheme=getattr(error, "scheme", None))

    @property
    def body_name(self) -> dict[str, str]:
        return self.key.body_name if self.key else {"zh_CN": "?", "en": "?"}

    def message(self, language: str) -> str:
        en = language.startswith("en")
        values = {
            "body": self.body_name["en" if en else "zh_CN"],
            "until": _iso(self.claims.exp) if self.claims else "?",
            "revoked_at": _iso(self.key.revoked_at) if self.key and self.key.revoked_at else "?",
            "sub": self.claims.sub if self.claims else "?",
            "path": self.scanned_path or "?",
            "host": self.scanned_host or "?",
            "registry": self.registry_host or "?",
            "scheme": self.scheme or "?",
        }
        if self.verdict is Verdict.MALFORMED and self.scheme is not None:
            return HTTPS_REQUIRED["en" if en else "zh_CN"].format_map(_Default(values))
        return message_for(self.verdict, language, **{k: v or "?" for k, v in values.items()})

    def as_json(self, language: str = "en", now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        return {
            "verdict": self.verdict.value,
            "message": self.message(language),
            "messages": {"en": self.message("en"), "zh_CN": self.message("zh_CN")},
            "label": self.claims.as_json() if self.claims else None,
            "issuer": {"code": self.key.body_code, "name": self.body_name} if self.key else None,
            "kid": fmt.b64url(self.key.kid) if self.key else None,
            "registry_host": self.registry_host,
            "scanned_host": self.scanned_host,
            "status_lists": {
                purpose: {
                    "valid_from": _iso(stamp),
                    "age_seconds": None if stamp is None else int(now - stamp),
                    "stale": purpose in self.stale,
                }
                for purpose, stamp in self.status_checked.items()
            },
        }


def verify(
    scanned: str,
    trust: TrustList,
    status: StatusLists | None,
    now: float | None = None,
    max_status_age: float | None = None,
) -> Result:
    """Verify a scanned label URL (or bare token). ``status=None`` skips the status lists (the result says so).
    A status list older than its ``ttl`` (or than ``max_status_age`` seconds, when given) makes an otherwise
    valid label ``stale_status``."""
    now = time.time() if now is None else now
    result = _verify(scanned, trust, status, now, max_status_age)
    result.registry_host = trust.hosts[0] if trust.hosts else None
    return result


def _verify(
    scanned: str, trust: TrustList, status: StatusLists | None, now: float, max_status_age: float | None
) -> Result:
    try:
        parsed = split_scanned(scanned)
        sign1 = fmt.decode_sign1(parsed.token)
        claims = fmt.parse_claims(sign1.payload)
    except FormatError as error:
        return Result.refused(error)
    path = parsed.path
    key = trust.keys.get(sign1.kid) if sign1.kid else None
    if key is None:
        return Result(Verdict.UNKNOWN_KEY, claims=claims, scanned_path=path, scanned_host=parsed.host)
    found = Result(Verdict.VALID, claims=claims, key=key, scanned_path=path, scanned_host=parsed.host)
    if sign1.alg != fmt.ALG_ES256:
        return _with(found, Verdict.BAD_SIGNATURE, "alg is not ES256")
    if not fmt.verify_es256(key.key, sign1.signature, sign1.signed_bytes()):
        return _with(found, Verdict.BAD_SIGNATURE)
    if claims.iss != key.body_code or not key.sign_from <= claims.iat <= key.sign_until:
        return _with(found, Verdict.BAD_SIGNATURE, "issuer or issue time outside the key's signing window")
    if key.revoked_at is not None:
        return _with(found, Verdict.KEY_REVOKED)
    if now > key.verify_until:
        return _with(found, Verdict.UNKNOWN_KEY, "key past its verification window")
    # A genuine token copied under another host still leads the reader to that host: not valid, whatever it says.
    if parsed.host is not None and not same_host(parsed.host, trust.hosts):
        return _with(found, Verdict.FOREIGN_HOST)
    if path is not None and not path_matches(path, claims.sub):
        return _with(found, Verdict.WRONG_PRODUCT)
    if status is not None:
        for purpose, verdict in (("revocation", Verdict.REVOKED), ("suspension", Verdict.SUSPENDED)):
            status_list = status.get(purpose, claims.status_list)
            found.status_checked[purpose] = status_list.valid_from if status_list else None
            if status_list is not None and status_list.is_stale(now, max_status_age):
                found.stale.append(purpose)
            if status_list is not None and status_list.is_set(claims.status_index) and found.verdict is Verdict.VALID:
                found.verdict = verdict
        # A set bit says "not valid" however old the list; only an unset bit needs the list to be current.
        if found.verdict is not Verdict.VALID:
            return found
    if now >= claims.exp:
        return _with(found, Verdict.EXPIRED)
    if found.stale:
        return _with(found, Verdict.STALE_STATUS)
    return found


def _with(result: Result, verdict: Verdict, detail: str | None = None) -> Result:
    result.verdict, result.detail = verdict, detail
    return result
