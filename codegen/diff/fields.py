"""Differences between the fields of one record type in two editions of the spec."""

from __future__ import annotations

from collections.abc import Iterator

from codegen.diff.change import Change, Scope, changed
from codegen.model.types import Field, Record
from codegen.targets.python.view import attribute


def field_changes(old: Record, new: Record) -> Iterator[Change]:
    old_fields = {f.wire_name: f for f in old.fields}
    new_fields = {f.wire_name: f for f in new.fields}
    removed = [f for name, f in old_fields.items() if name not in new_fields]
    added = [f for name, f in new_fields.items() if name not in old_fields]
    renames = _renames(removed, added)
    for before, after in renames:
        yield Scope(new.key, before.wire_name).breaking(
            "field-renamed",
            f"{_name(before)} renamed to {after.wire_name}: senders must use the new wire name",
        )
    renamed_old = {b.wire_name for b, _ in renames}
    renamed_new = {a.wire_name for _, a in renames}
    for f in removed:
        if f.wire_name not in renamed_old:
            yield Scope(new.key, f.wire_name).breaking("field-removed", f"{_name(f)} removed")
    for f in added:
        if f.wire_name in renamed_new:
            continue
        at = Scope(new.key, f.wire_name)
        if f.required:
            yield at.breaking(
                "required-field-added", f"required field {_name(f)} added: old records lack it"
            )
        else:
            yield at.compatible("optional-field-added", f"optional field {_name(f)} added")
    for name, kept in old_fields.items():
        if name in new_fields:
            yield from _one_field(Scope(new.key, name), kept, new_fields[name])


def _renames(removed: list[Field], added: list[Field]) -> list[tuple[Field, Field]]:
    """A removed and an added field with the same Chinese label are one field renamed."""
    pairs: list[tuple[Field, Field]] = []
    taken: set[str] = set()
    for before in removed:
        for after in added:
            same = after.label == before.label or before.label in after.former_labels
            if after.wire_name not in taken and same:
                pairs.append((before, after))
                taken.add(after.wire_name)
                break
    return pairs


def _one_field(at: Scope, old: Field, new: Field) -> Iterator[Change]:
    name = _name(new)
    if old.required != new.required:
        if new.required:
            yield at.breaking("made-required", f"{name} is now required")
        else:
            yield at.compatible("made-optional", f"{name} is now optional")
    yield from _type(at, name, old, new)
    yield from _bounds(at, name, old, new)
    yield from _constraint(at, name, "codeset", _codeset_id(old), _codeset_id(new))
    yield from _constraint(at, name, "format", _format_id(old), _format_id(new))
    # A domain check (strict profile) behaves like a format: adding one tightens.
    yield from _constraint(at, name, "domain", old.domain, new.domain)
    if old.separator != new.separator:
        # A list field has a tuple type in Python and a list pattern in the schemas.
        yield at.breaking(
            "separator-changed", f"{name} separator {changed(old.separator, new.separator)}"
        )
    yield from _aliases(at, name, old, new)
    if attribute(old) != attribute(new):
        yield at.breaking(
            "python-name-changed",
            f"{name} Python attribute {changed(attribute(old), attribute(new))}",
        )
    if old.personal != new.personal:
        # Only what reports mask changes; every value is still accepted.
        now = "now" if new.personal else "no longer"
        yield at.compatible(
            "marked-personal" if new.personal else "unmarked-personal",
            f"{name} is {now} personal data (masked in validate reports)",
        )
    for attr in ("label", "description", "note"):
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            yield at.compatible(f"{attr}-changed", f"{name} {attr}: {changed(before, after)}")


def _type(at: Scope, name: str, old: Field, new: Field) -> Iterator[Change]:
    shown = f"{name} {changed(old.printed_type, new.printed_type)}"
    if old.wire_type.kind != new.wire_type.kind:
        yield at.breaking(
            "type-changed", f"{name} type {changed(old.printed_type, new.printed_type)}"
        )
    elif new.wire_type.size < old.wire_type.size:
        yield at.breaking("length-shortened", f"{shown}: longer values are now refused")
    elif new.wire_type.size > old.wire_type.size:
        yield at.compatible("length-widened", shown)


def _bounds(at: Scope, name: str, old: Field, new: Field) -> Iterator[Change]:
    narrowed = _raised(old.minimum, new.minimum) or _lowered(old.maximum, new.maximum)
    widened = _lowered(old.minimum, new.minimum) or _raised(old.maximum, new.maximum)
    shown = f"{name} range {changed(_range(old), _range(new))}"
    if narrowed:
        yield at.breaking("range-narrowed", shown)
    elif widened:
        yield at.compatible("range-widened", shown)


def _raised(old: int | None, new: int | None) -> bool:
    """The bound moved up; a missing bound is no bound (the type's own range)."""
    return new is not None and (old is None or new > old)


def _lowered(old: int | None, new: int | None) -> bool:
    return new is not None and (old is None or new < old)


def _range(f: Field) -> str | None:
    if f.minimum is None and f.maximum is None:
        return None
    return f"{'' if f.minimum is None else f.minimum}–{'' if f.maximum is None else f.maximum}"


def _constraint(
    at: Scope, name: str, what: str, old: str | None, new: str | None
) -> Iterator[Change]:
    """A code set, format or domain check: adding or switching one tightens; dropping loosens."""
    if old == new:
        return
    shown = f"{name} {what} {changed(old, new)}"
    if old is None:
        yield at.breaking(f"{what}-added", shown)
    elif new is None:
        yield at.compatible(f"{what}-dropped", shown)
    else:
        yield at.breaking(f"{what}-changed", shown)


def _aliases(at: Scope, name: str, old: Field, new: Field) -> Iterator[Change]:
    before = {a.name for a in old.aliases}
    after = {a.name for a in new.aliases}
    for alias in sorted(before - after):
        yield at.breaking(
            "alias-removed", f"{name} no longer accepts the input name {alias}", alias
        )
    for alias in sorted(after - before):
        yield at.compatible("alias-added", f"{name} also accepts the input name {alias}", alias)
    # Former labels are accepted as headers of filled Excel templates.
    for label in sorted(set(old.former_labels) - set(new.former_labels)):
        yield at.breaking(
            "label-alias-removed", f"{name} no longer accepts the template header {label}", label
        )
    for label in sorted(set(new.former_labels) - set(old.former_labels)):
        yield at.compatible(
            "label-alias-added", f"{name} also accepts the template header {label}", label
        )


def _codeset_id(f: Field) -> str | None:
    return f.codeset.id if f.codeset else None


def _format_id(f: Field) -> str | None:
    return f.format.id if f.format else None


def _name(f: Field) -> str:
    return f"{f.wire_name}（{f.label}）"
