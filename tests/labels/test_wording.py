"""A label status has one name per language wherever the registry shows it (registry/labels/wording.py), and the
verifier, which words its verdicts in plain strings of its own because it runs without Flask, has a verdict for
every status that names it the same way."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from registry.labels.models import LabelStatus
from registry.labels.wording import BANNER_TEXTS, BANNER_TITLES, bilingual_name
from registry.verifier import format as fmt
from registry.verifier.core import MESSAGES, Verdict, verify
from tests.verifier.test_tamper import host, labels, open_token, sources

NAMES = {
    LabelStatus.VALID: ("有效", "Valid"),
    LabelStatus.SUSPENDED: ("已暂停", "Suspended"),
    LabelStatus.WITHDRAWN: ("已撤销", "Withdrawn"),
    LabelStatus.CANCELLED: ("已注销", "Cancelled"),
    LabelStatus.EXPIRED: ("已过期", "Expired"),
    LabelStatus.SUPERSEDED: ("已被取代", "Superseded"),
}
# What the verifier says of a label in each status, from the status lists and the token's exp.
VERDICTS = {
    LabelStatus.VALID: Verdict.VALID,
    LabelStatus.SUSPENDED: Verdict.SUSPENDED,
    LabelStatus.WITHDRAWN: Verdict.REVOKED,
    LabelStatus.CANCELLED: Verdict.REVOKED,
    LabelStatus.EXPIRED: Verdict.EXPIRED,
    LabelStatus.SUPERSEDED: Verdict.VALID,  # still true of its own period, so on no status list
}


def test_every_status_has_one_name_in_each_language(app: Flask) -> None:
    assert set(NAMES) == set(LabelStatus)
    for language, index in (("zh-CN", 0), ("en", 1)):
        with app.test_request_context(headers={"Accept-Language": language}):
            for status, names in NAMES.items():
                assert status.label == names[index]
                assert bilingual_name(status) == names
                assert status.label == names[index]  # the reader's language is back


def test_the_badge_shows_the_status_in_both_languages(client: FlaskClient, session: Session) -> None:
    label = labels(session)[0]
    for status in LabelStatus:
        savepoint = session.begin_nested()  # each from valid: the lifecycle allows no way back from most
        label.status = status
        session.flush()
        text = " ".join(ET.fromstring(client.get(f"/badge/{label.public_id}.svg").data).itertext())
        assert " ".join(NAMES[status]) in text
        savepoint.rollback()


def test_every_status_but_valid_has_a_banner_on_the_label_page() -> None:
    assert set(BANNER_TITLES) == set(BANNER_TEXTS) == set(LabelStatus) - {LabelStatus.VALID}


@pytest.mark.parametrize("status", list(LabelStatus))
def test_the_verifier_has_a_verdict_for_every_status(
    app: Flask, client: FlaskClient, session: Session, status: LabelStatus
) -> None:
    label = labels(session)[0]
    label.status = status
    session.flush()
    trust, lists = sources(client, session)
    # An expired label's token says so from its exp on; the others are verified now.
    now = fmt.parse_claims(open_token(label.token)[2]).exp if status is LabelStatus.EXPIRED else None
    verdict = verify(label.qr_url(host(app)), trust, lists, now=now).verdict
    assert verdict is VERDICTS[status]
    assert set(MESSAGES[verdict]) == {"en", "zh_CN"}


def test_the_verifier_names_each_status_as_the_registry_does() -> None:
    for status, verdict in VERDICTS.items():
        chinese, english = NAMES[status]
        messages = MESSAGES[verdict]
        if verdict.value == status.value:  # the same word: the message begins with it
            assert messages["zh_CN"].startswith(chinese + "：") and messages["en"].startswith(english + ":")
        elif verdict is Verdict.REVOKED:  # "withdrawn or cancelled"
            assert chinese.removeprefix("已") in messages["zh_CN"] and english.lower() in messages["en"]
        else:
            assert status is LabelStatus.SUPERSEDED and verdict is Verdict.VALID
