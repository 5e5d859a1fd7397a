"""The validate report as one self-contained HTML page: inline CSS and SVG bar charts, no
script, nothing fetched. The view below computes every bar and string from the report's
data (``report_json.report_data``); the template (templates/report/) only places them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2

from codegen.build_cache import DEFAULT_TEMPLATES_DIR

REPORT_TEMPLATES = DEFAULT_TEMPLATES_DIR / "report"
BARS_SHOWN = 30
FILES_SHOWN = 200
# Chart geometry, in CSS pixels.
LABEL_WIDTH = 340
BAR_MAX = 380
ROW = 24
# Half-width characters that fit in LABEL_WIDTH at 13 px.
LABEL_UNITS = 44
MODES = {"interface": "单一记录类型 (--interface)", "dataset": "数据集（含跨记录检查）"}


@dataclass(frozen=True)
class Bar:
    label: str
    title: str  # the full label, as a tooltip
    count: int
    y: int
    text_y: int
    width: int
    count_x: int


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    width: int
    height: int
    label_x: int
    bar_x: int
    bars: tuple[Bar, ...]
    note: str


def chart(chart_id: str, title: str, rows: list[tuple[str, int]], what: str) -> Chart:
    """A horizontal bar chart of the first ``BARS_SHOWN`` (label, count) rows."""
    shown = rows[:BARS_SHOWN]
    top = max((n for _, n in shown), default=0)
    bars = tuple(_bar(i, label, n, top) for i, (label, n) in enumerate(shown))
    if not rows:
        note = f"没有{what} (none)"
    elif len(rows) > len(shown):
        note = f"前 {len(shown)} 项，共 {len(rows)} 项 (top {len(shown)} of {len(rows)})"
    else:
        note = f"共 {len(rows)} 项 ({len(rows)} in all)"
    return Chart(
        id=chart_id,
        title=title,
        width=LABEL_WIDTH + BAR_MAX + 80,
        height=max(ROW, len(bars) * ROW + 6),
        label_x=LABEL_WIDTH - 8,
        bar_x=LABEL_WIDTH,
        bars=bars,
        note=note,
    )


def _bar(i: int, label: str, n: int, top: int) -> Bar:
    width = max(1, round(BAR_MAX * n / top)) if top and n else 0
    return Bar(
        label=_cut(label),
        title=f"{label}：{n}",
        count=n,
        y=i * ROW + 3,
        text_y=i * ROW + 17,
        width=width,
        count_x=LABEL_WIDTH + width + 6,
    )


def report_view(data: dict[str, Any]) -> dict[str, Any]:
    s = data["summary"]
    top = data["top_values"]
    exact = top["exact"]
    cross = data["cross_record"]
    return {
        "title": f"数据质量报告 · {data['standard']}",
        "version": data["version"],
        "spec_hash": data["spec_hash"][:12],
        "mode": MODES.get(data["mode"], data["mode"]),
        "profile": data["profile"],
        "length_unit": data["length_unit"],
        "cards": (
            ("记录", "records", s["records"]),
            ("有问题的记录", "invalid", s["invalid"]),
            ("错误", "errors", s["errors"]),
            ("警告", "warnings", s["warnings"]),
            ("跨记录问题", "cross-record", s["cross"]),
            ("无法读取", "unreadable", s["unreadable"]),
        ),
        "record_types": data["record_types"],
        "type_chart": chart(
            "chart-types",
            "有问题的记录（按记录类型）",
            [(f"{t['label']} {t['key']}", t["invalid"]) for t in data["record_types"]],
            "记录",
        ),
        "files": data["files"][:FILES_SHOWN],
        "files_note": _files_note(len(data["files"])),
        "rule_chart": chart(
            "chart-rules",
            "问题（按规则）",
            [(f"{r['label']} · {r['rule']}", r["count"]) for r in data["rules"]],
            "问题",
        ),
        "field_chart": chart(
            "chart-fields",
            "问题（按字段）",
            [(_field_label(f), f["count"]) for f in data["fields"]],
            "问题",
        ),
        "values": [
            {
                "field": _field_label(v),
                "code": v["code"],
                "value": v["value"],
                "count": str(v["count"]) if exact else f"≈ {v['count']}",
                "overcount": "0" if exact else str(v["max_overcount"]),
            }
            for v in top["entries"]
        ],
        "values_note": (
            f"精确计数：{top['values_counted']} 个问题值 (exact counts)"
            if exact
            else f"近似计数（Space-Saving，{top['counters']} 个计数器，共 "
            f"{top['values_counted']} 个问题值）：每个计数至多高估所注的数 "
            "(approximate counts)"
        ),
        "cross_count": cross["count"],
        "cross_chart": chart(
            "chart-cross",
            "跨记录问题（按种类）",
            [(f"{c['label']} · {c['code']}", c["count"]) for c in cross["codes"]],
            "跨记录问题",
        ),
        "cross_examples": cross["examples"],
        "examples": data["examples"],
    }


def render_html(data: dict[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(REPORT_TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("report.html.jinja").render(report_view(data))


def _files_note(count: int) -> str:
    if count > FILES_SHOWN:
        return f"前 {FILES_SHOWN} 个文件，共 {count} 个；全部见 JSON 报告"
    return f"共 {count} 个文件"


def _field_label(entry: dict[str, Any]) -> str:
    """``办理意见 HandleExplain · process``; a bucket (整条记录, 规范之外的字段) once."""
    name = (
        entry["field"] if entry["label"] == entry["field"] else f"{entry['label']} {entry['field']}"
    )
    return f"{name} · {entry['record']}"


def _cut(label: str) -> str:
    """The label cut to fit the chart's label column: a CJK character is as wide as two
    Latin ones (the full label stays in the bar's tooltip)."""
    used = 0
    for i, char in enumerate(label):
        used += 2 if ord(char) > 0x2E7F else 1
        if used > LABEL_UNITS:
            return label[:i] + "…"
    return label
