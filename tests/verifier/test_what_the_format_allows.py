"""The verifier says only what the format allows (issue 11, item 8): the tagged COSE_Sign1 and https, a URL on one
of the hosts the registry publishes (anything else is ``foreign_host``, in the API too), and status lists no
older than their ``ttl`` offline (``stale_status``, exit 3, unless ``--max-age`` allows them), with ``validFrom``
in whole seconds so two lists can be ordered.

Times are taken from the lists themselves (their ``validFrom``) or built at a time the test chooses relative to
the clock, never fixed dates, so the tests hold on any day and under ``faketime``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cbor2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.config import ConfigurationError
from registry.database import utcnow
from registry.dates import iso_utc
from registry.keys.services import public_jwk, root_key
from registry.labels.models import Label, LabelStatus
from registry.labels.status_lists import signed_credential
from registry.verifier import format as fmt
from registry.verifier.core import StatusLists, TrustList, Verdict, verify
from tests.conftest import make_test_app


def first_label(session: Session) -> Label:
    return session.scalars(select(Label).where(Label.path.startswith("/01/")).order_by(Label.id)).first()


def trust_of(client: FlaskClient, session: Session) -> TrustList:
    return TrustList.from_document(
        client.get("/.well-known/label-trust-list.json").get_data(), public_jwk(root_key(session))
    )


def lists_made_at(session: Session, host: str, number: int, made: datetime) -> list[str]:
    return [signed_credential(session, purpose, number, host, made) for purpose in ("revocation", "suspension")]


def untagged(token: str) -> str:
    raw = fmt.b64url_decode(token)
    assert raw[0] == 0xD2  # every issued token opens with tag 18
    assert cbor2.loads(raw[1:]) == list(cbor2.loads(raw).value)  # the same COSE_Sign1, only the tag gone
    return fmt.b64url(raw[1:])


# --- tag 18 and https --------------------------------------------------------------------------------------


def test_every_issued_token_is_a_tagged_cose_sign1(session: Session) -> None:
    for label in session.scalars(select(Label)):
        item = cbor2.loads(fmt.b64url_decode(label.token))
        assert isinstance(item, cbor2.CBORTag) and item.tag == 18


def test_a_genuine_token_without_its_tag_is_malformed(app: Flask, client: FlaskClient, session: Session) -> None:
    trust = trust_of(client, session)
    label = first_label(session)
    host = app.config["PUBLIC_HOST"]
    assert verify(label.qr_url(host), trust, None).verdict is Verdict.VALID
    bare = untagged(label.token)
    result = verify(f"https://{host}{label.path}#L1.{bare}", trust, None)
    assert result.verdict is Verdict.MALFORMED and result.claims is None
    assert verify(bare, trust, None).verdict is Verdict.MALFORMED
    document = client.post("/api/v1/verify", json={"url": f"https://{host}{label.path}#L1.{bare}"}).get_json()
    assert document["verdict"] == "malformed"


@pytest.mark.parametrize("scheme", ["http", "HTTP", "ftp"])
def test_a_label_url_that_is_not_https_is_malformed_and_says_so(
    app: Flask, client: FlaskClient, session: Session, scheme: str
) -> None:
    trust = trust_of(client, session)
    label = first_label(session)
    url = label.qr_url(app.config["PUBLIC_HOST"]).replace("https://", f"{scheme}://", 1)
    result = verify(url, trust, None)
    assert result.verdict is Verdict.MALFORMED
    assert "https://" in result.message("en") and f"{scheme.lower()}://" in result.message("en")
    assert "https://" in result.message("zh_CN") and result.message("zh_CN").startswith("无法识别")
    chinese = app.test_client()
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    document = chinese.post("/api/v1/verify", json={"url": url}).get_json()
    assert document["verdict"] == "malformed" and document["message"] == result.message("zh_CN")
    assert document["messages"]["en"] == result.message("en")


# --- the host ----------------------------------------------------------------------------------------------


@pytest.fixture
def named_host(app: Flask) -> str:
    """The registry under a real host name, with a former (Unicode) host still printed on old labels."""
    app.config["PUBLIC_HOST"] = "cfp.example.cn"
    app.config["PUBLIC_HOST_ALIASES"] = ["碳标识.example.cn"]
    return "cfp.example.cn"


@pytest.mark.parametrize(
    "netloc",
    [
        "evil.example",
        "evil.example@cfp.example.cn",  # shows evil.example to the reader
        "cfp.example.cn@evil.example",  # goes to evil.example
        "cfp.example.cn:x@cfp.example.cn",
        "cfp.example.cn.evil.example",
        "cfp.example.cn:8443",
        "cfp.example.cn:99999",
        "xn--cfp-example-cn",
        "strasse.example.cn",
        "碳标识.example.cn.evil.example",
    ],
)
def test_a_genuine_token_under_another_host_is_foreign_host(
    client: FlaskClient, session: Session, named_host: str, netloc: str
) -> None:
    trust = trust_of(client, session)
    label = first_label(session)
    url = f"https://{netloc}{label.path}#L1.{label.token}"
    result = verify(url, trust, None)
    assert result.verdict is Verdict.FOREIGN_HOST, result.detail
    assert result.registry_host == "cfp.example.cn" and result.scanned_host == netloc
    assert netloc in result.message("en") and "cfp.example.cn" in result.message("en")
    assert netloc in result.message("zh_CN") and result.message("zh_CN").startswith("网址不符")


@pytest.mark.parametrize(
    "netloc",
    [
        "cfp.example.cn",
        "CFP.Example.CN",
        "cfp.example.cn:443",
        "cfp.example.cn.",
        "ＣＦＰ.example.cn",
        "碳标识.example.cn",
        "xn--iwvz48aumo.example.cn",
        "XN--IWVZ48AUMO.EXAMPLE.CN",
    ],
)
def test_the_registry_s_hosts_in_any_spelling_are_valid(
    client: FlaskClient, session: Session, named_host: str, netloc: str
) -> None:
    trust = trust_of(client, session)
    assert trust.hosts == ("cfp.example.cn", "xn--iwvz48aumo.example.cn")
    label = first_label(session)
    result = verify(f"https://{netloc}{label.path}#L1.{label.token}", trust, None)
    assert result.verdict is Verdict.VALID, (netloc, result.verdict)


def test_the_api_names_the_registry_s_host_and_refuses_a_foreign_one(
    client: FlaskClient, session: Session, named_host: str
) -> None:
    label = first_label(session)
    genuine = client.post("/api/v1/verify", json={"url": label.qr_url("cfp.example.cn")}).get_json()
    assert (genuine["verdict"], genuine["registry_host"], genuine["scanned_host"]) == (
        "valid",
        "cfp.example.cn",
        "cfp.example.cn",
    )
    for netloc in ("evil.example@cfp.example.cn", "evil.example"):
        document = client.post("/api/v1/verify", json={"url": label.qr_url(netloc)}).get_json()
        assert document["verdict"] == "foreign_host", netloc
        assert (document["registry_host"], document["scanned_host"]) == ("cfp.example.cn", netloc)
        assert document["label"]["label_id"] == label.public_id  # the token itself is genuine, and says so
        assert "cfp.example.cn" in document["message"] and netloc in document["message"]
    # A bare token names no host: it is checked, and the answer still says which registry checked it.
    bare = client.post("/api/v1/verify", json={"url": label.token}).get_json()
    assert (bare["verdict"], bare["registry_host"], bare["scanned_host"]) == ("valid", "cfp.example.cn", None)


def test_the_trust_list_publishes_the_hosts(client: FlaskClient, named_host: str) -> None:
    payload = json.loads(fmt.b64url_decode(client.get("/.well-known/label-trust-list.json").get_json()["payload"]))
    assert payload["issuer"] == "https://cfp.example.cn"
    assert payload["hosts"] == ["cfp.example.cn", "碳标识.example.cn"]


@pytest.mark.parametrize(
    "aliases", [["https://old.example.cn"], ["old.example.cn/path"], ["user@old.example.cn"], "old.example.cn", [5]]
)
def test_an_unusable_host_alias_is_refused_at_startup(database_url: str, aliases: object) -> None:
    with pytest.raises(ConfigurationError, match="PUBLIC_HOST_ALIASES"):
        make_test_app(database_url, PUBLIC_HOST_ALIASES=aliases)


@pytest.mark.parametrize(
    "host", ["https://cfp.example.cn", "cfp.example.cn/l", "user@cfp.example.cn", "", "cfp.example.cn:99999"]
)
def test_an_unusable_public_host_is_refused_at_startup(database_url: str, host: str) -> None:
    # Refused before any QR code or trust list names it (the verify API had answered such a host with a 500).
    with pytest.raises(ConfigurationError, match="PUBLIC_HOST"):
        make_test_app(database_url, PUBLIC_HOST=host)


def test_the_cli_online_fetches_from_the_host_not_the_user_name(
    app: Flask, runner, session: Session, client: FlaskClient, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from registry.verifier import sources

    app.config["PUBLIC_HOST"] = "cfp.example.cn"
    label = first_label(session)
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return client.get(url.removeprefix("https://cfp.example.cn")).data

    monkeypatch.setattr(sources.fetch_online, "__defaults__", (fetch,))
    result = runner.invoke(args=["labels", "verify", label.qr_url("evil.example@cfp.example.cn")])
    assert result.exit_code == 1 and result.output.startswith("foreign_host:"), result.output
    assert fetched and all(url.startswith("https://cfp.example.cn/") for url in fetched)


# --- status lists: validFrom in seconds, ttl, stale_status ---------------------------------------------------


def test_status_lists_carry_seconds_and_the_newer_of_two_counts(client: FlaskClient, session: Session) -> None:
    trust = trust_of(client, session)
    label = first_label(session)
    earlier = utcnow().replace(second=10, microsecond=0) - timedelta(minutes=1)
    later = earlier + timedelta(seconds=7)  # the same minute
    old = lists_made_at(session, "h", label.status_list, earlier)
    label.status = LabelStatus.WITHDRAWN
    session.flush()
    new = lists_made_at(session, "h", label.status_list, later)
    stamps = [json.loads(fmt.b64url_decode(compact.split(".")[1]))["validFrom"] for compact in (old[0], new[0])]
    assert stamps == [iso_utc(earlier), iso_utc(later)]
    url = label.qr_url(client.application.config["PUBLIC_HOST"])
    for order in (old + new, new + old):
        lists = StatusLists.from_credentials(order, trust)
        assert lists.get("revocation", label.status_list).valid_from == later.timestamp()
        assert verify(url, trust, lists, now=later.timestamp() + 1).verdict is Verdict.REVOKED


def test_a_status_list_older_than_its_ttl_is_stale_status(app: Flask, client: FlaskClient, session: Session) -> None:
    trust = trust_of(client, session)
    label = first_label(session)
    url = label.qr_url(app.config["PUBLIC_HOST"])
    published = client.get(f"/status/revocation/{label.status_list}").get_data(as_text=True)
    assert StatusLists.from_credentials([published], trust).get("revocation", label.status_list).ttl == 60  # 60,000 ms
    # Both lists made in the same second (two requests could straddle one).
    lists = StatusLists.from_credentials(lists_made_at(session, "h", label.status_list, utcnow()), trust)
    made = lists.get("revocation", label.status_list).valid_from
    assert lists.get("suspension", label.status_list).valid_from == made
    assert verify(url, trust, lists, now=made + 60).verdict is Verdict.VALID
    stale = verify(url, trust, lists, now=made + 61)
    assert stale.verdict is Verdict.STALE_STATUS and sorted(stale.stale) == ["revocation", "suspension"]
    assert stale.message("en").startswith("Status out of date") and stale.message("zh_CN").startswith("状态信息过期")
    assert stale.as_json("en", made + 61)["status_lists"]["revocation"] == {
        "valid_from": iso_utc(datetime.fromtimestamp(made, UTC)),
        "age_seconds": 61,
        "stale": True,
    }
    # The verifier may allow older lists, or demand fresher ones.
    assert verify(url, trust, lists, now=made + 3600, max_status_age=7200).verdict is Verdict.VALID
    assert verify(url, trust, lists, now=made + 30, max_status_age=10).verdict is Verdict.STALE_STATUS
    # Without lists nothing is stale (and the result says nothing was checked).
    assert verify(url, trust, None, now=made + 3600).verdict is Verdict.VALID


def test_a_set_bit_in_an_old_list_still_says_revoked(app: Flask, client: FlaskClient, session: Session) -> None:
    trust = trust_of(client, session)
    label = first_label(session)
    label.status = LabelStatus.SUSPENDED
    session.flush()
    lists = StatusLists.from_credentials(lists_made_at(session, "h", label.status_list, utcnow()), trust)
    made = lists.get("suspension", label.status_list).valid_from
    assert verify(label.qr_url(app.config["PUBLIC_HOST"]), trust, lists, now=made + 3600).verdict is Verdict.SUSPENDED


def test_the_api_reads_current_status_so_it_is_never_stale(app: Flask, client: FlaskClient, session: Session) -> None:
    document = client.post(
        "/api/v1/verify", json={"url": first_label(session).qr_url(app.config["PUBLIC_HOST"])}
    ).get_json()
    assert document["verdict"] == "valid"
    assert all(entry["stale"] is False for entry in document["status_lists"].values())


def _offline_files(tmp_path: Path, client: FlaskClient, session: Session, made: datetime) -> list[str]:
    trust_file = tmp_path / "label-trust-list.json"
    trust_file.write_bytes(client.get("/.well-known/label-trust-list.json").data)
    root = tmp_path / "root.jwk"
    root.write_text(json.dumps(public_jwk(root_key(session))))
    label = first_label(session)
    args = ["--offline", "--trust-list", str(trust_file), "--root-key", str(root)]
    for purpose in ("revocation", "suspension"):
        path = tmp_path / f"{purpose}-{label.status_list}.jwt"
        path.write_text(signed_credential(session, purpose, label.status_list, "h", made))
        args.append(f"--status-list={path}")
    return args


def test_the_cli_offline_with_old_lists_exits_3_unless_max_age_allows_them(
    app: Flask, client: FlaskClient, session: Session, runner, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = first_label(session).qr_url(app.config["PUBLIC_HOST"])
    args = ["labels", "verify", url, *_offline_files(tmp_path, client, session, utcnow() - timedelta(minutes=10))]
    stale = runner.invoke(args=args)
    assert stale.exit_code == 3, stale.output
    assert stale.output.startswith("stale_status: Status out of date")
    assert "older than its ttl of 60 s" in stale.output and "--max-age" in stale.output
    chinese = runner.invoke(args=[*args, "--lang", "zh_CN", "--json"])
    assert chinese.exit_code == 3 and json.loads(chinese.output)["verdict"] == "stale_status"
    for allowed in ("1h", "20m", "3600", "1d"):
        result = runner.invoke(args=[*args, "--max-age", allowed])
        assert result.exit_code == 0 and result.output.startswith("valid:"), (allowed, result.output)
    assert runner.invoke(args=[*args, "--max-age", "5m"]).exit_code == 3
    bad = runner.invoke(args=[*args, "--max-age", "soon"])
    assert bad.exit_code == 2 and "is not a duration" in bad.output
    fresh = runner.invoke(args=["labels", "verify", url, *_offline_files(tmp_path, client, session, utcnow())])
    assert fresh.exit_code == 0, fresh.output
