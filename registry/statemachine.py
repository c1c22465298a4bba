"""State machines as tables: the one shape the application workflow and the label lifecycle share.

A machine is a table of transitions (an action, the statuses it may start from, the status it ends in, the
capacities in which someone may take it and whether it needs reasons) plus the database table and column it
moves. From that one table come what the services check (``Machine.rule``), what pages offer, and the database's
own guard (``guard_ddl``): a trigger that refuses any status change the table does not allow and any row that
does not start in the machine's first status, so neither a bug nor a hand-written UPDATE can move a row where
the table forbids. A migration that changes a table installs the guard afresh from the machine
(``replace_guard``), so the database holds the table that is in the code, not a copy pinned in an old migration;
``tests/test_statemachine.py`` tries every pair against each engine's trigger.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

S = TypeVar("S", bound=enum.StrEnum)  # a status
A = TypeVar("A", bound=enum.StrEnum)  # an action
C = TypeVar("C", bound=enum.StrEnum)  # a capacity: in which quality someone takes the action


@dataclass(frozen=True)
class Rule(Generic[S, A, C]):
    """One row of a machine's table."""

    action: A
    sources: frozenset[S]
    target: S
    who: frozenset[C]
    needs_reason: bool = False
    requires: Callable[..., list[Any]] | None = None
    notify: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Machine(Generic[S, A, C]):
    """A table of rules over one status column. ``name`` names the database objects of its guard."""

    name: str
    table: str
    column: str
    initial: S
    rules: tuple[Rule[S, A, C], ...]
    refusal: str  # the database's message when a change is refused
    start_refusal: str  # … and when a row is inserted in another status than ``initial``

    def __post_init__(self) -> None:
        actions = [rule.action for rule in self.rules]
        if len(actions) != len(set(actions)):
            raise ValueError(f"{self.name}: an action appears twice in the table")
        for rule in self.rules:
            if rule.target in rule.sources:
                raise ValueError(f"{self.name}: {rule.action} would leave the status unchanged")

    def __iter__(self) -> Iterator[Rule[S, A, C]]:
        return iter(self.rules)

    def rule(self, action: A) -> Rule[S, A, C]:
        return next(rule for rule in self.rules if rule.action == action)

    @property
    def allowed_pairs(self) -> frozenset[tuple[S, S]]:
        """Every (from, to) the table allows: what the database guard holds."""
        return frozenset((source, rule.target) for rule in self.rules for source in rule.sources)

    @property
    def final(self) -> frozenset[S]:
        """Statuses with no way out."""
        statuses = (
            {self.initial} | {rule.target for rule in self.rules} | {s for rule in self.rules for s in rule.sources}
        )
        return frozenset(s for s in statuses if not any(s in rule.sources for rule in self.rules))

    def actions_from(self, status: S, capacities: Iterable[C]) -> list[A]:
        """The actions someone holding ``capacities`` could take from ``status`` (requirements aside)."""
        held = set(capacities)
        return [rule.action for rule in self.rules if status in rule.sources and rule.who & held]


def _pairs_sql(machine: Machine[Any, Any, Any]) -> str:
    return ", ".join(f"'{source}>{target}'" for source, target in sorted(machine.allowed_pairs))


def guard_ddl(machine: Machine[Any, Any, Any], dialect: str) -> tuple[list[str], list[str]]:
    """The statements that create the machine's database guard on ``dialect``, and those that drop it."""
    table, column, name, message = machine.table, machine.column, machine.name, machine.refusal
    pairs = _pairs_sql(machine)
    changed = f"NEW.{column} <> OLD.{column} AND (OLD.{column} || '>' || NEW.{column}) NOT IN ({pairs})"
    if dialect == "sqlite":
        create = [
            (
                f"CREATE TRIGGER {name}_guard_transition BEFORE UPDATE OF {column} ON {table} WHEN {changed} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            ),
            (
                f"CREATE TRIGGER {name}_guard_start BEFORE INSERT ON {table} WHEN NEW.{column} <> '{machine.initial}' "
                f"BEGIN SELECT RAISE(ABORT, '{machine.start_refusal}'); END"
            ),
        ]
        drop = [f"DROP TRIGGER IF EXISTS {name}_guard_transition", f"DROP TRIGGER IF EXISTS {name}_guard_start"]
    else:
        create = [
            (
                f"CREATE FUNCTION {name}_guard_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF TG_OP = 'INSERT' THEN "
                f"  IF NEW.{column} <> '{machine.initial}' THEN RAISE EXCEPTION '{machine.start_refusal}'; END IF; "
                f"ELSIF {changed} THEN RAISE EXCEPTION '{message}'; "
                "END IF; RETURN NEW; END $$"
            ),
            (
                f"CREATE TRIGGER {name}_guard_status BEFORE INSERT OR UPDATE OF {column} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}_guard_status()"
            ),
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {name}_guard_status ON {table}",
            f"DROP FUNCTION IF EXISTS {name}_guard_status()",
        ]
    return create, drop


def replace_guard(op: Any, machine: Machine[Any, Any, Any]) -> None:
    """In a migration: install the machine's guard as the table in the code has it, replacing an earlier one."""
    create, drop = guard_ddl(machine, op.get_bind().dialect.name)
    for statement in drop + create:
        op.execute(statement)


def drop_guard(op: Any, machine: Machine[Any, Any, Any]) -> None:
    for statement in guard_ddl(machine, op.get_bind().dialect.name)[1]:
        op.execute(statement)
