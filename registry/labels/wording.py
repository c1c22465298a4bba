"""What the registry says about a label's status, for each audience, from one place.

- **The status's name** is ``LabelStatus.label``, from ``models.LABEL_STATUS_LABELS`` (translated): wherever a
  status is shown, in the catalogue and its filter, on the label page, the comparison, the widget and the lists of
  holders and bodies.
- **The badge** platforms embed shows the same name in both languages at once, whatever the reader's:
  ``bilingual_name``.
- **The label page's banner**, for a label that is not (or no longer) valid: ``BANNER_TITLES`` and
  ``BANNER_TEXTS``.
- **A revoked signature** (the key that signed the label was revoked, ``Label.signature_revoked``) is not a status,
  but readers must not see a green "Valid" beside it: ``state`` is what a label shows (its status, or
  ``signature_revoked`` in place of valid), ``state_name`` and ``bilingual_state`` its name, and
  ``SIGNATURE_REVOKED_TITLE``/``SIGNATURE_REVOKED_TEXT`` the banner of a live label that must be re-issued.

The verifier's verdicts (``registry.verifier.core.MESSAGES``) keep their own plain strings in both languages,
because the verifier runs without Flask and Babel; ``tests/labels/test_wording.py`` checks that it has a verdict
for every status and that the names agree.
"""

from __future__ import annotations

from babel import Locale
from flask_babel import LazyString, force_locale, lazy_gettext as _l

from registry.labels.models import LABEL_STATUS_LABELS, Label, LabelStatus

# Parsed once: Babel's parsing of a code looks it up among every locale it knows (see registry/i18n.py).
_CHINESE, _ENGLISH = Locale.parse("zh_CN"), Locale.parse("en")


def bilingual_name(status: LabelStatus) -> tuple[str, str]:
    """The status's name in Chinese and in English (``已暂停``, ``Suspended``). Needs an application context."""
    name = LABEL_STATUS_LABELS[status]
    with force_locale(_CHINESE):
        chinese = str(name)
    with force_locale(_ENGLISH):
        english = str(name)
    return chinese, english


BANNER_TITLES: dict[LabelStatus, LazyString] = {
    LabelStatus.SUSPENDED: _l("This label is suspended"),
    LabelStatus.WITHDRAWN: _l("This label has been withdrawn"),
    LabelStatus.CANCELLED: _l("This label has been cancelled"),
    LabelStatus.EXPIRED: _l("This label has expired"),
    LabelStatus.SUPERSEDED: _l("This label has been replaced"),
}
BANNER_TEXTS: dict[LabelStatus, LazyString] = {
    LabelStatus.SUSPENDED: _l(
        "The certification body has suspended it while a problem is resolved. Do not rely on the value shown until it is restored."
    ),
    LabelStatus.WITHDRAWN: _l("The certification body withdrew it. The value shown is no longer certified."),
    LabelStatus.CANCELLED: _l("The holder cancelled it. The value shown is no longer certified."),
    LabelStatus.EXPIRED: _l("Its validity has ended. The value shown is no longer certified."),
    LabelStatus.SUPERSEDED: _l(
        "A newer label replaced it after a change or renewal. The value shown was certified for its own period."
    ),
}

# Every status but valid has a banner: a status added without one fails here, at import, not on a label page.
_WITHOUT_BANNER = {status for status in LabelStatus if status is not LabelStatus.VALID} - (
    BANNER_TITLES.keys() & BANNER_TEXTS.keys()
)
if _WITHOUT_BANNER:
    raise TypeError(f"no banner for the label status {', '.join(sorted(_WITHOUT_BANNER))}")


# A valid label whose signing key was revoked shows this state (and its name) instead of "valid".
SIGNATURE_REVOKED = "signature_revoked"
SIGNATURE_REVOKED_NAME = _l("Signature revoked")
SIGNATURE_REVOKED_TITLE = _l("This label's signature is no longer trusted")
SIGNATURE_REVOKED_TEXT = _l(
    "The key the certification body signed it with has been revoked, so its QR code no longer verifies. The body "
    "must re-issue the label; until then, do not rely on the value shown."
)


def state(label: Label) -> str:
    """What the label shows: its status's value, or ``signature_revoked`` for a valid label whose key was revoked
    (a suspended or ended label keeps showing its own status, which already says not to rely on it)."""
    if label.status is LabelStatus.VALID and label.signature_revoked:
        return SIGNATURE_REVOKED
    return label.status.value


def state_name(label: Label) -> str:
    """The name of ``state(label)`` in the reader's language."""
    return str(SIGNATURE_REVOKED_NAME if state(label) == SIGNATURE_REVOKED else label.status.label)


def bilingual_state(label: Label) -> tuple[str, str]:
    """The name of ``state(label)`` in Chinese and in English, for the badge."""
    if state(label) != SIGNATURE_REVOKED:
        return bilingual_name(label.status)
    with force_locale(_CHINESE):
        chinese = str(SIGNATURE_REVOKED_NAME)
    with force_locale(_ENGLISH):
        english = str(SIGNATURE_REVOKED_NAME)
    return chinese, english
