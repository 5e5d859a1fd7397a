"""The spec is a faithful transcription of GDZW 0003-2019 (counts and spot checks)."""

from __future__ import annotations

import re
from pathlib import Path

from codegen.model.types import Model
from codegen.spec.wire_types import Kind
from needs import need

STANDARD_TEXT = Path(__file__).resolve().parents[2] / "shared" / "standard" / "GDZW-0003-2019.txt"

FIELD_COUNTS = {
    "accept": ("表 3", 48),
    "process": ("表 5", 21),
    "result": ("表 7", 23),
    "specialprocedure": ("表 9", 23),
    "material": ("表 11", 19),
    "correction": ("表 13", 25),
    "receive": ("表 15", 19),
    "reconciliation": ("表 17", 4),
}


def test_every_request_table_is_transcribed(model: Model) -> None:
    assert [r.key for r in model.records] == list(FIELD_COUNTS)
    for record in model.records:
        table, count = FIELD_COUNTS[record.key]
        assert record.table == table
        assert len(record.fields) == count, record.key
    assert sum(len(r.fields) for r in model.records) == 182


def test_wire_names_match_the_printed_tables(model: Model) -> None:
    """Every field name, required flag and size is the one the standard's table prints."""
    need(STANDARD_TEXT.exists(), f"the standard's text beside this checkout ({STANDARD_TEXT})")
    text = STANDARD_TEXT.read_text(encoding="utf-8").splitlines()
    tables: dict[str, list[list[str]]] = {}
    current = None
    for line in text:
        heading = re.match(r"^表 (\d+) 请求参数", line)
        if heading:
            current = f"表 {heading.group(1)}"
            tables[current] = []
        elif current and re.match(r"^7\.\d\.5", line):
            current = None
        elif current and "\t" in line:
            cells = line.split("\t")
            if cells[0] and cells[0] != "参数名":
                tables[current].append(cells)
    for record in model.records:
        printed = tables[record.table]
        assert [row[0] for row in printed] == [f.wire_name for f in record.fields]
        for row, field in zip(printed, record.fields, strict=True):
            assert field.required == (row[1] == "是"), field.wire_name
            if field.wire_type.kind is Kind.DATETIME:
                assert row[2].startswith("String(按格式传"), field.wire_name
            else:
                assert row[2] == field.printed_type, field.wire_name


def test_spot_checks_of_fields(model: Model) -> None:
    accept = model.record("accept")
    apply_date = accept.field("ApplyDate")
    assert (apply_date.label, apply_date.required, apply_date.kind) == (
        "申请时间",
        True,
        "datetime",
    )
    page_type = accept.field("ApplyerPageType")
    assert page_type.codeset is not None and page_type.codeset.id == "certificate_type"
    assert page_type.separator == "^" and page_type.max_length == 70
    version = accept.field("TaskVersion")
    assert (version.minimum, version.maximum) == (-(2**31), 2**31 - 1)
    assert accept.field("ApplyUerIdCode").python_name == "apply_user_id_code"
    assert model.record("correction").field("BZCLQD").separator == ";"
    charge = model.record("result").field("Charge")
    assert charge.kind == "number" and charge.maximum == 10**16 - 1
    count = model.record("reconciliation").field("Cd_count")
    assert count.kind == "integer" and count.maximum == 2**63 - 1
    assert model.record("process").field("ProcessName").codeset.values == ("承办", "审核", "批准")  # type: ignore[union-attr]
    assert model.record("receive").field("ReceiverPageNo").label == "领取人证件号码"
    assert model.record("receive").field("ReceiverPageNo").label_origin == "editor"


def test_code_sets(model: Model) -> None:
    sets = {cs.id: cs for cs in model.codesets}
    assert len([cs for cs in sets.values() if cs.clause.startswith("A.")]) == 16
    assert len(sets["certificate_type"].codes) == 36
    assert sets["certificate_type"].labels["111"] == "居民身份证"
    assert sets["handle_segment"].values == ("01", "02", "03", "04", "05", "06")
    assert sets["yes_no"].values == ("1", "0")
    assert sets["correction_status"].labels["130"] == "补正结束(材料齐全)(内部审批发起的材料补正)"
    assert sets["acceptance_status"].labels == {
        "1": "审核通过",
        "2": "不受理",
        "3": "补交补正材料",
        "4": "不予受理",
    }
    assert sets["cd_operation"].values == ("I", "U", "D")
    assert sets["time_limit_unit"].labels == {"G": "工作日", "Z": "自然日"}


def test_reconciliation_tables_are_one_edit_and_marked_inferred(model: Model) -> None:
    tables = {cs.id: cs for cs in model.codesets}["reconciliation_table"]
    assert tables.values[0] == "up_pro_accept_v3"
    assert "推定" not in tables.labels["up_pro_accept_v3"]
    inferred = [r for r in model.records if r.reconciliation_table_inferred]
    assert len(inferred) == 6
    for record in inferred:
        assert "推定" in tables.labels[record.reconciliation_table or ""]


def test_rules_are_declared(model: Model) -> None:
    rules = {(r.key, rule.id): rule for r in model.records for rule in r.rules}
    refusal = rules[("accept", "refusal-reason-required")]
    assert refusal.kind == "required_if" and refusal.field.wire_name == "BSLYY"
    assert refusal.when[0].values == ("2", "4")  # type: ignore[union-attr]
    legal = rules[("accept", "legal-required-for-legal-persons")]
    assert [c.op for c in legal.when] == ["in", "any_part_in"]  # type: ignore[union-attr]
    assert ("process", "handle-explain-required-when-ended") in rules
    assert ("material", "material-url-required") in rules
    assert ("specialprocedure", "end-time-with-result") in rules
    assert ("specialprocedure", "result-with-end-time") in rules
    assert rules[("result", "result-certificates-paired")].kind == "paired_lists"


def test_gateway(model: Model) -> None:
    gw = model.gateway
    assert gw.paasid == "tysb-sjcj"
    assert [h.name for h in gw.headers] == [
        "x-tif-paasid",
        "x-tif-timestamp",
        "x-tif-nonce",
        "x-tif-signature",
    ]
    assert gw.signature.concatenation == ("timestamp", "token", "nonce", "timestamp")
    assert model.api_roots == {
        "test": "https://bs-test.digitalgd.com.cn/ebus/tysb-sjcj",
        "production": "https://zwms3.gdbs.gov.cn/ebus/tysb-sjcj",
    }
    assert gw.batch_max_records == 99
    assert len(model.endpoints) == 16
    assert {e.path for e in model.endpoints} >= {
        "/uppro/accept/save",
        "/uppro/reconciliation/batchSave",
    }


def test_errata_record_known_contradictions(model: Model) -> None:
    ids = {e.id for e in model.errata}
    assert {
        "paths-upro-vs-uppro",
        "reconciliation-missing-from-overview",
        "api-root-http-vs-https",
    } <= ids
    assert len(model.errata) >= 30
    aliases = {
        (r.key, a.name): f.wire_name for r in model.records for f in r.fields for a in f.aliases
    }
    assert aliases[("accept", "ApplyUserIdCode")] == "ApplyUerIdCode"
    assert aliases[("accept", "ApplierPageCode")] == "ApplyerPageCode"
    assert aliases[("specialprocedure", "ApplyerUserName")] == "ApplierUserName"
    for erratum in model.errata:
        assert erratum.places and erratum.resolution.strip(), erratum.id
