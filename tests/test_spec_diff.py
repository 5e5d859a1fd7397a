"""codegen diff: each kind of spec change is classified, and breaking ones fail unless acknowledged."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import diff as cli_diff
from codegen.cli.main import main
from codegen.diff.changelog import render_changelog
from codegen.diff.compare import SpecDiff, acknowledged_breaking, diff_specs
from codegen.model.builder import (
    DEFAULT_REPLY_MAX_BYTES,
    DEFAULT_REPLY_MAX_BYTES_REASON,
    build_model,
)
from codegen.spec.errors import SpecError
from codegen.spec.loader import LoadedSpec, load_spec
from conftest import SPEC_DIR
from needs import need
from spec_edits import Doc, edit, field, item

ACCEPT = "records/accept.yaml"


def _remove_address(r: Doc) -> None:
    r["fields"].remove(field(r, "Address"))


def _rename_address(r: Doc) -> None:
    field(r, "Address")["name"] = "PostalAddress"


def _add_field(required: bool) -> Callable[[Doc], None]:
    def change(r: Doc) -> None:
        r["fields"].append(
            {
                "name": "ExtraNote",
                "label": "附加说明",
                "description": "附加说明：测试用字段",
                "required": required,
                "type": "String(50)",
            }
        )

    return change


def _set(name: str, **values: object) -> Callable[[Doc], None]:
    def change(r: Doc) -> None:
        field(r, name).update(values)

    return change


def _rule(rule_id: str, **values: object) -> Callable[[Doc], None]:
    def change(r: Doc) -> None:
        item(r["rules"], "id", rule_id).update(values)

    return change


def _refusal_values(*values: str) -> Callable[[Doc], None]:
    def change(r: Doc) -> None:
        item(r["rules"], "id", "refusal-reason-required")["when"][0]["values"] = list(values)

    return change


def _drop_rule(r: Doc) -> None:
    r["rules"].remove(item(r["rules"], "id", "refusal-reason-required"))


def _add_rule(r: Doc) -> None:
    r["rules"].append(
        {
            "id": "address-if-contact",
            "kind": "required_if",
            "text": "填写联系人时须填写通讯地址（测试用规则）",
            "clause": "表 3 Address",
            "field": "Address",
            "when": [{"field": "ContactName", "op": "present"}],
        }
    )


def _swap_not_before(r: Doc) -> None:
    rule = item(r["rules"], "id", "accept-not-before-apply")
    rule["fields"] = list(reversed(rule["fields"]))


def _codes(change: Callable[[list[Doc]], object]) -> Callable[[Doc], None]:
    def edit_service_object(doc: Doc) -> None:
        change(item(doc["codesets"], "id", "service_object")["codes"])

    return edit_service_object


def _alias(change: Callable[[list[Doc]], object]) -> Callable[[Doc], None]:
    def edit_aliases(doc: Doc) -> None:
        change(item(doc["errata"], "id", "accept-applier-spelling")["aliases"])

    return edit_aliases


def _without_alias(aliases: list[Doc]) -> None:
    aliases.remove(item(aliases, "alias", "ApplierName"))


def _with_alias(aliases: list[Doc]) -> None:
    aliases.append({"record": "accept", "field": "Address", "alias": "ApplierAddress"})


def _gateway(change: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def edit_gateway(doc: Doc) -> None:
        change(doc["gateway"])

    return edit_gateway


def _only_save(gateway: Doc) -> None:
    gateway["operations"] = [op for op in gateway["operations"] if not op["batch"]]


def _batch_limit(limit: int) -> Callable[[Doc], None]:
    def change(gateway: Doc) -> None:
        gateway["batch_max_records"] = limit

    return change


def _reply_limit(limit: int) -> Callable[[Doc], None]:
    def change(gateway: Doc) -> None:
        gateway["reply_max_bytes"] = limit

    return change


def _currency_pattern(doc: Doc) -> None:
    item(doc["formats"], "id", "currency_code")["pattern"] = "[A-Z]{3}|[0-9]{3}"


# (file, edit, the change id expected, its severity)
CASES: list[tuple[str, Callable[[Doc], None], str, str]] = [
    (ACCEPT, _remove_address, "accept.Address.field-removed", "breaking"),
    (ACCEPT, _rename_address, "accept.Address.field-renamed", "breaking"),
    (ACCEPT, _add_field(True), "accept.ExtraNote.required-field-added", "breaking"),
    (ACCEPT, _add_field(False), "accept.ExtraNote.optional-field-added", "compatible"),
    (ACCEPT, _set("Address", required=True), "accept.Address.made-required", "breaking"),
    (ACCEPT, _set("TaskName", required=False), "accept.TaskName.made-optional", "compatible"),
    (ACCEPT, _set("Address", type="String(500)"), "accept.Address.length-shortened", "breaking"),
    (ACCEPT, _set("Address", type="String(2000)"), "accept.Address.length-widened", "compatible"),
    (ACCEPT, _set("TaskVersion", type="Long(10)"), "accept.TaskVersion.type-changed", "breaking"),
    (ACCEPT, _set("TaskVersion", minimum=1), "accept.TaskVersion.range-narrowed", "breaking"),
    (ACCEPT, _set("Address", format="uuid"), "accept.Address.format-added", "breaking"),
    (
        ACCEPT,
        _set("ApplyType", codeset="service_object"),
        "accept.ApplyType.codeset-changed",
        "breaking",
    ),
    (
        ACCEPT,
        _set("Address", description="通讯地址：邮寄地址"),
        "accept.Address.description-changed",
        "compatible",
    ),
    (
        ACCEPT,
        _set("Address", python_name="postal_address"),
        "accept.Address.python-name-changed",
        "breaking",
    ),
    (
        ACCEPT,
        _refusal_values("2", "3", "4"),
        "accept.refusal-reason-required.rule-tightened",
        "breaking",
    ),
    (ACCEPT, _refusal_values("2"), "accept.refusal-reason-required.rule-loosened", "compatible"),
    (ACCEPT, _add_rule, "accept.address-if-contact.rule-added", "breaking"),
    (ACCEPT, _drop_rule, "accept.refusal-reason-required.rule-removed", "compatible"),
    (
        ACCEPT,
        _rule("refusal-reason-required", profile="strict"),
        "accept.refusal-reason-required.rule-profile-raised",
        "compatible",
    ),
    (
        ACCEPT,
        _rule("accept-not-before-apply", profile="standard"),
        "accept.accept-not-before-apply.rule-profile-lowered",
        "breaking",
    ),
    (
        ACCEPT,
        _rule("accept-not-before-apply", profile="gateway"),
        "accept.accept-not-before-apply.rule-profile-lowered",
        "breaking",
    ),
    (
        ACCEPT,
        _rule("accept-not-before-apply", reason="另一个理由", lines=[270]),
        "accept.accept-not-before-apply.rule-description-changed",
        "compatible",
    ),
    (ACCEPT, _swap_not_before, "accept.accept-not-before-apply.rule-changed", "breaking"),
    (ACCEPT, _set("ZipCode", domain=None), "accept.ZipCode.domain-dropped", "compatible"),
    (
        ACCEPT,
        _set("ZipCode", former_labels=["邮政编码"]),
        "accept.ZipCode.邮政编码.label-alias-added",
        "compatible",
    ),
    (
        ACCEPT,
        _set("SystemName", former_labels=[]),
        "accept.SystemName.业务系统名称.label-alias-removed",
        "breaking",
    ),
    (ACCEPT, _set("Address", domain="json"), "accept.Address.domain-added", "breaking"),
    # Whether the validate report masks a field's values: no value is refused either way.
    (ACCEPT, _set("Address", personal=False), "accept.Address.unmarked-personal", "compatible"),
    (ACCEPT, _set("TaskName", personal=True), "accept.TaskName.marked-personal", "compatible"),
    (
        "codesets.yaml",
        _codes(lambda codes: codes.pop()),
        "codeset.service_object.9.code-removed",
        "breaking",
    ),
    (
        "codesets.yaml",
        _codes(
            lambda codes: codes.append(
                {"code": "8", "label": "个体工商户", "python_name": "INDIVIDUAL_BUSINESS"}
            )
        ),
        "codeset.service_object.8.code-added",
        "compatible",
    ),
    (
        "errata.yaml",
        _alias(_without_alias),
        "accept.ApplyerName.ApplierName.alias-removed",
        "breaking",
    ),
    ("errata.yaml", _alias(_with_alias), "accept.Address.ApplierAddress.alias-added", "compatible"),
    ("standard.yaml", _gateway(_only_save), "accept.batchSave.endpoint-removed", "breaking"),
    (
        "standard.yaml",
        _gateway(_batch_limit(50)),
        "gateway.batch_max_records.limit-lowered",
        "breaking",
    ),
    ("standard.yaml", _gateway(_batch_limit(99)), "", ""),  # the same limit: no change
    (
        "standard.yaml",
        lambda d: item(d["problem_codes"], "code", "prefix").pop("severity"),
        "problem.prefix.problem-made-error",
        "breaking",
    ),
    (
        "standard.yaml",
        lambda d: item(d["problem_codes"], "code", "order").update(severity="warning"),
        "problem.order.problem-made-warning",
        "compatible",
    ),
    (
        "standard.yaml",
        lambda d: item(d["problem_codes"], "code", "format").update(profile="gateway"),
        "problem.format.problem-profile-lowered",
        "breaking",
    ),
    (
        "standard.yaml",
        lambda d: item(d["semantics"], "id", "length").update(text="按字符计。"),
        "semantics.length.semantics-changed",
        "compatible",
    ),
    (
        "standard.yaml",
        _gateway(_reply_limit(4096)),
        "gateway.reply_max_bytes.limit-lowered",
        "breaking",
    ),
    (
        "standard.yaml",
        _gateway(_reply_limit(1 << 20)),
        "gateway.reply_max_bytes.limit-raised",
        "compatible",
    ),
    ("standard.yaml", _currency_pattern, "format.currency_code.pattern-changed", "breaking"),
]


@pytest.mark.parametrize(("rel", "change", "change_id", "severity"), CASES)
def test_each_kind_of_change_is_classified(
    loaded: LoadedSpec,
    spec_copy: Path,
    rel: str,
    change: Callable[[Doc], None],
    change_id: str,
    severity: str,
) -> None:
    edit(spec_copy, rel, change)
    diff = diff_specs(loaded, load_spec(spec_copy))
    if not change_id:
        assert diff.changes == ()
        return
    by_id = {c.id: c for c in diff.changes}
    assert change_id in by_id, sorted(by_id)
    assert by_id[change_id].severity == severity
    # Nothing else is called breaking when the edit itself is compatible.
    if severity == "compatible":
        assert diff.breaking == (), [c.id for c in diff.breaking]


def test_identical_specs_have_no_changes(loaded: LoadedSpec, spec_copy: Path) -> None:
    diff = diff_specs(loaded, load_spec(spec_copy))
    assert diff.changes == ()
    assert "No changes." in render_changelog(diff)


def test_a_rename_is_one_change_not_a_removal_and_an_addition(
    loaded: LoadedSpec, spec_copy: Path
) -> None:
    edit(spec_copy, ACCEPT, _rename_address)
    ids = [c.id for c in diff_specs(loaded, load_spec(spec_copy)).changes]
    assert ids == ["accept.Address.field-renamed"]


def test_changelog_lists_breaking_first_and_names_the_editions(
    loaded: LoadedSpec, spec_copy: Path
) -> None:
    edit(spec_copy, ACCEPT, _remove_address)
    edit(spec_copy, ACCEPT, _add_field(False))
    edition = loaded.docs.standard.transcription.edition
    edit(spec_copy, "standard.yaml", lambda d: d["transcription"].update(edition=edition + 1))
    diff = diff_specs(loaded, load_spec(spec_copy))
    text = render_changelog(diff)
    assert text.index("## Breaking changes") < text.index("## Compatible changes")
    assert "`accept.Address.field-removed`" in text
    assert "`accept.ExtraNote.optional-field-added`" in text
    assert f"→ {diff.new.version}" in text.splitlines()[0]
    assert diff.old.version != diff.new.version
    assert "Edition unchanged" not in text
    assert "Not acknowledged" in text


def _acknowledge(spec_dir: Path, *ids: str) -> None:
    edit(
        spec_dir,
        "standard.yaml",
        lambda d: d["transcription"].update(acknowledged_breaking=list(ids)),
    )


def test_acknowledged_breaking_changes_pass(loaded: LoadedSpec, spec_copy: Path) -> None:
    edit(spec_copy, ACCEPT, _remove_address)
    _acknowledge(spec_copy, "accept.Address.field-removed", "accept.Nothing.field-removed")
    diff = diff_specs(loaded, load_spec(spec_copy))
    assert diff.breaking and not diff.unacknowledged
    assert diff.acknowledged == acknowledged_breaking(load_spec(spec_copy).docs)
    assert diff.stale_acknowledgements == ("accept.Nothing.field-removed",)
    text = render_changelog(diff)
    assert "*(acknowledged)*" in text
    assert "Acknowledged but not found" in text


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--root", str(root), "diff", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_exits_1_on_a_breaking_change_and_0_when_acknowledged(
    tmp_path: Path, spec_copy: Path
) -> None:
    edit(spec_copy, ACCEPT, _set("Address", type="String(500)"))
    code, out, err = _run(tmp_path, str(SPEC_DIR), str(spec_copy))
    assert code == cli_diff.EXIT_BREAKING
    assert "`accept.Address.length-shortened`" in out
    assert "accept.Address.length-shortened" in err
    _acknowledge(spec_copy, "accept.Address.length-shortened")
    code, out, _ = _run(tmp_path, str(SPEC_DIR), str(spec_copy))
    assert code == 0
    assert "*(acknowledged)*" in out


def test_cli_compatible_change_exits_0(tmp_path: Path, spec_copy: Path) -> None:
    edit(spec_copy, ACCEPT, _set("Address", type="String(2000)"))
    code, out, _ = _run(tmp_path, str(SPEC_DIR), str(spec_copy))
    assert code == 0
    assert "accept.Address.length-widened" in out


def test_cli_new_defaults_to_the_project_spec(tmp_path: Path, spec_copy: Path) -> None:
    # spec_copy lives at tmp_path/spec, so tmp_path is a project root.
    edit(spec_copy, ACCEPT, _remove_address)
    code, out, _ = _run(spec_copy.parent, str(SPEC_DIR))
    assert code == 1
    assert "accept.Address.field-removed" in out


def test_cli_refuses_what_is_neither_a_spec_nor_a_revision(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path, "no-such-revision", str(SPEC_DIR))
    assert code == cli_diff.EXIT_TROUBLE
    assert "no-such-revision" in err


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("below_top", [False, True], ids=["at-top", "in-subdirectory"])
def test_cli_compares_git_revisions(tmp_path: Path, below_top: bool) -> None:
    need(shutil.which("git") is not None, "git")
    repo = tmp_path / "repo"
    project = repo / "project" if below_top else repo
    shutil.copytree(SPEC_DIR, project / "spec")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "spec 1")
    edit(project / "spec", ACCEPT, _set("TaskVersion", type="Long(10)"))
    _git(repo, "commit", "-q", "-am", "TaskVersion becomes Long")
    edit(project / "spec", ACCEPT, _add_field(False))  # uncommitted: in the work tree only

    code, out, _ = _run(project, "HEAD~1", "HEAD")
    assert code == 1
    assert "`accept.TaskVersion.type-changed`" in out
    assert "ExtraNote" not in out

    code, out, _ = _run(project, "HEAD~1")  # against the work tree
    assert "`accept.TaskVersion.type-changed`" in out
    assert "`accept.ExtraNote.optional-field-added`" in out

    code, out, _ = _run(project, "HEAD", "HEAD")
    assert code == 0
    assert "No changes." in out
    assert _git(repo, "status", "--porcelain").rstrip("\n") == (
        " M project/spec/records/accept.yaml" if below_top else " M spec/records/accept.yaml"
    )


def test_result_lists_are_partitioned(loaded: LoadedSpec, spec_copy: Path) -> None:
    edit(spec_copy, ACCEPT, _remove_address)
    edit(spec_copy, ACCEPT, _add_field(False))
    diff: SpecDiff = diff_specs(loaded, load_spec(spec_copy))
    assert set(diff.breaking) | set(diff.compatible) == set(diff.changes)
    assert all(c.breaking for c in diff.breaking)
    assert len({c.id for c in diff.changes}) == len(diff.changes)


def _strip_profiles_and_provenance(r: Doc) -> None:
    for rule in r.get("rules", []):
        for key in ("profile", "origin", "lines", "reason"):
            rule.pop(key, None)


def test_rules_without_profile_or_origin_load_with_their_kinds_defaults(
    loaded: LoadedSpec, spec_copy: Path
) -> None:
    """An older edition (no profile, no provenance) still loads: each rule gets the profile
    of the problem code its kind reports, and its origin is marked as inferred."""
    for key in loaded.docs.standard.records:
        edit(spec_copy, f"records/{key}.yaml", _strip_profiles_and_provenance)
    diff = diff_specs(load_spec(spec_copy), loaded)
    for record in diff.old.records:
        for rule in record.rules:
            assert rule.provenance.inferred
            expected = "standard" if rule.kind in ("required_if", "paired_lists") else "strict"
            assert rule.profile == expected, rule.id
            assert rule.provenance.origin == ("text" if expected == "standard" else "editor")
    moved = {
        c.id
        for c in diff.changes
        if c.kind in ("rule-profile-raised", "rule-profile-lowered", "rule-changed")
    }
    current = {r.id: r for rec in diff.new.records for r in rec.rules}
    assert moved == {
        f"{rec.key}.{rule.id}.rule-profile-raised"
        for rec in diff.new.records
        for rule in rec.rules
        if rule.profile == "strict" and rule.kind in ("required_if", "paired_lists")
    }, sorted(moved)
    assert all(not r.provenance.inferred for r in current.values())


def _before_the_reply_cap(standard: Doc) -> None:
    """standard.yaml as editions before 2026-12-02 wrote it: no reply cap, and no
    description of the problem code ``unencodable`` (added to the validators later)."""
    del standard["gateway"]["reply_max_bytes"]
    del standard["gateway"]["reply_max_bytes_reason"]
    standard["problem_codes"].remove(item(standard["problem_codes"], "code", "unencodable"))


def test_an_edition_from_before_the_reply_cap_loads_with_the_default(
    loaded: LoadedSpec, spec_copy: Path
) -> None:
    edit(spec_copy, "standard.yaml", _before_the_reply_cap)
    old = load_spec(spec_copy, for_build=False)
    model = build_model(old)
    assert model.gateway.reply_max_bytes == DEFAULT_REPLY_MAX_BYTES
    assert model.gateway.reply_max_bytes_reason == DEFAULT_REPLY_MAX_BYTES_REASON
    diff = diff_specs(old, loaded)
    assert not [c.id for c in diff.changes if "reply" in c.id or "unencodable" in c.id]
    # Building still needs every problem code described.
    with pytest.raises(SpecError) as raised:
        load_spec(spec_copy)
    assert [(p.path, "unencodable" in p.message) for p in raised.value.problems] == [
        ("problem_codes", True)
    ]


def test_a_reply_cap_without_its_reason_is_a_problem(spec_copy: Path) -> None:
    edit(spec_copy, "standard.yaml", lambda s: s["gateway"].pop("reply_max_bytes_reason"))
    with pytest.raises(SpecError) as raised:
        load_spec(spec_copy)
    assert [p.path for p in raised.value.problems] == ["gateway.reply_max_bytes_reason"]


def test_cli_reads_a_revision_from_before_the_reply_cap(tmp_path: Path) -> None:
    need(shutil.which("git") is not None, "git")
    repo = tmp_path / "repo"
    shutil.copytree(SPEC_DIR, repo / "spec")
    edit(repo / "spec", "standard.yaml", _before_the_reply_cap)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "an edition before the reply cap")
    shutil.rmtree(repo / "spec")
    shutil.copytree(SPEC_DIR, repo / "spec")
    _git(repo, "commit", "-q", "-am", "today's spec")

    code, out, err = _run(repo, "HEAD~1", "HEAD")
    assert code == 0, err
    assert "reply_max_bytes" not in out
    code, out, err = _run(repo, "HEAD", "HEAD~1")  # either side may be the older one
    assert code == 0, err
