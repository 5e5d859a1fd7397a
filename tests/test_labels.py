"""Labels follow the standard's wording; former labels still read filled templates (issue 13)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import openpyxl
from printed_examples import standard_lines

from codegen.build import Rendered
from codegen.data.xlsx_records import columns_from_package, read_workbook_records
from codegen.model.types import Model

# field → (the line printing it, the standard's wording, the label edition 1 used)
RELABELLED = {
    ("result", "HandleOrgCode"): (682, "办理部门组织机构代码", "办理部门统一社会信用代码"),
    ("correction", "AcceptOrgCode"): (
        1192,
        "补正受理部门的组织机构代码",
        "补正受理部门统一社会信用代码",
    ),
    ("receive", "ReceiveOrgCode"): (
        1376,
        "领取登记部门的组织机构代码",
        "领取登记部门统一社会信用代码",
    ),
    ("receive", "ReceiverPageType"): (1370, "领取人证件类型代码", "领取人证件类型"),
    ("accept", "SystemName"): (283, "办理本笔业务的系统名称", "业务系统名称"),
    ("process", "SystemName"): (534, "办理本笔业务的系统名称", "业务系统名称"),
}


def test_labels_use_the_standards_wording(model: Model) -> None:
    lines = standard_lines()
    for (key, name), (line, label, former) in RELABELLED.items():
        field = model.record(key).field(name)
        printed = lines[line - 1].split("\t")
        assert printed[0] == name
        assert label in printed[-1], (name, printed)
        assert field.label == label and field.label_origin == "text"
        assert field.former_labels == (former,)
        assert field.note and field.note.startswith("编者注"), name


def test_former_labels_still_read_a_filled_template(pkg: ModuleType, tmp_path: Path) -> None:
    record = pkg.EXAMPLES["process"]
    columns = columns_from_package(pkg, "process")
    labels = {c.wire_name: c.label for c in columns}
    headers = [labels[name] for name in record]
    headers[list(record).index("SystemName")] = "业务系统名称"  # edition 1's label
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(headers)
    ws.append([record[name] for name in record])
    path = tmp_path / "process.xlsx"
    book.save(path)
    (item,) = read_workbook_records(path, columns)
    assert item.error is None, item.error
    assert item.value == record


def test_reference_lists_content_type_with_the_headers(rendered: Rendered, model: Model) -> None:
    page = str(rendered.files["docs/index.html"])
    table = page[page.index('<h3 id="headers">') :]
    table = table[: table.index("</table>")]
    assert "<code>Content-Type</code>" in table
    assert f"<code>{model.gateway.content_type}</code>" in table
    for name in model.gateway.header_names:
        assert f"<code>{name}</code>" in table
