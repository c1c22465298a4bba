"""The independent auditor (``flask tlog audit --url https://host``): it reads a running registry over HTTP only,
never its database, and reports every difference it finds, by label where there is one.

1. The log key comes from the trust list; the first run pins it in the state file, and a later key is a difference.
2. The latest checkpoint's signature must verify (C2SP signed note, Ed25519).
3. Every entry is downloaded (1,000 a call); their indexes must run 0…N-1 without a gap, and their RFC 9162 root
   must be the checkpoint's root.
4. The checkpoint must be consistent with the last one this auditor verified (kept in the state file): the log may
   only grow. Both the registry's consistency proof and the auditor's own recomputation from the entries are checked.
5. The label entries are replayed: each must start from the status the previous one left the label in, and the
   result is each label's expected status and public-record hash. Each label's public API (``/l/{id}/status``,
   ``/l/{id}.json``) and its bits in the published status lists must agree.
"""

from __future__ import annotations

import base64
import gzip
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.tlog import merkle, note
from registry.tlog.services import MAX_ENTRIES_PER_CALL, decode_entry

# The statuses each status list carries (registry.labels.status_lists.STATUSES_SET), by value.
REVOKED = {"withdrawn", "cancelled"}
SUSPENDED = {"suspended"}


class AuditError(RuntimeError):
    """The registry could not be read at all."""


@dataclass
class _Label:
    status: str
    record_hash: bytes
    index: int
    certificate_number: str


@dataclass
class Audit:
    base: str
    state_path: Path
    echo: Callable[[str], Any] = print
    problems: list[str] = field(default_factory=list)

    def get(self, path: str) -> bytes:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as response:  # noqa: S310 - the auditor's job
                return bytes(response.read())
        except (urllib.error.URLError, OSError) as error:
            raise AuditError(f"GET {path}: {error}") from None

    def get_json(self, path: str) -> Any:
        return json.loads(self.get(path))

    def differ(self, message: str) -> None:
        self.problems.append(message)

    # --- the log --------------------------------------------------------------------------------------

    def log_key(self, state: dict[str, Any]) -> tuple[str, bytes]:
        document = self.get_json("/.well-known/label-trust-list.json")
        payload = json.loads(base64.urlsafe_b64decode(document["payload"] + "=" * (-len(document["payload"]) % 4)))
        published = (payload.get("transparency_log") or {}).get("verifier_key")
        pinned = state.get("verifier_key")
        if published is None:
            raise AuditError("the trust list names no transparency log key")
        if pinned is not None and pinned != published:
            self.differ(f"the log key changed: pinned {pinned}, published {published}")
        return note.parse_verifier_key(pinned or published)

    def run(self) -> list[str]:
        state = json.loads(self.state_path.read_text()) if self.state_path.exists() else {}
        name, key = self.log_key(state)
        signed = self.get("/tlog/checkpoint").decode("utf-8")
        try:
            checkpoint = note.parse_checkpoint(note.open_note(signed, name, key))
        except note.NoteError as error:
            self.differ(f"the latest checkpoint does not verify: {error}")
            return self.problems
        size, root = checkpoint.size, checkpoint.root_hash
        self.echo(f"checkpoint: {size} entries, root {root.hex()}")

        entries = self.entries(size)
        leaves = [merkle.leaf_hash(e) for e in entries]
        if len(entries) == size and merkle.root_of_leaves(leaves) != root:
            self.differ(f"the {size} entries served do not hash to the checkpoint's root")

        last_size, last_root = state.get("size"), state.get("root")
        if last_size is not None and last_root is not None:
            last_root_bytes = bytes.fromhex(last_root)
            if size < last_size:
                self.differ(f"the log shrank: a checkpoint of {last_size} entries was seen, now {size}")
            else:
                proof = self.get_json(f"/tlog/proof/consistency?first={last_size}&second={size}")
                path = [base64.b64decode(h) for h in proof["consistency_path"]]
                if not merkle.verify_consistency(last_size, size, last_root_bytes, root, path):
                    self.differ(
                        f"the checkpoint of {size} entries is not consistent with the one of {last_size} seen before"
                    )
                if len(leaves) >= last_size and merkle.root_of_leaves(leaves[:last_size]) != last_root_bytes:
                    self.differ(f"the first {last_size} entries are not those the earlier checkpoint signed")

        self.replay(entries)
        if not self.problems:
            state.update({"verifier_key": note.verifier_key(name, key), "size": size, "root": root.hex()})
            self.state_path.write_text(json.dumps(state, indent=1))
        return self.problems

    def entries(self, size: int) -> list[bytes]:
        out: list[bytes] = []
        for start in range(0, size, MAX_ENTRIES_PER_CALL):
            end = min(size, start + MAX_ENTRIES_PER_CALL)
            got = self.get_json(f"/tlog/entries?start={start}&end={end}")["entries"]
            for offset, item in enumerate(got):
                if item["index"] != start + offset:
                    self.differ(
                        f"entry {start + offset} is missing: the registry served entry {item['index']} in its place"
                    )
                    return out
                out.append(base64.b64decode(item["entry"]))
            if len(got) != end - start:
                self.differ(f"entries {start + len(got)}…{end - 1} are missing")
                return out
        return out

    # --- the labels -----------------------------------------------------------------------------------

    def replay(self, entries: list[bytes]) -> None:
        labels: dict[str, _Label] = {}
        for index, raw in enumerate(entries):
            try:
                entry = decode_entry(raw)
            except Exception:  # any undecodable entry is a difference
                self.differ(f"entry {index} is not a CBOR map")
                continue
            if not str(entry.get("kind", "")).startswith("label:"):
                continue
            public_id = entry["label"]
            known = labels.get(public_id)
            before = known.status if known else None
            if entry.get("from") != before:
                self.differ(
                    f"label {entry['certificate_number']} ({public_id}): entry {index} moves it from {entry.get('from')}, "
                    f"but the log left it {before}"
                )
            labels[public_id] = _Label(entry["to"], entry["record_hash"], index, entry["certificate_number"])
        for public_id, expected in labels.items():
            self.check_label(public_id, expected)
        self.echo(f"replayed {len(entries)} entries: {len(labels)} labels")

    def check_label(self, public_id: str, expected: _Label) -> None:
        who = f"label {expected.certificate_number} ({public_id})"
        try:
            status = self.get_json(f"/l/{public_id}/status")
            document = self.get_json(f"/l/{public_id}.json")
        except AuditError as error:
            self.differ(f"{who}: the registry does not serve it ({error})")
            return
        if status["status"] != expected.status:
            self.differ(f"{who}: the log says {expected.status}, the registry says {status['status']}")
        if document.get("record_hash") != expected.record_hash.hex():
            self.differ(f"{who}: its public record no longer hashes to the one logged at entry {expected.index}")
        for purpose, statuses in (("revocation", REVOKED), ("suspension", SUSPENDED)):
            bit = self.status_bit(purpose, status["status_list"], status["status_index"])
            if bit != (expected.status in statuses):
                self.differ(f"{who}: its {purpose} bit is {int(bit)}, but the log says {expected.status}")

    _lists: dict[tuple[str, int], bytes] = field(default_factory=dict)

    def status_bit(self, purpose: str, number: int, index: int) -> bool:
        if (purpose, number) not in self._lists:
            token = self.get(f"/status/{purpose}/{number}").decode("ascii")
            payload = token.split(".")[1]
            credential = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            encoded = credential["credentialSubject"]["encodedList"][1:]
            self._lists[(purpose, number)] = gzip.decompress(
                base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            )
        raw = self._lists[(purpose, number)]
        return bool(raw[index // 8] & (0x80 >> (index % 8)))


def audit(url: str, state_path: Path, *, echo: Callable[[str], Any] = print) -> list[str]:
    """Every difference found (empty: none); the state file is updated only after a clean run."""
    runner = Audit(url.rstrip("/"), state_path, echo)
    try:
        return runner.run()
    except AuditError as error:
        return [str(error)]
