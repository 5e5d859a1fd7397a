"""Renders a ``SpecDiff`` as a Markdown changelog entry, breaking changes first."""

from __future__ import annotations

import re

from codegen.diff.change import Change
from codegen.diff.compare import SpecDiff

ACK_FIELD = "transcription.acknowledged_breaking"

# Areas of changes outside any record type, by the first part of the subject.
_AREAS = {
    "codeset": "Code sets 代码集",
    "format": "Formats 格式",
    "datetime": "Formats 格式",
    "gateway": "Gateway 网关",
    "problem": "Problem codes 问题代码",
    "semantics": "Conventions 取值约定",
    "erratum": "Errata 勘误",
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*<>\[\]])")


def render_changelog(diff: SpecDiff) -> str:
    old, new = diff.old, diff.new
    lines = [
        f"# {new.standard.id} spec {old.version} → {new.version}",
        "",
        f"Compared spec sha256 `{old.spec_hash[:12]}` ({old.version}) with "
        f"`{new.spec_hash[:12]}` ({new.version}).",
        "",
    ]
    if not diff.changes:
        return "\n".join(lines + ["No changes.", ""])
    acknowledged = len(diff.breaking) - len(diff.unacknowledged)
    lines += [
        f"**{len(diff.breaking)} breaking ({acknowledged} acknowledged), "
        f"{len(diff.compatible)} compatible.**",
        "",
    ]
    lines += _notes(diff)
    # A removed record type is named by the old spec.
    labels = {**old.record_labels, **new.record_labels}
    for title, changes in (
        ("Breaking changes", diff.breaking),
        ("Compatible changes", diff.compatible),
    ):
        if changes:
            lines += [f"## {title}", ""]
            lines += _grouped(changes, labels, diff.acknowledged)
    return "\n".join(lines)


def _notes(diff: SpecDiff) -> list[str]:
    notes = []
    if diff.unacknowledged:
        ids = ", ".join(f"`{c.id}`" for c in diff.unacknowledged)
        notes.append(
            f"> **Not acknowledged:** {ids}. If they are intended, list these ids in "
            f"`{ACK_FIELD}` (spec/standard.yaml) and bump `transcription.edition`."
        )
    if diff.old.version == diff.new.version:
        notes.append(
            f"> **Edition unchanged** ({diff.new.version}): bump `transcription.edition` so "
            "generated artefacts tell the editions apart."
        )
    if diff.stale_acknowledgements:
        ids = ", ".join(f"`{i}`" for i in diff.stale_acknowledgements)
        notes.append(f"> **Acknowledged but not found:** {ids}.")
    out: list[str] = []
    for note in notes:
        out += [note, ""]
    return out


def _grouped(
    changes: tuple[Change, ...], labels: dict[str, str], acknowledged: frozenset[str]
) -> list[str]:
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(_area(change, labels), []).append(change)
    lines: list[str] = []
    for area, members in groups.items():
        lines += [f"### {area}", ""]
        for change in members:
            mark = " *(acknowledged)*" if change.breaking and change.id in acknowledged else ""
            lines.append(f"- `{change.id}` — {_md(change.message)}{mark}")
        lines.append("")
    return lines


def _area(change: Change, labels: dict[str, str]) -> str:
    if change.record is not None:
        label = labels.get(change.record)
        return f"{change.record} {label}" if label else change.record
    return _AREAS.get(change.subject[0] if change.subject else "", "Other")


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
