"""Differences between the declarative rules of one record type in two editions.

A new rule can only refuse more records, so it is breaking; a dropped rule is
compatible. A rule moved into a lower profile (strict → standard) now runs in more
validations, so that is breaking; moved into a higher one (standard → strict) it is
compatible. Its provenance (quote, lines, the editors' reason) is wording. A changed ``required_if`` rule is compared by when it fires: its
conditions are alternatives, so firing in more cases tightens it and in fewer
loosens it. Any other changed rule is taken as breaking, since whether it
tightens cannot be told in general.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from codegen.diff.change import Change, Scope
from codegen.model.types import Condition, Field, Record, RequiredIf, Rule

# Rule attributes that only describe it; the profile is compared on its own; everything
# else decides what it checks.
_WORDING = ("id", "text", "clause", "provenance")
_PROFILE = "profile"


def rule_changes(old: Record, new: Record) -> Iterator[Change]:
    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    for rule_id, rule in old_rules.items():
        if rule_id not in new_rules:
            yield Scope(new.key, None, (rule_id,)).compatible(
                "rule-removed", f"rule {rule_id} dropped: {rule.describe()}"
            )
    for rule_id, rule in new_rules.items():
        at = Scope(new.key, None, (rule_id,))
        before = old_rules.get(rule_id)
        if before is None:
            yield at.breaking("rule-added", f"rule {rule_id} added: {rule.describe()}")
        else:
            yield from _changed(at, before, rule)


def _changed(at: Scope, old: Rule, new: Rule) -> Iterator[Change]:
    rule_id = new.id
    if old.profile != new.profile:
        yield _profile(at, old, new)
    if _meaning(old) != _meaning(new):
        if isinstance(old, RequiredIf) and isinstance(new, RequiredIf):
            yield _required_if(at, old, new)
        else:
            yield at.breaking(
                "rule-changed",
                f"rule {rule_id} now checks: {new.describe()} (was: {old.describe()})",
            )
    elif (old.text, old.clause, old.provenance) != (new.text, new.clause, new.provenance):
        yield at.compatible("rule-description-changed", f"rule {rule_id} reworded: {new.text}")


def _profile(at: Scope, old: Rule, new: Rule) -> Change:
    """A rule moved into a lower profile is checked by more validations (breaking); one
    moved into a higher profile, e.g. to strict, by fewer (compatible: whoever passed still
    passes in every profile, and strict checks the same as before)."""
    shown = f"rule {new.id} now checked from the {new.profile} profile up (was: {old.profile})"
    if new.level < old.level:
        return at.breaking("rule-profile-lowered", shown)
    return at.compatible("rule-profile-raised", shown)


def _required_if(at: Scope, old: RequiredIf, new: RequiredIf) -> Change:
    shown = f"rule {new.id}: {new.describe()} (was: {old.describe()})"
    if old.field.wire_name != new.field.wire_name:
        return at.breaking("rule-changed", shown)
    fires_more = all(any(_covers(n, o) for n in new.when) for o in old.when)
    fires_less = all(any(_covers(o, n) for o in old.when) for n in new.when)
    if fires_more and not fires_less:
        return at.breaking("rule-tightened", shown)
    if fires_less and not fires_more:
        return at.compatible("rule-loosened", shown)
    if fires_more and fires_less:
        return at.compatible("rule-description-changed", shown)  # same cases, other words
    return at.breaking("rule-changed", shown)


def _covers(wide: Condition, narrow: Condition) -> bool:
    """``wide`` holds whenever ``narrow`` does."""
    if wide.field.wire_name != narrow.field.wire_name:
        return False
    if wide.op == "present":
        return True  # any value that matches a code is present
    if narrow.op == "present":
        return False
    # A whole value equal to a code is also a list with that code as a part.
    same_shape = wide.op == narrow.op or (wide.op == "any_part_in" and narrow.op == "in")
    return same_shape and set(wide.values) >= set(narrow.values)


def _meaning(rule: Rule) -> dict[str, Any]:
    """What a rule checks, with fields by wire name (their wording is not the rule's)."""
    return {
        f.name: _plain(getattr(rule, f.name))
        for f in dataclasses.fields(rule)
        if f.name not in _WORDING and f.name != _PROFILE
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Field):
        return value.wire_name
    if isinstance(value, Condition):
        return (value.field.wire_name, value.op, frozenset(value.values))
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value
