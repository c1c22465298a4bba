"""Key revocation reaches the labels (registry.labels.reissue): a label signed by a revoked key shows it on its page,
JSON, badge and catalogue card, the verifier says key_revoked, the holders and the body are told once each, and the
body re-issues the labels (CLI or button) with new tokens and artwork and the same status-list entries."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.keys.models import KeyRole, KeyStatus, SigningKey
from registry.keys.services import revoke, rotate
from registry.labels.models import Label, LabelStatus
from registry.labels.reissue import reissue_labels
from registry.notifications.models import Notification
from tests.conftest import csrf_token, login_as, sign_in


def demo_key(session: Session) -> SigningKey:
    key = session.scalar(
        select(SigningKey).where(SigningKey.role == KeyRole.BODY, SigningKey.status == KeyStatus.ACTIVE)
    )
    assert key is not None and key.body is not None and key.body.body_code == "HTDEMO"
    return key


def signed_by(session: Session, key: SigningKey) -> list[Label]:
    return list(session.scalars(select(Label).where(Label.signing_key_id == key.id).order_by(Label.id)))


@pytest.fixture
def revoked(session: Session) -> SigningKey:
    """The demo body's key, revoked through the keys service (and committed, so requests see it)."""
    key = demo_key(session)
    assert signed_by(session, key)
    revoke(session, Actor.system(), key.kid, "private key exposed")
    session.commit()
    return key


def verdict(client, label: Label) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/verify", json={"url": label.qr_url(client.application.config["PUBLIC_HOST"])})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["verdict"]


def artwork_etag(client, label: Label) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/l/{label.public_id}/label-standard.svg")
    assert response.status_code == 200
    return response.headers["ETag"]


def test_a_revoked_key_shows_on_every_public_view_and_the_verifier(client, session, revoked):
    label = signed_by(session, revoked)[0]
    assert label.status is LabelStatus.VALID  # not a lifecycle status: the label's own status stays
    page = client.get(f"/l/{label.public_id}").get_data(as_text=True)
    assert "signature is no longer trusted" in page
    assert "status-signature_revoked" in page and 'status status-valid">Valid' not in page
    document = client.get(f"/l/{label.public_id}.json").get_json()
    assert document["status"] == "valid" and document["signature"] == "key_revoked"
    badge = client.get(f"/badge/{label.public_id}.svg").get_data(as_text=True)
    assert "Signature revoked" in badge and "#B42318" in badge and "有效 Valid" not in badge
    catalogue = client.get(f"/catalogue?q={label.certificate_number}").get_data(as_text=True)
    assert (
        label.certificate_number in catalogue
        and "status-signature_revoked" in catalogue
        and "Signature revoked" in catalogue
    )
    assert verdict(client, label) == "key_revoked"


def test_the_schema_accepts_both_signature_states(client, session, revoked):
    import jsonschema

    schema = client.get("/schemas/label-v1.json").get_json()
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for label in session.scalars(select(Label)):
        document = client.get(f"/l/{label.public_id}.json").get_json()
        assert not list(validator.iter_errors(document))
    assert list(validator.iter_errors({**document, "signature": "maybe"}))


def test_revoking_tells_each_holder_and_body_admin_once_with_the_count(session):
    key = demo_key(session)
    labels = signed_by(session, key)
    before = session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
    revoke(session, Actor.system(), key.kid, "private key exposed")
    session.flush()
    told = list(session.scalars(select(Notification).where(Notification.id > before)))
    holders = {label.holder_id for label in labels}
    people = {n.user_id: n for n in told}
    assert len(people) == len(told)  # one notification per person, not one per label
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(people)))}
    admins = [n for n in told if users[n.user_id].email == "body.admin@example.com"]
    assert len(admins) == 1 and admins[0].params == {"reference": key.kid, "count": len(labels)}
    applicants = [n for n in told if users[n.user_id].organisation_id in holders]
    assert applicants and all(n.event == "label:key_revoked" for n in applicants)
    assert sum(n.params["count"] for n in applicants if users[n.user_id].email.startswith("applicant")) == len(labels)
    assert session.scalar(select(AuditEvent).where(AuditEvent.tag == "label:key_revoked"))


def test_reissue_by_the_cli_renews_tokens_and_artwork_and_keeps_the_entry(client, runner, session, revoked):
    labels = signed_by(session, revoked)
    before = {
        label.id: (
            label.token,
            label.status_list,
            label.status_index,
            label.certificate_number,
            label.valid_until,
            artwork_etag(client, label),
        )
        for label in labels
    }
    refused = runner.invoke(args=["labels", "reissue", "--kid", revoked.kid])
    assert refused.exit_code == 1 and "no active signing key" in refused.output
    rotate(session, Actor.system(), revoked.body)
    session.commit()
    result = runner.invoke(args=["labels", "reissue", "--kid", revoked.kid, "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert f"re-issued 2 of {len(labels)}" in result.output and f"{len(labels)} label(s) re-issued." in result.output
    session.expire_all()
    for label in labels:
        token, status_list, status_index, number, valid_until, etag = before[label.id]
        assert label.signing_key.status is KeyStatus.ACTIVE and not label.signature_revoked
        assert label.token != token
        assert (label.status_list, label.status_index, label.certificate_number, label.valid_until) == (
            status_list,
            status_index,
            number,
            valid_until,
        )
        assert verdict(client, label) == "valid"
        assert artwork_etag(client, label) != etag
        assert client.get(f"/l/{label.public_id}.json").get_json()["signature"] == "trusted"
    events = session.scalars(select(AuditEvent).where(AuditEvent.tag == "label:reissue")).all()
    assert {e.subject_id for e in events} >= {str(label.id) for label in labels}
    again = runner.invoke(args=["labels", "reissue", "--kid", revoked.kid])
    assert again.exit_code == 0 and "0 label(s) re-issued." in again.output


def test_the_cli_refuses_an_unknown_or_unrevoked_kid(runner, session):
    unknown = runner.invoke(args=["labels", "reissue", "--kid", "AAAAAAAAAAA"])
    assert unknown.exit_code == 1 and "No certification body's key has the kid" in unknown.output
    active = runner.invoke(args=["labels", "reissue", "--kid", demo_key(session).kid])
    assert active.exit_code == 1 and "is not revoked" in active.output


def test_reissue_by_the_button_for_the_body_admin_only(app, session, revoked):
    rotate(session, Actor.system(), revoked.body)
    session.commit()
    labels = signed_by(session, revoked)

    other = app.test_client()
    sign_in(other, "body2.admin@example.com")
    token = csrf_token(other, "/labels/")
    assert f"/labels/reissue/{revoked.kid}" not in other.get("/labels/").get_data(as_text=True)
    assert other.post(f"/labels/reissue/{revoked.kid}", data={"csrf_token": token}).status_code == 404
    holder = app.test_client()
    sign_in(holder, "applicant@example.com")
    assert (
        holder.post(f"/labels/reissue/{revoked.kid}", data={"csrf_token": csrf_token(holder, "/labels/")}).status_code
        == 404
    )
    session.expire_all()
    assert all(label.signature_revoked for label in labels)

    admin = login_as(app.test_client(), "body_admin")
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    listing = admin.get("/labels/").get_data(as_text=True)
    assert f"{len(labels)} labels need re-issuing" in listing and f"/labels/reissue/{revoked.kid}" in listing
    assert admin.post(f"/labels/reissue/{revoked.kid}").status_code == 400  # no CSRF token: refused
    response = admin.post(
        f"/labels/reissue/{revoked.kid}", data={"csrf_token": csrf_token(admin, "/labels/")}, follow_redirects=True
    )
    assert response.status_code == 200
    assert f"{len(labels)} label(s) re-issued with the key" in response.get_data(as_text=True)
    assert "labels need re-issuing" not in response.get_data(as_text=True)
    session.expire_all()
    assert not any(label.signature_revoked for label in labels)


def test_reissue_in_batches_reports_what_remains(session, revoked):
    rotate(session, Actor.system(), revoked.body)
    total = len(signed_by(session, revoked))
    batch = reissue_labels(session, Actor.system(), revoked.kid, 1, host="registry.test")
    assert batch.count == 1 and batch.remaining == total - 1
