"""JSON nested far deeper than any document of the registry, or far larger, is refused with a clear message: a 400
from ``POST /api/v1/verify``, exit status 2 (could not run) from ``flask labels verify`` reading saved files."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from registry.keys.services import public_jwk, root_key
from registry.labels.models import Label
from registry.verifier import format as fmt

DEPTHS = [fmt.MAX_JSON_DEPTH + 1, 1000, 10_000]  # the deepest still under the API's size limit


def _nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("shape", ["list", "object", "url"])
def test_the_verify_api_refuses_deeply_nested_json_with_a_400(client, depth, shape):
    body = {
        "list": _nested(depth),
        "object": '{"a":' * depth + "1" + "}" * depth,
        "url": '{"url": "https://h/01/1#L1.x", "extra": ' + _nested(depth) + "}",
    }[shape]
    response = client.post("/api/v1/verify", data=body, content_type="application/json")
    assert response.status_code == 400 and response.is_json
    assert f"nested more than {fmt.MAX_JSON_DEPTH} levels" in response.get_json()["error"]["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_verify_api_refusal_reads_in_chinese(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = client.post("/api/v1/verify", data=_nested(1000), content_type="application/json")
    assert response.status_code == 400 and "嵌套" in response.get_json()["error"]["message"]


def test_the_verify_api_refuses_an_oversized_body(client):
    body = json.dumps({"url": "https://h/01/1#L1.x", "padding": "x" * 100_000})
    response = client.post("/api/v1/verify", data=body, content_type="application/json")
    assert response.status_code == 400 and "larger than" in response.get_json()["error"]["message"]


def test_a_request_as_deep_as_allowed_is_still_read(client, session):
    label = session.scalars(select(Label)).first()
    body = '{"url": ' + json.dumps(label.qr_url("h")) + ', "extra": ' + _nested(fmt.MAX_JSON_DEPTH - 1) + "}"
    response = client.post("/api/v1/verify", data=body, content_type="application/json")
    assert response.status_code == 200 and response.get_json()["verdict"] != "malformed"


@pytest.fixture
def saved(client, session, tmp_path):  # type: ignore[no-untyped-def]
    label = session.scalars(select(Label)).first()
    trust = tmp_path / "label-trust-list.json"
    trust.write_bytes(client.get("/.well-known/label-trust-list.json").data)
    revocation = tmp_path / "revocation.jwt"
    revocation.write_bytes(client.get(f"/status/revocation/{label.status_list}").data)
    root = tmp_path / "root.jwk"
    root.write_text(json.dumps(public_jwk(root_key(session))))
    return {"label": label, "trust": trust, "revocation": revocation, "root": root, "dir": tmp_path}


def _verify(runner, saved, **files):  # type: ignore[no-untyped-def]
    paths = {**{k: saved[k] for k in ("trust", "revocation", "root")}, **files}
    return runner.invoke(
        args=[
            "labels",
            "verify",
            saved["label"].qr_url(runner.app.config["PUBLIC_HOST"]),
            "--offline",
            "--trust-list",
            str(paths["trust"]),
            "--status-list",
            str(paths["revocation"]),
            "--root-key",
            str(paths["root"]),
        ]
    )


@pytest.mark.parametrize("depth", [*DEPTHS, 1_000_000])
@pytest.mark.parametrize("which", ["trust", "root", "revocation"])
def test_the_cli_refuses_a_deeply_nested_saved_file_with_exit_status_2(runner, saved, depth, which):
    bad = saved["dir"] / f"bad-{which}"
    if which == "revocation":  # a compact JWS whose header is the nested JSON
        bad.write_text(fmt.b64url(_nested(depth).encode()) + ".e30.AAAA")
    else:
        bad.write_text(_nested(depth))
    result = _verify(runner, saved, **{which: bad})
    assert result.exit_code == 2, result.output
    assert "Could not load" in result.output and f"nested more than {fmt.MAX_JSON_DEPTH} levels" in result.output
    assert "Traceback" not in result.output


def test_the_cli_refuses_an_oversized_saved_file_with_exit_status_2(runner, saved):
    huge = saved["dir"] / "huge.json"
    huge.write_bytes(b" " * (fmt.MAX_DOCUMENT_BYTES + 1))
    result = _verify(runner, saved, trust=huge)
    assert result.exit_code == 2 and "larger than" in result.output


@pytest.mark.parametrize("content", ["[1]", "5", '"key"', "null"])
def test_the_cli_refuses_a_root_key_that_is_not_a_json_object_with_exit_status_2(runner, saved, content):
    bad = saved["dir"] / "not-a-jwk.json"
    bad.write_text(content)
    result = _verify(runner, saved, root=bad)
    assert result.exit_code == 2 and "is not a JWK" in result.output, result.output


def test_the_saved_files_as_given_still_verify(runner, saved):
    result = _verify(runner, saved)
    assert result.exit_code == 0, result.output
