"""Reading scheme files from ``schemes/<id>/<version>.toml`` and validating them."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from registry.schemes.schemas import SchemeFileSchema


@dataclass(frozen=True)
class SchemeFile:
    path: Path
    definition: dict[str, Any]
    content_sha256: str

    @property
    def code(self) -> str:
        return str(self.definition["id"])

    @property
    def version(self) -> str:
        return str(self.definition["version"])


class SchemeFileError(Exception):
    """Every problem found in one file, each naming the field, so the author fixes them in one go."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            name = key if key != "_schema" else ""
            path = f"{prefix}.{name}" if prefix and name != "" else (prefix or str(name))
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            out.extend(_flatten(value, path))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix or '(file)'}: {m}" for m in messages]
    if isinstance(messages, list):
        return [line for item in messages for line in _flatten(item, prefix)]
    return [f"{prefix or '(file)'}: {messages}"]


def load_scheme_file(path: Path) -> SchemeFile:
    raw = path.read_bytes()
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SchemeFileError(path, [f"(file): not valid UTF-8 TOML: {error}"]) from error
    try:
        definition = SchemeFileSchema().load(document)
    except ValidationError as error:
        raise SchemeFileError(path, sorted(_flatten(error.messages))) from error
    problems = []
    if path.parent.name != definition["id"]:
        problems.append(f"id: is {definition['id']!r} but the folder is {path.parent.name!r}")
    if path.stem != definition["version"]:
        problems.append(f"version: is {definition['version']!r} but the file is named {path.name!r}")
    if problems:
        raise SchemeFileError(path, problems)
    # The hash is over the validated content, so reformatting a file is not a change, editing a value is.
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return SchemeFile(path=path, definition=definition, content_sha256=hashlib.sha256(canonical.encode()).hexdigest())


def load_scheme_dir(directory: Path) -> tuple[list[SchemeFile], list[SchemeFileError]]:
    files, errors = [], []
    for path in sorted(directory.glob("*/*.toml")):
        try:
            files.append(load_scheme_file(path))
        except SchemeFileError as error:
            errors.append(error)
    return files, errors
