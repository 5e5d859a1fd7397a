"""The validate report as plain data: written as report.json for CI dashboards, and the one
source the HTML view reads, so both say the same."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from codegen.data.datasets import CROSS_PROBLEM_LABELS
from codegen.data.report_collect import (
    OTHER,
    TOP_VALUES_SHOWN,
    UNREADABLE,
    Example,
    ReportCollector,
)

FORMAT = "gdzw-codegen validate report 1"
_EXTRA_LABELS = {UNREADABLE: "无法读取", OTHER: "其他"}


def report_data(c: ReportCollector) -> dict[str, Any]:
    spec = c.package.spec
    labels = _field_labels(c)
    values = c.values.top(TOP_VALUES_SHOWN)
    summary = c.summary
    return {
        "format": FORMAT,
        "standard": spec.STANDARD_ID,
        "version": spec.VERSION,
        "spec_hash": spec.SPEC_HASH,
        "mode": c.mode,
        "profile": c.profile,
        "length_unit": c.length_unit,
        "summary": dataclasses.asdict(summary) | {"problems": summary.errors + summary.warnings},
        "record_types": [
            {"key": key, "label": spec.RECORD_LABELS.get(key, key)} | dataclasses.asdict(n)
            for key, n in c.by_type.items()
        ],
        "files": [{"path": path} | dataclasses.asdict(n) for path, n in c.by_file.items()],
        "problem_codes": [
            {"code": code, "label": problem_label(c, code), "count": n}
            for code, n in c.by_code.most_common()
        ],
        "rules": [
            {"rule": rule, "code": code, "label": problem_label(c, code), "count": n}
            for (rule, code), n in c.by_rule.most_common()
        ],
        "fields": [
            {"record": key, "field": name, "label": labels.get((key, name), name), "count": n}
            for (key, name), n in c.by_field.most_common()
        ],
        "top_values": {
            # Space-Saving: exact while no counter was replaced; otherwise each count is at
            # most max_overcount above the truth.
            "method": "space-saving",
            "counters": c.values.capacity,
            "exact": c.values.exact,
            "values_counted": c.values.total,
            "entries": [
                {
                    "record": e.item[0],
                    "field": e.item[1],
                    "label": labels.get((e.item[0], e.item[1]), e.item[1]),
                    "code": e.item[2],
                    "value": e.item[3],
                    "count": e.count,
                    "max_overcount": e.error,
                }
                for e in values
            ],
        },
        "cross_record": {
            "count": c.cross,
            "codes": [
                {"code": code, "label": problem_label(c, code), "count": n}
                for code, n in c.cross_by_code.most_common()
            ],
            "examples": _examples(c, c.cross_examples),
        },
        "examples": _examples(c, c.examples),
    }


def report_json(c: ReportCollector) -> str:
    return json.dumps(report_data(c), ensure_ascii=False, indent=2) + "\n"


def problem_label(c: ReportCollector, code: str) -> str:
    labels: dict[str, str] = c.package.spec.PROBLEM_LABELS
    return labels.get(code) or CROSS_PROBLEM_LABELS.get(code) or _EXTRA_LABELS.get(code, code)


def _field_labels(c: ReportCollector) -> dict[tuple[str, str], str]:
    return {
        (key, f.wire_name): f.label for key, specs in c.package.spec.FIELDS.items() for f in specs
    }


def _examples(c: ReportCollector, kept: dict[str, list[Example]]) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "label": problem_label(c, code),
            "examples": [dataclasses.asdict(e) for e in examples],
        }
        for code, examples in kept.items()
    ]
