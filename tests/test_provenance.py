"""Every rule says where it comes from and in which profile it runs (issue 13).

A rule is either the standard's own (``origin: text``: its ``text`` quotes the lines it
names) or the editors' (``origin: editor``: what it requires and why). The validators
run a rule from its profile up; the JSON Schemas express only the standard profile; the
reference, the workbook and the schemas' ``x-`` extensions show the provenance.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import printed_examples
import pytest
from click.testing import CliRunner

from codegen.build import Rendered
from codegen.cli.main import main
from codegen.model.types import Model, Rule

# The rules the audit found presented as the text's though they appear nowhere in it.
NOT_IN_THE_TEXT = {
    "accept-not-before-apply",
    "promise-not-before-accept",
    "event-end-not-before-start",
    "end-not-before-special-time",
    "accept-not-before-inform",
    "applyer-certificate-numbers",
    "contact-certificate-number",
    "receiver-certificate-number",
    "project-no-date-is-apply-date",
    "project-no-begins-with-task-code",
    "result-with-end-time",
}


def rules(model: Model) -> list[tuple[str, Rule]]:
    return [(r.key, rule) for r in model.records for rule in r.rules]


@pytest.fixture(scope="module")
def standard_lines() -> list[str]:
    return printed_examples.standard_lines()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_rule_states_profile_and_provenance(model: Model) -> None:
    for key, rule in rules(model):
        assert not rule.provenance.inferred, (key, rule.id)
        assert rule.provenance.lines, (key, rule.id)
        if rule.provenance.origin == "editor":
            assert rule.provenance.reason and rule.provenance.reason.strip(), rule.id
        else:
            assert rule.provenance.reason is None, rule.id


def test_quotes_are_the_standards_words_at_their_lines(
    model: Model, standard_lines: list[str]
) -> None:
    for key, rule in rules(model):
        lines = [standard_lines[n - 1] for n in rule.provenance.lines]
        if rule.provenance.origin != "text":
            assert all(line.strip() for line in lines), (key, rule.id)  # real lines
            continue
        printed = _squeeze("".join(lines))
        for part in rule.text.split(" … "):
            assert _squeeze(part) in printed, (key, rule.id, part)


def test_the_rules_beyond_the_text_are_the_editors_and_strict(model: Model) -> None:
    by_id = dict((rule.id, rule) for _, rule in rules(model))
    assert NOT_IN_THE_TEXT <= set(by_id)
    for rule_id in NOT_IN_THE_TEXT:
        assert by_id[rule_id].provenance.origin == "editor", rule_id
    for rule in by_id.values():
        if rule.provenance.origin == "editor":
            assert rule.profile == "strict", rule.id
        else:
            assert rule.profile in ("gateway", "standard"), rule.id


# ---------------------------------------------------------------- targets


def test_schemas_express_only_standard_rules_and_show_provenance(
    rendered: Rendered, model: Model
) -> None:
    for record in model.records:
        doc: dict[str, Any] = json.loads(rendered.files[f"jsonschema/{record.schema_file}"])
        listed = {r["id"]: r for r in doc["x-gdzw-rules"]}
        assert set(listed) == {r.id for r in record.rules}
        expressed = {part["x-gdzw-rule"] for part in doc.get("allOf", [])}
        for rule in record.rules:
            summary = listed[rule.id]
            assert summary["profile"] == rule.profile
            assert summary["origin"] == rule.provenance.origin
            assert summary["lines"] == list(rule.provenance.lines)
            assert summary.get("reason") == rule.provenance.reason
            assert summary["in_schema"] == (rule.id in expressed)
            if rule.profile == "strict":
                assert rule.id not in expressed, rule.id
        for part in doc.get("allOf", []):
            assert part["x-gdzw-provenance"]["origin"] == "text"


def test_reference_shows_provenance_not_a_false_quote(rendered: Rendered, model: Model) -> None:
    page = str(rendered.files["docs/index.html"])
    for key, rule in rules(model):
        start = page.index(f'<tr id="rule-{key}-{rule.id}"')
        row = page[start : page.index("</tr>", start)]
        assert f"<code>{rule.profile}</code>" in row
        if rule.provenance.origin == "text":
            assert f'<span class="tag">原文 {rule.provenance.where}</span>' in row, rule.id
        else:
            assert "编者规则" in row and "原文 L" not in row, rule.id
            assert "理由：" in row, rule.id


def test_workbook_shows_profile_and_provenance(tmp_path: Path, model: Model) -> None:
    path = tmp_path / "spec.xlsx"
    result = CliRunner().invoke(main, ["xlsx", "export", str(path)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path)["规则"]
    titles = [c.value for c in ws[1]]
    for title in ("校验配置", "出处", "原文或编者规则", "原文行号", "编者理由"):
        assert title in titles, title
    column = {title: titles.index(title) for title in titles}
    rows = {row[column["规则"]]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    special = rows["result-with-end-time"]
    rule = next(r for _, r in rules(model) if r.id == "result-with-end-time")
    assert special[column["校验配置"]] == rule.profile
    assert special[column["出处"]] == "编者"
    assert special[column["原文行号"]] == "870, 871"
    assert rows["end-time-with-result"][column["出处"]] == "原文"


# ---------------------------------------------------------------- validators


def test_a_rule_runs_from_its_profile_up(pkg: ModuleType, model: Model) -> None:
    """Each rule's failing case is reported from its own profile up, never below it."""
    record = dict(pkg.EXAMPLES["accept"])
    record["AcceptDate"] = "2000-01-01 00:00:00"  # before ApplyDate: an editors' rule
    record["PromiseDate"] = None
    order = next(r for _, r in rules(model) if r.id == "accept-not-before-apply")
    for profile in ("gateway", "standard", "strict"):
        reported = {p.rule for p in pkg.validate("accept", record, profile=profile)}
        runs = pkg.PROFILES.index(profile) >= order.level
        assert ("accept-not-before-apply" in reported) == runs, profile
