"""``codegen diff``: what changed between two editions of the spec, and whether it breaks.

Compares the built models (not the YAML text), so layout and ordering edits are
no change at all, and classifies every difference as breaking or compatible in the
manner of ``buf breaking``: see ``codegen.diff.change``. Field and rule comparisons
live in their own modules; this one walks records, endpoints, code sets, formats
and the gateway settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from codegen.diff.change import Change, Scope, changed
from codegen.diff.fields import field_changes
from codegen.diff.rules import rule_changes
from codegen.model.builder import build_model
from codegen.model.types import PROFILES, CodeSet, Erratum, Model, Record
from codegen.spec.documents import SpecDocs
from codegen.spec.loader import LoadedSpec
from codegen.targets.python.view import enum_class, enum_member, record_class


@dataclass(frozen=True)
class SpecDiff:
    old: Model
    new: Model
    changes: tuple[Change, ...]
    # Ids of breaking changes the new spec says it makes on purpose.
    acknowledged: frozenset[str]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    @property
    def compatible(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.breaking)

    @property
    def unacknowledged(self) -> tuple[Change, ...]:
        return tuple(c for c in self.breaking if c.id not in self.acknowledged)

    @property
    def stale_acknowledgements(self) -> tuple[str, ...]:
        """Acknowledged ids that match no breaking change (a typo, or a change undone)."""
        ids = {c.id for c in self.breaking}
        return tuple(sorted(self.acknowledged - ids))


def acknowledged_breaking(docs: SpecDocs) -> frozenset[str]:
    """The change ids the spec lists in ``transcription.acknowledged_breaking``."""
    return frozenset(docs.standard.transcription.acknowledged_breaking)


def diff_specs(old: LoadedSpec, new: LoadedSpec) -> SpecDiff:
    old_model, new_model = build_model(old), build_model(new)
    return SpecDiff(
        old=old_model,
        new=new_model,
        changes=tuple(model_changes(old_model, new_model)),
        acknowledged=acknowledged_breaking(new.docs),
    )


def model_changes(old: Model, new: Model) -> Iterator[Change]:
    yield from _records(old, new)
    yield from _codesets(old, new)
    yield from _formats(old, new)
    yield from _gateway(old, new)
    yield from _problem_codes(old, new)
    yield from _semantics(old, new)
    yield from _errata(old, new)


def _records(old: Model, new: Model) -> Iterator[Change]:
    old_records = {r.key: r for r in old.records}
    new_records = {r.key: r for r in new.records}
    for key, record in old_records.items():
        if key not in new_records:
            yield Scope(key).breaking(
                "record-removed", f"record type {key}（{record.label}）and its endpoints removed"
            )
    for key, record in new_records.items():
        before = old_records.get(key)
        if before is None:
            yield Scope(key).compatible(
                "record-added", f"record type {key}（{record.label}）added, at {_paths(record)}"
            )
            continue
        yield from _endpoints(before, record)
        yield from field_changes(before, record)
        yield from rule_changes(before, record)
        yield from _record_names(before, record)


def _endpoints(old: Record, new: Record) -> Iterator[Change]:
    old_paths = {e.path: e for e in old.endpoints}
    new_paths = {e.path: e for e in new.endpoints}
    for path, endpoint in old_paths.items():
        at = Scope(new.key, None, (path.rsplit("/", 1)[-1],))
        after = new_paths.get(path)
        if after is None:
            yield at.breaking("endpoint-removed", f"endpoint POST {path} removed")
        elif after.batch != endpoint.batch:
            yield at.breaking("endpoint-changed", f"endpoint {path} now takes {_body(after.batch)}")
    for path in (p for p in new_paths if p not in old_paths):
        yield Scope(new.key, None, (path.rsplit("/", 1)[-1],)).compatible(
            "endpoint-added", f"endpoint POST {path} added"
        )


def _body(batch: bool) -> str:
    return "an array of records" if batch else "one record"


def _paths(record: Record) -> str:
    return ", ".join(e.path for e in record.endpoints)


def _record_names(old: Record, new: Record) -> Iterator[Change]:
    at = Scope(new.key)
    if record_class(old) != record_class(new):
        yield at.breaking(
            "python-name-changed",
            f"record class {changed(record_class(old), record_class(new))}",
        )
    for attr in ("label", "interface", "clause", "table"):
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            yield at.compatible(
                "description-changed", f"{new.key} {attr}: {changed(before, after)}"
            )


def _codesets(old: Model, new: Model) -> Iterator[Change]:
    old_sets = {cs.id: cs for cs in old.codesets}
    new_sets = {cs.id: cs for cs in new.codesets}
    for cs_id, cs in old_sets.items():
        if cs_id not in new_sets:
            yield Scope(None, None, ("codeset", cs_id)).breaking(
                "codeset-removed", f"code set {_cs(cs)} removed"
            )
    for cs_id, cs in new_sets.items():
        before = old_sets.get(cs_id)
        if before is None:
            yield Scope(None, None, ("codeset", cs_id)).compatible(
                "codeset-added", f"code set {_cs(cs)} added"
            )
        else:
            yield from _codes(before, cs)


def _codes(old: CodeSet, new: CodeSet) -> Iterator[Change]:
    at = Scope(None, None, ("codeset", new.id))
    if enum_class(old) != enum_class(new):
        yield at.breaking(
            "python-name-changed",
            f"code set {_cs(new)} enum {changed(enum_class(old), enum_class(new))}",
        )
    old_codes = {c.code: c for c in old.codes}
    new_codes = {c.code: c for c in new.codes}
    for code, c in old_codes.items():
        after = new_codes.get(code)
        if after is None:
            yield at.breaking(
                "code-removed", f"code {code}（{c.label}）removed from {_cs(new)}", code
            )
        elif enum_member(after) != enum_member(c):
            yield at.breaking(
                "python-name-changed",
                f"{_cs(new)} code {code} member {changed(enum_member(c), enum_member(after))}",
                code,
            )
        elif after.label != c.label:
            yield at.compatible(
                "label-changed",
                f"{_cs(new)} code {code} label {changed(c.label, after.label)}",
                code,
            )
    for code, c in new_codes.items():
        if code not in old_codes:
            yield at.compatible("code-added", f"code {code}（{c.label}）added to {_cs(new)}", code)


def _cs(cs: CodeSet) -> str:
    return f"{cs.id}（{cs.clause} {cs.name}）"


def _formats(old: Model, new: Model) -> Iterator[Change]:
    # Whether a changed regular expression admits less cannot be decided here, so
    # any change to a pattern in use is breaking; fields gaining or dropping a
    # format are reported with the field.
    old_formats = {f.id: f for f in old.formats}
    for fmt in new.formats:
        before = old_formats.get(fmt.id)
        if before is not None and before.pattern != fmt.pattern:
            yield Scope(None, None, ("format", fmt.id)).breaking(
                "pattern-changed",
                f"format {fmt.id}（{fmt.label}）pattern changed: {fmt.description}",
            )
    if old.datetime.pattern != new.datetime.pattern or old.datetime.format != new.datetime.format:
        yield Scope(None, None, ("datetime",)).breaking(
            "pattern-changed",
            f"datetime format {changed(old.datetime.format, new.datetime.format)}",
        )


def _gateway(old: Model, new: Model) -> Iterator[Change]:
    a, b = old.gateway, new.gateway
    for attr in ("paasid", "method", "content_type", "path_prefix"):
        if getattr(a, attr) != getattr(b, attr):
            yield Scope(None, None, ("gateway", attr)).breaking(
                "gateway-changed", f"gateway {attr} {changed(getattr(a, attr), getattr(b, attr))}"
            )
    recipe = ("algorithm", "concatenation", "encoding")
    if any(getattr(a.signature, n) != getattr(b.signature, n) for n in recipe):
        yield Scope(None, None, ("gateway", "signature")).breaking(
            "gateway-changed", f"signature recipe changed: {b.signature.description}"
        )
    for attr in ("batch_max_records", "body_max_bytes", "reply_max_bytes"):
        before, after = getattr(a, attr), getattr(b, attr)
        at = Scope(None, None, ("gateway", attr))
        if after < before:
            yield at.breaking("limit-lowered", f"gateway {attr} {changed(before, after)}")
        elif after > before:
            yield at.compatible("limit-raised", f"gateway {attr} {changed(before, after)}")
    yield from _headers(old, new)
    old_roots = {e.id: e.api_root for e in a.environments}
    for env in b.environments:
        before = old_roots.get(env.id)
        if before is not None and before != env.api_root:
            yield Scope(None, None, ("gateway", env.id)).breaking(
                "api-root-changed", f"{env.label} API root {changed(before, env.api_root)}"
            )
    new_ids = {e.id for e in b.environments}
    for env_id in (e for e in old_roots if e not in new_ids):
        yield Scope(None, None, ("gateway", env_id)).breaking(
            "environment-removed", f"environment {env_id} removed"
        )


def _headers(old: Model, new: Model) -> Iterator[Change]:
    before = {h.name: h.required for h in old.gateway.headers}
    for h in new.gateway.headers:
        at = Scope(None, None, ("gateway", h.name))
        if h.required and not before.get(h.name, False):
            yield at.breaking("header-required", f"request header {h.name} is now required")
        elif not h.required and before.get(h.name, False):
            yield at.compatible("header-optional", f"request header {h.name} is now optional")
    names = {h.name for h in new.gateway.headers}
    for name in (n for n in before if n not in names):
        yield Scope(None, None, ("gateway", name)).compatible(
            "header-dropped", f"request header {name} no longer required"
        )


def _problem_codes(old: Model, new: Model) -> Iterator[Change]:
    """A problem reported in a lower profile, or made an error, can fail records that
    passed (breaking); one moved to a higher profile, or made a warning, cannot."""
    before = {p.code: p for p in old.problem_codes}
    for p in new.problem_codes:
        was = before.get(p.code)
        if was is None:
            continue
        at = Scope(None, None, ("problem", p.code))
        if p.profile != was.profile:
            shown = f"problem {p.code}（{p.label}）profile {changed(was.profile, p.profile)}"
            if PROFILES.index(p.profile) < PROFILES.index(was.profile):
                yield at.breaking("problem-profile-lowered", shown)
            else:
                yield at.compatible("problem-profile-raised", shown)
        if p.severity != was.severity:
            shown = f"problem {p.code}（{p.label}）severity {changed(was.severity, p.severity)}"
            if p.severity == "error":
                yield at.breaking("problem-made-error", shown)
            else:
                yield at.compatible("problem-made-warning", shown)


def _semantics(old: Model, new: Model) -> Iterator[Change]:
    """The value conventions are explained here and implemented by the generator, so a
    change to their text is reported (for the changelog) as a description change."""
    before = {s.id: s for s in old.semantics}
    after = {s.id: s for s in new.semantics}
    for s_id, s in after.items():
        at = Scope(None, None, ("semantics", s_id))
        if s_id not in before:
            yield at.compatible(
                "semantics-added", f"convention {s_id}（{s.label}）stated: {s.text}"
            )
        elif before[s_id].text != s.text or before[s_id].label != s.label:
            yield at.compatible("semantics-changed", f"convention {s_id}（{s.label}）now: {s.text}")
    for s_id, s in before.items():
        if s_id not in after:
            yield Scope(None, None, ("semantics", s_id)).compatible(
                "semantics-removed", f"convention {s_id}（{s.label}）no longer stated"
            )


def _erratum_text(e: Erratum) -> tuple[object, ...]:
    return (e.title, e.resolution, e.places, e.reversed_in, e.previously, e.reversal_reason)


def _errata(old: Model, new: Model) -> Iterator[Change]:
    # Errata only explain; the aliases they bring are compared with the fields.
    old_errata = {e.id: e for e in old.errata}
    new_errata = {e.id: e for e in new.errata}
    for e_id, e in new_errata.items():
        at = Scope(None, None, ("erratum", e_id))
        before = old_errata.get(e_id)
        if before is None:
            yield at.compatible("erratum-added", f"erratum {e_id} added: {e.title}")
        elif _erratum_text(before) != _erratum_text(e):
            yield at.compatible("erratum-changed", f"erratum {e_id} revised: {e.title}")
    for e_id, e in old_errata.items():
        if e_id not in new_errata:
            yield Scope(None, None, ("erratum", e_id)).compatible(
                "erratum-removed", f"erratum {e_id} withdrawn: {e.title}"
            )
