"""公示: the public notices of every suspension, restoration, withdrawal and cancellation, newest first, as a
page and as an Atom feed a platform or a journalist can subscribe to."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from registry.database import db
from registry.dates import iso_utc
from registry.disclosure.cache import PAGE_MAX_AGE, cached_page
from registry.disclosure.services import public_notices
from registry.disclosure.views.common import bp, page_response
from registry.edge import published
from registry.i18n import current_language
from registry.permissions import public

PAGE_SIZE = 50


def _before(name: str = "before") -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.route("/notices")
@public
@cached_page
def notices() -> Response:
    before, before_list = _before(), _before("before_list")
    items = public_notices(db.session, before=before, before_list=before_list, limit=PAGE_SIZE + 1)
    more = len(items) > PAGE_SIZE
    items = items[:PAGE_SIZE]
    older = None
    if more:
        # The next page goes on below the oldest of each kind shown here (or where this page began).
        steps = [n.step.id for n in items if n.step is not None]
        entries = [n.entry.id for n in items if n.entry is not None]
        older = {
            "before": min(steps) if steps else before,
            "before_list": min(entries) if entries else before_list,
        }
    return page_response(render_template("disclosure/notices.html", notices=items, older=older))


@bp.route("/notices.atom")
@public
@cached_page
def notices_feed() -> Response:
    """The newest notices as Atom (RFC 4287): one entry per change, linking to the label's public page."""
    items = public_notices(db.session, limit=PAGE_SIZE)
    language = current_language()
    title = _("Carbon footprint label notices")
    origin = f"https://{current_app.config['PUBLIC_HOST']}"
    home = origin + url_for("disclosure.notices")
    entries = []
    for notice in items:
        if notice.entry is not None:
            event = notice.entry
            link = origin + url_for("supervision.dishonest") + f"#entry-{event.listing_id}"
            name = event.organisation.display_name(language)
            summary = event.reason + (f" ({event.decision_number})" if event.decision_number else "")
            entries.append(
                "<entry>"
                f"<id>{escape(home)}#list-{event.id}</id>"
                f"<title>{escape(name)} · {escape(event.action.label)}</title>"
                f'<link href="{escape(link)}"/>'
                f"<updated>{iso_utc(event.at)}</updated>"
                f"<summary>{escape(summary)}</summary>"
                "</entry>"
            )
            continue
        step = notice.step
        assert step is not None
        label = step.label
        link = origin + url_for("disclosure.label_page", public_id=label.public_id)
        summary = f"{step.reason_code.label}" + (f": {step.public_reason}" if step.public_reason else "")
        if notice.order is not None:
            summary += " · " + _(
                "By order of the market regulator, decision %(number)s", number=notice.order.decision_number
            )
        entries.append(
            "<entry>"
            f"<id>{escape(home)}#{step.id}</id>"
            f"<title>{escape(label.certificate_number)} · {escape(step.action_label)} · {escape(label.product.display_name(language))}</title>"
            f'<link href="{escape(link)}"/>'
            f"<updated>{iso_utc(step.at)}</updated>"
            f"<summary>{escape(summary)}</summary>"
            "</entry>"
        )
    updated = iso_utc(items[0].at) if items else "1970-01-01T00:00:00Z"
    feed = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{"en" if language == "en" else "zh-CN"}">'
        f"<id>{escape(home)}</id><title>{escape(title)}</title>"
        f'<link rel="self" href="{escape(origin + url_for("disclosure.notices_feed"))}"/>'
        f'<link href="{escape(home)}"/><updated>{updated}</updated>'
        f"<author><name>{escape(_('Carbon Footprint Label Registry'))}</name></author>" + "".join(entries) + "</feed>"
    )
    return published(Response(feed, content_type="application/atom+xml; charset=utf-8"), max_age=PAGE_MAX_AGE)
