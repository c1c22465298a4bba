"""What the registry says about a label's status, for each audience, from one place.

- **The status's name** is ``LabelStatus.label``, from ``models.LABEL_STATUS_LABELS`` (translated): wherever a
  status is shown, in the catalogue and its filter, on the label page, the comparison, the widget and the lists of
  holders and bodies.
- **The badge** platforms embed shows the same name in both languages at once, whatever the reader's:
  ``bilingual_name``.
- **The label page's banner**, for a label that is not (or no longer) valid: ``BANNER_TITLES`` and
  ``BANNER_TEXTS``.

The verifier's verdicts (``registry.verifier.core.MESSAGES``) keep their own plain strings in both languages,
because the verifier runs without Flask and Babel; ``tests/labels/test_wording.py`` checks that it has a verdict
for every status and that the names agree.
"""

from __future__ import annotations

from babel import Locale
from flask_babel import LazyString, force_locale, lazy_gettext as _l

from registry.labels.models import LABEL_STATUS_LABELS, LabelStatus

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
