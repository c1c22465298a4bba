"""Public statistics of the registry's labels: how many there are per product category (scheme) and per region,
how the valid ones spread over each scheme's grades, and the distribution of their footprints; the page
``/statistics`` and its CSV download ``/statistics.csv``.

Everything is counted with GROUP BY queries, so the cost grows with the number of schemes, grades and division
codes, not with the number of labels: the footprint histograms are binned in SQL (``services.counted_distribution``,
as the label page's category), and each median is read at its offset along the (status, scheme version, footprint)
index. "Valid" is ``LabelStatus.VALID``: a label in force today;
"all" counts every label ever issued, whatever its status.

Nothing here reads organisations' or products' names, people, activity data or documents: the only texts are
scheme titles, category and grade names (from the scheme files) and province names (GB/T 2260). The CSV still
neutralises every cell that a spreadsheet would read as a formula, in case that ever changes.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext

from markupsafe import Markup
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

# The chart writer's SVG helpers, so that the bar charts follow exactly the conventions of the other charts.
from registry.disclosure.charts import (
    BAR_MARKED,
    INK,
    WIDTH,
    Distribution,
    check_prefix,
    svg_element,
    svg_root,
    svg_text,
)
from registry.disclosure.services import counted_distribution
from registry.labels.models import Label, LabelStatus
from registry.numbers import plain
from registry.organisations.models import Organisation
from registry.organisations.uscc import PROVINCES
from registry.schemes.models import Scheme, SchemeVersion
from registry.svg import clean, text_width, truncate

# A region whose division code is missing or unknown (never for an enterprise, whose credit code is checked).
UNKNOWN_REGION = ("未知地区", "Unknown region")


# --- The bar chart ----------------------------------------------------------------------------------------------

# Layout, in viewBox units: each row is its name on one line and the bar below it, the count after the bar.
_B_FONT = 11.0
_B_NAME_Y = 11.0  # baseline of the name, from the row's top
_B_BAR_Y, _B_BAR_HEIGHT = 15.0, 12.0
_B_ROW = 36.0
_B_GAP = 4.0
_B_MIN_BAR = 1.5  # a count of one among thousands stays visible


def bar_chart_svg(rows: Iterable[tuple[str, int]], *, title: str, id_prefix: str, desc: str | None = None) -> Markup:
    """Horizontal bars (viewBox 320 wide, ``width="100%"``), one per ``(name, count)`` in the given order: the
    name above its bar, the count after it; bars scaled to the largest count. A zero count has no bar, only "0".
    No rows: ``Markup("")``. ``desc`` defaults to a language-neutral list "name: count; …"."""
    check_prefix(id_prefix)
    data: list[tuple[str, int]] = []
    for name, count in rows:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"a bar chart needs whole counts of at least 0, not {count!r}")
        data.append((clean(name), count))
    if not data:
        return Markup("")
    counts = [f"{count:,}" for _, count in data]
    largest = max(count for _, count in data)
    room = WIDTH - max(text_width(text, _B_FONT) for text in counts) - _B_GAP
    parts: list[str] = []
    for index, ((name, count), count_text) in enumerate(zip(data, counts, strict=True)):
        top = index * _B_ROW
        row = [
            svg_text(
                truncate(name, _B_FONT, WIDTH),
                0,
                top + _B_NAME_Y,
                size=_B_FONT,
                anchor="start",
                fill=INK,
                class_="chart-bar-name",
            )
        ]
        width = max(_B_MIN_BAR, room * count / largest) if count else 0.0
        if count:
            row.append(
                svg_element(
                    "rect",
                    x=0,
                    y=top + _B_BAR_Y,
                    width=width,
                    height=_B_BAR_HEIGHT,
                    fill=BAR_MARKED,
                    class_="chart-bar",
                )
            )
        row.append(
            svg_text(
                count_text,
                width + (_B_GAP if count else 0.0),
                top + _B_BAR_Y + _B_BAR_HEIGHT - 2,
                size=_B_FONT,
                anchor="start",
                fill=INK,
                class_="chart-bar-value",
            )
        )
        parts.append(f'<g class="chart-row">{"".join(row)}</g>')
    if desc is None:
        desc = "; ".join(f"{name}: {text}" for (name, _), text in zip(data, counts, strict=True)) + "."
    return svg_root(
        parts,
        height=len(data) * _B_ROW - (_B_ROW - _B_BAR_Y - _B_BAR_HEIGHT) + 2,
        title=clean(title),
        desc=clean(desc),
        id_prefix=id_prefix,
        kind="chart-bars",
    )


# --- The summary ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeCount:
    """One grade of a scheme, in the scheme's order; ``valid`` and ``total`` may be zero."""

    code: str
    name_zh: str
    name_en: str
    valid: int
    total: int


@dataclass(frozen=True)
class Footprints:
    """The footprints of a scheme's valid labels under one major version of the scheme (one declared unit and
    boundary, so comparable: the same grouping as the label page's category), in kg CO₂e per declared unit: their
    histogram, counted in SQL, and their median. Only built when there is at least one value."""

    major: int
    unit_zh: str  # the declared unit, e.g. "1 千瓦时电池额定能量"
    unit_en: str
    distribution: Distribution
    median: Decimal

    @property
    def count(self) -> int:
        return self.distribution.total

    @property
    def minimum(self) -> Decimal:
        return self.distribution.low

    @property
    def maximum(self) -> Decimal:
        return self.distribution.high


@dataclass(frozen=True)
class SchemeStats:
    """One certification scheme (a product category): titles and names from its latest version."""

    code: str
    title_zh: str
    title_en: str
    category_zh: str
    category_en: str
    valid: int
    total: int
    grades: tuple[GradeCount, ...]
    footprints: tuple[Footprints, ...]  # one per major version with valid labels, oldest first


@dataclass(frozen=True)
class RegionCount:
    """A province-level region, from the label holder's division code (GB/T 2260)."""

    code: str  # the province's six-digit code, e.g. "370000"; "" when unknown
    name_zh: str
    name_en: str
    valid: int
    total: int


@dataclass(frozen=True)
class Summary:
    total: int  # every label issued
    valid: int  # labels in force
    schemes: tuple[SchemeStats, ...]  # every scheme, most valid labels first
    regions: tuple[RegionCount, ...]  # regions with at least one label, most valid labels first

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def schemes_with_labels(self) -> tuple[SchemeStats, ...]:
        return tuple(scheme for scheme in self.schemes if scheme.total > 0)

    @property
    def schemes_with_valid_labels(self) -> tuple[SchemeStats, ...]:
        return tuple(scheme for scheme in self.schemes if scheme.valid > 0)


def _valid_count() -> ColumnElement[int]:
    return func.sum(case((Label.status == LabelStatus.VALID, 1), else_=0))


def _major(version: str) -> int:
    return int(version.split(".")[0])


def median(values: Sequence[Decimal]) -> Decimal:
    """The median of sorted ``values`` (the mean of the middle two for an even count), exact."""
    if not values:
        raise ValueError("no values")
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    with localcontext() as context:
        context.prec = 100
        return ((values[middle - 1] + values[middle]) / 2).normalize() + Decimal(0)


def summary(session: Session) -> Summary:
    # The schemes and their versions: a few dozen rows.
    versions = list(session.scalars(select(SchemeVersion).join(Scheme).order_by(Scheme.code, SchemeVersion.id)))
    by_scheme: dict[int, list[SchemeVersion]] = defaultdict(list)
    for version in versions:
        by_scheme[version.scheme_id].append(version)
    version_by_id = {version.id: version for version in versions}

    # Counts per scheme version and grade: one row per pair that has labels.
    valid_by_grade: dict[tuple[int, str], int] = defaultdict(int)
    total_by_grade: dict[tuple[int, str], int] = defaultdict(int)
    for version_id, grade_code, total, valid in session.execute(
        select(Label.scheme_version_id, Label.grade_code, func.count(), _valid_count()).group_by(
            Label.scheme_version_id, Label.grade_code
        )
    ):
        key = (version_by_id[version_id].scheme_id, grade_code)
        total_by_grade[key] += int(total)
        valid_by_grade[key] += int(valid or 0)

    schemes = [
        _scheme_stats(session, scheme_versions, valid_by_grade, total_by_grade)
        for scheme_versions in by_scheme.values()
    ]
    schemes.sort(key=lambda s: (-s.valid, -s.total, s.code))
    return Summary(
        total=sum(total_by_grade.values()),
        valid=sum(valid_by_grade.values()),
        schemes=tuple(schemes),
        regions=_regions(session),
    )


def _median(session: Session, in_scope: tuple[ColumnElement[bool], ...], count: int) -> Decimal:
    """The median of the ``count`` footprints ``in_scope``, read at its offset in footprint order (exact: whole
    millionths)."""
    middle = session.scalars(
        select(Label.footprint).where(*in_scope).order_by(Label.footprint).offset((count - 1) // 2).limit(2 - count % 2)
    ).all()
    return median(middle)


def _footprints(session: Session, versions: list[SchemeVersion], major: int) -> Footprints | None:
    in_scope = (Label.status == LabelStatus.VALID, Label.scheme_version_id.in_([v.id for v in versions]))
    distribution = counted_distribution(session, in_scope)
    if distribution is None:
        return None
    unit = versions[-1].spec.declared_unit
    return Footprints(
        major=major,
        unit_zh=unit.description_zh or versions[-1].declared_unit,
        unit_en=unit.description_en or versions[-1].declared_unit,
        distribution=distribution,
        median=_median(session, in_scope, distribution.total),
    )


def _scheme_stats(
    session: Session,
    versions: list[SchemeVersion],
    valid_by_grade: dict[tuple[int, str], int],
    total_by_grade: dict[tuple[int, str], int],
) -> SchemeStats:
    ordered = sorted(versions, key=lambda v: v.version_key)
    latest = ordered[-1]
    scheme_id = latest.scheme_id

    # The latest version's grades in its order, then grades only older versions define, then any grade code a
    # label holds that no version defines (named by its code).
    names: dict[str, tuple[str, str]] = {}
    for version in reversed(ordered):
        for grade in version.spec.grades:
            names.setdefault(grade.code, (grade.name_zh or grade.code, grade.name_en or grade.code))
    codes = list(names)
    codes += sorted(code for (sid, code) in total_by_grade if sid == scheme_id and code not in names)
    grades = tuple(
        GradeCount(
            code=code,
            name_zh=names.get(code, (code, code))[0],
            name_en=names.get(code, (code, code))[1],
            valid=valid_by_grade.get((scheme_id, code), 0),
            total=total_by_grade.get((scheme_id, code), 0),
        )
        for code in codes
    )

    footprints = [
        found
        for major in sorted({_major(v.version) for v in ordered})
        if (found := _footprints(session, [v for v in ordered if _major(v.version) == major], major)) is not None
    ]

    category = latest.spec.category
    return SchemeStats(
        code=latest.code,
        title_zh=latest.title_zh,
        title_en=latest.title_en,
        category_zh=category.name_zh or latest.title_zh,
        category_en=category.name_en or latest.title_en,
        valid=sum(g.valid for g in grades),
        total=sum(g.total for g in grades),
        grades=grades,
        footprints=tuple(footprints),
    )


def _regions(session: Session) -> tuple[RegionCount, ...]:
    """Counts per province of the holder: counted per holder over an index, then grouped by the holders' full
    division codes in SQL (a few thousand codes at most, and no expression in the GROUP BY that PostgreSQL could
    find ambiguous), then by province here."""
    valid: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    per_holder = (
        select(Label.holder_id, func.count().label("total"), _valid_count().label("valid"))
        .group_by(Label.holder_id)  # over the (holder, status) index alone
        .subquery()
    )
    for division_code, count, valid_count in session.execute(
        select(Organisation.division_code, func.sum(per_holder.c.total), func.sum(per_holder.c.valid))
        .join(per_holder, per_holder.c.holder_id == Organisation.id)
        .group_by(Organisation.division_code)
    ):
        province = division_code[:2] if division_code and division_code[:2] in PROVINCES else ""
        total[province] += int(count)
        valid[province] += int(valid_count or 0)
    regions = [
        RegionCount(
            code=f"{province}0000" if province else "",
            name_zh=(PROVINCES[province] if province else UNKNOWN_REGION)[0],
            name_en=(PROVINCES[province] if province else UNKNOWN_REGION)[1],
            valid=valid[province],
            total=total[province],
        )
        for province in total
    ]
    regions.sort(key=lambda r: (-r.valid, -r.total, r.code or "999999"))
    return tuple(regions)


# --- The CSV ------------------------------------------------------------------------------------------------------

# One table, RFC 4180 (CRLF line ends, quotes where needed), UTF-8 with a byte-order mark so that Excel reads the
# Chinese names correctly. One header row, then:
#
#   total,all,全部标识,All labels,<valid>,<all>,,,,,
#   category,<scheme code>,<scheme title zh>,<scheme title en>,<valid>,<all>,,,,,
#   region,<province code, e.g. 370000>,<province zh>,<province en>,<valid>,<all>,,,,,
#   grade,<scheme code>/<grade code>,<grade name zh>,<grade name en>,<valid>,<all>,,,,,       (every grade, zeros too)
#   footprint,<scheme code>/v<major>,<scheme title zh>,<scheme title en>,<valid>,,<min>,<median>,<max>,<unit zh>,<unit en>
#
# Footprint rows describe the valid labels of one major version of a scheme (one declared unit): min, median and
# max in kg CO2e per declared unit, plain decimals with a dot; their all_labels cell is empty. Every text cell
# that a spreadsheet would take for a formula (starting with = + - @, a tab or a carriage return, or their
# full-width forms) is prefixed with a single quote.

CSV_HEADER = (
    "dimension",
    "key",
    "name_zh",
    "name_en",
    "valid_labels",
    "all_labels",
    "min_kg_co2e",
    "median_kg_co2e",
    "max_kg_co2e",
    "declared_unit_zh",
    "declared_unit_en",
)
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_cell(value: object) -> str:
    """A CSV cell that no spreadsheet runs: text starting like a formula gets a leading single quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_rows(data: Summary) -> list[tuple[object, ...]]:
    """The CSV's rows after the header, as values (see the layout above)."""
    empty = ("",) * 5
    rows: list[tuple[object, ...]] = [("total", "all", "全部标识", "All labels", data.valid, data.total, *empty)]
    by_code = sorted(data.schemes, key=lambda s: s.code)
    rows += [("category", s.code, s.title_zh, s.title_en, s.valid, s.total, *empty) for s in by_code]
    rows += [
        ("region", r.code, r.name_zh, r.name_en, r.valid, r.total, *empty)
        for r in sorted(data.regions, key=lambda r: r.code or "999999")
    ]
    rows += [
        ("grade", f"{s.code}/{g.code}", g.name_zh, g.name_en, g.valid, g.total, *empty)
        for s in by_code
        for g in s.grades
    ]
    rows += [
        (
            "footprint",
            f"{s.code}/v{f.major}",
            s.title_zh,
            s.title_en,
            f.count,
            "",
            plain(f.minimum),
            plain(f.median),
            plain(f.maximum),
            f.unit_zh,
            f.unit_en,
        )
        for s in by_code
        for f in s.footprints
    ]
    return rows


def csv_text(session: Session) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in csv_rows(summary(session)):
        writer.writerow([csv_cell(value) for value in row])
    return BOM + buffer.getvalue()


# --- a certification body's record (its public page) -----------------------------------------------------------


@dataclass(frozen=True)
class BodyRecord:
    """What a certification body's public page says of its work, all aggregate: labels issued; suspensions and
    withdrawals from the labels' history, by the body itself or by a regulator's order; applications refused
    (refused, or the refusal confirmed on appeal) and appeals upheld (granted on appeal), from the workflow's
    status changes; failed spot checks; and the median days from submission to the first decision. Every figure
    covers the body's whole record, from ``since`` (its first submitted application or label) to ``until``."""

    labels_issued: int
    suspended_by_body: int
    suspended_by_regulator: int
    withdrawn_by_body: int
    withdrawn_by_regulator: int
    refusals: int
    appeals_upheld: int
    spot_check_failures: int
    decisions: int
    median_days_to_decision: Decimal | None
    since: date | None
    until: date

    @property
    def suspensions(self) -> int:
        return self.suspended_by_body + self.suspended_by_regulator

    @property
    def withdrawals(self) -> int:
        return self.withdrawn_by_body + self.withdrawn_by_regulator


def body_record(session: Session, body: Organisation, now: datetime | None = None) -> BodyRecord:
    from registry.applications.models import Application, ApplicationStatus, Capacity, Decision, TransitionRecord
    from registry.applications.workflow import Action
    from registry.inspections.services import failed_checks
    from registry.labels.lifecycle import china_today
    from registry.labels.models import LabelAction, LabelCapacity, LabelTransition

    labels_issued = session.scalar(select(func.count()).select_from(Label).where(Label.body_id == body.id)) or 0
    moves = {
        (action, capacity): count
        for action, capacity, count in session.execute(
            select(LabelTransition.action, LabelTransition.capacity, func.count())
            .join(Label, Label.id == LabelTransition.label_id)
            .where(
                Label.body_id == body.id,
                LabelTransition.action.in_([LabelAction.SUSPEND.value, LabelAction.WITHDRAW.value]),
            )
            .group_by(LabelTransition.action, LabelTransition.capacity)
        )
    }
    own = session.scalars(select(Application.id).where(Application.body_id == body.id)).all()
    refusals = (
        session.scalar(
            select(func.count())
            .select_from(Application)
            .where(
                Application.body_id == body.id,
                Application.status.in_([ApplicationStatus.REFUSED, ApplicationStatus.REFUSED_FINAL]),
            )
        )
        or 0
    )
    appeals_upheld = (
        session.scalar(
            select(func.count())
            .select_from(TransitionRecord)
            .where(TransitionRecord.application_id.in_(own), TransitionRecord.action == Action.GRANT_ON_APPEAL.value)
        )
        or 0
    )
    # The first decision on each file (not the appeal's), from its submission.
    pairs = session.execute(
        select(Application.submitted_at, Decision.decided_at)
        .join(Decision, Decision.application_id == Application.id)
        .where(Application.body_id == body.id, Decision.capacity == Capacity.DECIDER)
    ).all()
    days = sorted(
        (Decimal((decided - submitted).total_seconds()) / Decimal(86400)).quantize(Decimal("0.1"))
        for submitted, decided in pairs
        if submitted is not None and decided is not None
    )
    firsts = [
        moment
        for moment in (
            session.scalar(select(func.min(Application.submitted_at)).where(Application.body_id == body.id)),
            session.scalar(select(func.min(Label.issued_at)).where(Label.body_id == body.id)),
        )
        if moment is not None
    ]
    return BodyRecord(
        labels_issued=labels_issued,
        suspended_by_body=moves.get((LabelAction.SUSPEND.value, LabelCapacity.BODY), 0),
        suspended_by_regulator=moves.get((LabelAction.SUSPEND.value, LabelCapacity.REGULATOR), 0),
        withdrawn_by_body=moves.get((LabelAction.WITHDRAW.value, LabelCapacity.BODY), 0),
        withdrawn_by_regulator=moves.get((LabelAction.WITHDRAW.value, LabelCapacity.REGULATOR), 0),
        refusals=refusals,
        appeals_upheld=appeals_upheld,
        spot_check_failures=failed_checks(session, body.id),
        decisions=len(days),
        median_days_to_decision=median(days).quantize(Decimal("0.1")) if days else None,
        since=china_today(min(firsts)) if firsts else None,
        until=china_today(now),
    )
