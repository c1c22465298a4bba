"""Where the verifier gets the trust list and status lists: saved files (offline) or the registry over HTTPS."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from registry.verifier import format as fmt
from registry.verifier.core import StatusLists, TrustList
from registry.verifier.urls import split_scanned

TRUST_LIST_PATH = "/.well-known/label-trust-list.json"

Fetch = Callable[[str], bytes]


def http_fetch(url: str) -> bytes:
    # Only https URLs come here: fetch_online builds them on an origin from ``origin_of``, always https.
    request = urllib.request.Request(url, headers={"User-Agent": "carbon-label-verifier/1"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return bytes(response.read())


@dataclass
class Sources:
    trust: TrustList
    status: StatusLists
    documents: dict[str, bytes]  # file name -> bytes, as fetched (for saving)

    def ages(self, now: float | None = None) -> dict[str, int]:
        now = time.time() if now is None else now
        ages = {"trust_list": int(now - self.trust.issued_at)}
        for (purpose, number), status_list in self.status.lists.items():
            ages[f"{purpose}-{number}"] = int(now - status_list.valid_from)
        return ages

    def save(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in self.documents.items():
            path = directory / name
            path.write_bytes(data)
            written.append(path)
        return written


def status_entry(scanned: str) -> tuple[int, int] | None:
    """The status-list entry (list number, index) the (not yet verified) token names, to know what to fetch."""
    try:
        claims = fmt.parse_claims(fmt.decode_sign1(split_scanned(scanned).token).payload)
    except fmt.FormatError:
        return None
    return claims.status_list, claims.status_index


def status_list_number(scanned: str) -> int | None:
    entry = status_entry(scanned)
    return None if entry is None else entry[0]


def origin_of(scanned: str, default_host: str) -> str:
    """Where online mode fetches from: the scanned URL's host (never its user name: ``https://a@b/`` is b), or
    ``default_host`` for a bare token or anything that is not an https URL."""
    try:
        parts = urlsplit(scanned.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return f"https://{default_host}"
    if parts.scheme != "https" or not host:
        return f"https://{default_host}"
    host = f"[{host}]" if ":" in host else host
    return f"https://{host}" if port is None else f"https://{host}:{port}"


def fetch_online(scanned: str, origin: str, root_key: dict[str, Any], fetch: Fetch = http_fetch) -> Sources:
    """Fetch the trust list and the token's two status lists from ``origin`` (e.g. ``https://cfp.example.cn``)."""
    documents = {"label-trust-list.json": fetch(origin + TRUST_LIST_PATH)}
    trust = TrustList.from_document(documents["label-trust-list.json"], root_key)
    number = status_list_number(scanned)
    credentials = []
    if number is not None:
        for purpose in ("revocation", "suspension"):
            name = f"{purpose}-{number}.jwt"
            documents[name] = fetch(f"{origin}/status/{purpose}/{number}")
            credentials.append(documents[name].decode("ascii"))
    return Sources(trust, StatusLists.from_credentials(credentials, trust), documents)


def read_saved(path: Path) -> bytes:
    """A saved document's bytes, refusing a file larger than any the registry publishes before reading it all."""
    with path.open("rb") as file:
        data = file.read(fmt.MAX_DOCUMENT_BYTES + 1)
    if len(data) > fmt.MAX_DOCUMENT_BYTES:
        raise fmt.FormatError(
            f"{path.name} is larger than {fmt.MAX_DOCUMENT_BYTES} bytes, which no registry document is"
        )
    return data


def load_offline(trust_list: Path, status_lists: list[Path], root_key: dict[str, Any]) -> Sources:
    documents = {trust_list.name: read_saved(trust_list)}
    try:
        trust = TrustList.from_document(documents[trust_list.name], root_key)
    except fmt.FormatError as error:
        raise fmt.FormatError(f"{trust_list.name}: {error}") from error
    credentials = []
    for path in status_lists:
        documents[path.name] = read_saved(path)
        credentials.append(documents[path.name].decode("ascii"))
    return Sources(trust, StatusLists.from_credentials(credentials, trust), documents)


def load_root_key(path: Path) -> dict[str, Any]:
    """A pinned root key file: a JWK, or a JWKS whose key is the root (as ``flask keys root`` prints it)."""
    try:
        data = fmt.parse_json(read_saved(path))
    except fmt.FormatError as error:
        raise fmt.FormatError(f"{path.name}: {error}") from error
    if isinstance(data, dict) and "keys" in data:
        raise fmt.FormatError("give the root key itself (flask keys root), not a whole JWKS")
    if not isinstance(data, dict):
        raise fmt.FormatError(f"{path.name} is not a JWK (a JSON object, as flask keys root prints it)")
    return data
