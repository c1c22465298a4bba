"""Labels: the list and record for the people entitled to them (holder, issuing body, regulators), and the
public, signed side of every label: its QR code, artwork, online status, the status lists and the verifier API."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.accounts.models import Role
from registry.database import db, utcnow
from registry.dates import iso_utc
from registry.edge import current_actor, published, published_json, unavailable_document
from registry.extensions import csrf, limiter
from registry.forms import submit
from registry.keys.models import SigningKey
from registry.keys.services import NoRootKey, public_jwk, published_root_key, trust_list_payload
from registry.labels import lifecycle, qr
from registry.labels.forms import LabelStatusForm, ReissueForm
from registry.labels.models import Label, LabelAction
from registry.labels.permissions import can_view_label
from registry.labels.services import list_labels
from registry.labels.status_lists import PURPOSES, STATUSES_SET, bitstring, list_numbers, signed_credential
from registry.labels.wording import SIGNATURE_REVOKED_TEXT, SIGNATURE_REVOKED_TITLE, state, state_name
from registry.permissions import Permission, has_permission, public, requires
from registry.verifier.core import StatusList, StatusLists, TrustList, verify
from registry.verifier.format import key_from_jwk
from registry.verifier.sources import status_entry

bp = Blueprint("labels", __name__)

# A regulator suspends and withdraws a label by order, with the legal basis and the decision document
# (registry.supervision), not with the generic form; it restores with the form.
BY_ORDER = frozenset({LabelAction.SUSPEND, LabelAction.WITHDRAW})

STATUS_MAX_AGE = 60  # anything that shows a status is cacheable for at most a minute
IMMUTABLE_MAX_AGE = 365 * 24 * 3600


@bp.app_context_processor
def _label_wording() -> dict[str, object]:
    """What every page that shows a label's state uses (registry/labels/wording.py): the state, its name, and the
    banner of a label whose signing key was revoked."""
    return {
        "label_state": state,
        "label_state_name": state_name,
        "signature_revoked_title": SIGNATURE_REVOKED_TITLE,
        "signature_revoked_text": SIGNATURE_REVOKED_TEXT,
    }


@bp.route("/labels/")
@requires(Permission.VIEW_LABELS)
def index() -> ResponseReturnValue:
    return render_template("labels/index.html", labels=list_labels(db.session, current_user), revoked=_revoked_keys())


def _revoked_keys() -> list[tuple[SigningKey, int]]:
    """For a body's administrator: the body's revoked keys that still sign live labels, with how many."""
    from registry.labels.reissue import awaiting_reissue

    if current_user.role is not Role.BODY_ADMIN or current_user.organisation_id is None:
        return []
    return awaiting_reissue(db.session, current_user.organisation_id)


@bp.route("/labels/reissue/<kid>", methods=["POST"])
@requires(Permission.CHANGE_LABEL_STATUS)
def reissue(kid: str) -> ResponseReturnValue:
    """The body's administrator re-issues the live labels a revoked key of the body signed: one batch per press
    (registry.labels.reissue), then the list says how many, and how many still wait."""
    from registry.labels.reissue import DEFAULT_BATCH_SIZE, reissue_labels

    key = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if (
        key is None
        or key.body_id is None
        or current_user.role is not Role.BODY_ADMIN
        or key.body_id != current_user.organisation_id
    ):
        abort(404)  # another body's key does not even show that it exists
    form = ReissueForm()
    outcome = submit(form, lambda: reissue_labels(db.session, current_actor(), kid, DEFAULT_BATCH_SIZE))
    if outcome.done and outcome.result is not None:
        batch = outcome.result
        flash(_("%(count)d label(s) re-issued with the key %(kid)s.", count=batch.count, kid=batch.key.kid), "success")
        if batch.remaining:
            flash(_("%(count)d label(s) still to re-issue: press the button again.", count=batch.remaining), "warning")
    else:
        for message in [*form.form_errors, *(error for errors in form.errors.values() for error in errors)]:
            flash(str(message), "error")
    return redirect(url_for("labels.index"))


@bp.route("/labels/<public_id>")
@requires(Permission.VIEW_LABELS)
def detail(public_id: str) -> ResponseReturnValue:
    return _render_detail(_own_label(public_id))


@bp.route("/labels/<public_id>/<any(suspend, restore, withdraw, cancel):action>", methods=["POST"])
@requires(Permission.CHANGE_LABEL_STATUS)
def change_status(public_id: str, action: str) -> ResponseReturnValue:
    """Suspend, restore, withdraw or cancel a label, as its holder, its body or a regulator may (the lifecycle's
    table decides); a refusal shows the label's page again with the form as it was sent and the reason."""
    label = _own_label(public_id)
    chosen = LabelAction(action)
    if chosen in BY_ORDER and has_permission(current_user, Permission.ISSUE_ORDERS):
        abort(403)  # a regulator suspends and withdraws by order (/supervision/labels/…/order)
    form = LabelStatusForm.for_action(chosen)
    outcome = submit(
        form,
        lambda: lifecycle.change_status(
            db.session,
            label,
            chosen,
            current_actor(),
            reason_code=form.reason_code.data,
            public_reason=form.public_reason.data,
            resolve_by=form.resolve_by.data if chosen is LabelAction.SUSPEND else None,
            evidence=form.evidence_hashes(),
        ),
    )
    if outcome.done:
        flash(
            _("The label is now “%(status)s”. Every reader sees this within a minute.", status=label.status.label),
            "success",
        )
        return redirect(url_for("labels.detail", public_id=label.public_id))
    return _render_detail(label, outcome.status, failed=chosen, form=form)


def _own_label(public_id: str) -> Label:
    """A label this person may see the record of (its holder, its body, regulators); anyone else gets a 404."""
    label = db.session.scalar(select(Label).where(Label.public_id == public_id))
    if label is None or not can_view_label(current_user, label):
        abort(404)
    return label


def _render_detail(
    label: Label, status: int = 200, *, failed: LabelAction | None = None, form: LabelStatusForm | None = None
) -> ResponseReturnValue:
    actions = lifecycle.available_actions(current_user, label)
    if has_permission(current_user, Permission.ISSUE_ORDERS):
        actions = [a for a in actions if a not in BY_ORDER]
    forms = {
        a: (form if a is failed and form is not None else LabelStatusForm.for_action(a, formdata=None)) for a in actions
    }
    return render_template(
        "labels/detail.html",
        label=label,
        qr_url=label.qr_url(current_app.config["PUBLIC_HOST"]),
        history=lifecycle.history(db.session, label),
        status_forms=forms,
        failed=failed,
    ), status


def _public_label(public_id: str) -> Label:
    """Any label, whatever its status, is public; an unknown id is a 404."""
    label = db.session.scalar(select(Label).where(Label.public_id == public_id))
    if label is None:
        abort(404)
    return label


def _immutable(
    label: Label,
    kind: str,
    content_type: str,
    render: Callable[[str], bytes],
    download: str | None = None,
    etag: str | None = None,
) -> Response:
    """QR images and artwork never change for a label: a strong ETag from what they encode, checked before
    anything is rendered, and an immutable cache header."""
    from registry.labels import artwork

    url = label.qr_url(current_app.config["PUBLIC_HOST"])
    etag = etag or hashlib.sha256(f"{kind}\n{url}\n{artwork.VERSION}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
    else:
        response = Response(render(url), content_type=content_type)
        response.set_etag(etag)
        if download:
            response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    return published(response, max_age=IMMUTABLE_MAX_AGE, immutable=True)


@bp.route("/l/<public_id>/qr.svg")
@public
def qr_svg(public_id: str) -> Response:
    return _immutable(_public_label(public_id), "qr.svg", "image/svg+xml", qr.render_svg)


@bp.route("/l/<public_id>/qr.png")
@public
def qr_png(public_id: str) -> Response:
    return _immutable(_public_label(public_id), "qr.png", "image/png", qr.render_png)


ARTWORK_TYPES = {"svg": "image/svg+xml", "pdf": "application/pdf", "png": "image/png"}


@bp.route("/l/<public_id>/label-<size>.<ext>")
@public
def label_artwork(public_id: str, size: str, ext: str) -> Response:
    from registry.labels import artwork
    from registry.labels.kept import fingerprint, kept_artwork

    if size not in artwork.SIZES or ext not in ARTWORK_TYPES:
        abort(404)
    label = _public_label(public_id)
    folder = Path(current_app.config["ARTWORK_DIR"])
    url = label.qr_url(current_app.config["PUBLIC_HOST"])
    return _immutable(
        label,
        f"label-{size}.{ext}",
        ARTWORK_TYPES[ext],
        lambda url: kept_artwork(folder, label, url, size, ext),
        download=f"{label.certificate_number}-{size}.{ext}",
        etag=fingerprint(label, url, size, ext),
    )


@bp.route("/l/<public_id>/status")
@public
def label_status(public_id: str) -> Response:
    """The online status of one label (for verifiers that do not keep the status lists)."""
    label = _public_label(public_id)
    document = {
        "label_id": label.public_id,
        "certificate_number": label.certificate_number,
        "status": label.status.value,
        "revoked": label.status in STATUSES_SET["revocation"],
        "suspended": label.status in STATUSES_SET["suspension"],
        "valid_from": label.valid_from.isoformat(),
        "valid_until": label.valid_until.isoformat(),
        "status_list": label.status_list,
        "status_index": label.status_index,
        "checked_at": iso_utc(utcnow()),
    }
    return published_json(document, max_age=STATUS_MAX_AGE)


@bp.route("/status/<purpose>/<int:number>")
@public
def status_list(purpose: str, number: int) -> Response:
    if purpose not in PURPOSES or number not in list_numbers(db.session):
        abort(404)
    try:
        document = signed_credential(db.session, purpose, number, current_app.config["PUBLIC_HOST"], utcnow())
    except (
        NoRootKey
    ) as error:  # a label's list is signed by the root key its issuance made; only a new registry has none
        return unavailable_document(error)
    return published_json(document, max_age=STATUS_MAX_AGE, content_type="application/vc+jwt")


@bp.route("/api/v1/verify", methods=["POST", "OPTIONS"])
@public
@csrf.exempt  # type: ignore[untyped-decorator]  # Flask-WTF ships no types
@limiter.limit("120 per minute", methods=["POST"])
def api_verify() -> tuple[Response, int] | Response:
    """Verify a scanned URL: ``{"url": "https://…#L1.…"}`` → ``{"verdict": …, "message": …, …}``. Open to any
    origin, so a platform's page can call it from the browser (the CORS preflight is answered here)."""
    if request.method == "OPTIONS":
        preflight = Response(status=204)
        preflight.headers.update(
            {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "86400",
            }
        )
        return preflight
    language = str(get_locale() or "zh_CN")
    payload = request.get_json(silent=True)
    scanned = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(scanned, str) or not scanned.strip() or len(scanned) > 4096:
        english = (
            'Send JSON {"url": "<the URL the QR code holds>"}, e.g. {"url": "https://host/01/06901234567892#L1.…"}.'
        )
        chinese = '请发送 JSON {"url": "<二维码中的网址>"}，例如 {"url": "https://host/01/06901234567892#L1.…"}。'
        message = english if language.startswith("en") else chinese
        response = Response(
            json.dumps(
                {"error": "bad_request", "message": message, "messages": {"en": english, "zh_CN": chinese}},
                ensure_ascii=False,
            ),
            status=400,
            content_type="application/json",
        )
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    host = current_app.config["PUBLIC_HOST"]
    now = utcnow()
    # The registry holds the trust list and the bits first-hand: the same data the published documents carry,
    # without signing them only to check the signature again. It only reads: nothing is committed.
    try:
        root = key_from_jwk(public_jwk(published_root_key(db.session)))
        trust = TrustList.from_payload(
            trust_list_payload(db.session, host, now, current_app.config["PUBLIC_HOST_ALIASES"]), root
        )
    except NoRootKey as error:
        return unavailable_document(error)
    entry = status_entry(scanned)
    statuses = StatusLists()
    if entry is not None and entry[0] in list_numbers(db.session):
        number, index = entry  # only the token's own bit is read: one row, not the list's 131,072
        for purpose in PURPOSES:
            bits = bitstring(db.session, purpose, number, only=index)
            statuses.lists[(purpose, number)] = StatusList(purpose, number, bits, now.timestamp())
    result = verify(scanned, trust, statuses, now=now.timestamp())
    document = result.as_json(language, now.timestamp())
    if result.claims is not None:
        label = db.session.scalar(select(Label).where(Label.public_id == result.claims.label_id))
        document["record_status"] = label.status.value if label is not None else None
    response = Response(json.dumps(document, ensure_ascii=False), content_type="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response
