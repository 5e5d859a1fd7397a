"""Streaming record reader: JSON arrays element by element, JSON Lines line by line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from codegen.data.jsonstream import _CHUNK, Item, read_records

RECORDS: list[object] = [
    {"RowGuid": "a", "ApplyerName": "张三", "Nested": {"list": [1, 2.5, None, True], "x": {}}},
    {"TaskName": "事项名称 ☃ \U0001f600", "Escaped": 'tab\there "quoted" \\ \u00e9'},
    [],
    {},
    -12.5e3,
    "a plain string",
    None,
    False,
]


def write(tmp_path: Path, text: str, name: str = "records.json") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def read(tmp_path: Path, text: str) -> list[Item]:
    return list(read_records(write(tmp_path, text)))


def values(items: list[Item]) -> list[object]:
    errors = [item.error for item in items if item.error is not None]
    assert not errors, errors
    assert [item.number for item in items] == list(range(1, len(items) + 1))
    return [item.value for item in items]


def error_offset(message: str) -> int:
    """The 1-based character position an array error message points at."""
    match = re.search(r"第 (\d+) 个字符", message)
    assert match, message
    return int(match.group(1))


# ---------------------------------------------------------------- JSON arrays


@pytest.mark.parametrize("indent", [None, 2], ids=["compact", "indented"])
def test_array(tmp_path: Path, indent: int | None) -> None:
    items = read(tmp_path, json.dumps(RECORDS, ensure_ascii=False, indent=indent))
    assert values(items) == RECORDS
    assert all(item.line is None for item in items)


def test_array_with_ascii_escapes(tmp_path: Path) -> None:
    assert values(read(tmp_path, json.dumps(RECORDS, ensure_ascii=True))) == RECORDS


def test_elements_straddling_chunk_boundaries(tmp_path: Path) -> None:
    # Elements of 40 000 characters cross every 64 KiB boundary somewhere inside a
    # string; one element three chunks long needs several reads.
    records: list[object] = [{"i": i, "text": ("汉字abc" * 8_000)[: 40_000 - i]} for i in range(7)]
    records.insert(3, {"huge": "x" * (3 * _CHUNK), "after": [1, 2, 3]})
    text = json.dumps(records, ensure_ascii=False)
    assert len(text) > 6 * _CHUNK
    assert values(read(tmp_path, text)) == records


def number_across_boundary(number: str, cut: int) -> str:
    """An array whose second element is ``number``, the first ``cut`` characters of
    it the last of the first chunk and the rest at the start of the second."""
    head = '["'
    padding = "x" * (_CHUNK - cut - len(head) - len('",'))
    text = f'{head}{padding}",{number},"after"]'
    assert text.index(f",{number},") + 1 + cut == _CHUNK
    return text


@pytest.mark.parametrize(
    ("number", "cut"),
    [
        ("1234567", 3),
        ("1234567", 6),
        ("-98765", 1),  # just the sign
        ("-98765", 2),
        ("3.25", 1),
        ("3.25", 2),  # "3." | "25"
        ("3.25", 3),
        ("6.02e23", 4),  # "6.02" | "e23"
        ("6.02e23", 5),  # "6.02e" | "23"
        ("1E-7", 2),  # "1E" | "-7"
        ("1E-7", 3),  # "1E-" | "7"
    ],
)
def test_number_crossing_the_chunk_boundary(tmp_path: Path, number: str, cut: int) -> None:
    text = number_across_boundary(number, cut)
    items = values(read(tmp_path, text))
    assert items == json.loads(text)
    assert items[1] == json.loads(number)


def test_number_ending_exactly_at_the_chunk_boundary(tmp_path: Path) -> None:
    number = "987654321"
    text = number_across_boundary(number, len(number)) + "\n"
    assert text[_CHUNK - 1] == number[-1] and text[_CHUNK] == ","
    assert values(read(tmp_path, text))[1] == 987654321


@pytest.mark.parametrize("shift", range(0, 60, 3))
def test_every_token_across_the_chunk_boundary(tmp_path: Path, shift: int) -> None:
    """Slides a tail of assorted tokens over the boundary, a few characters at a time."""
    tail: list[object] = [
        12345,
        -0.5,
        1e-9,
        True,
        False,
        None,
        "é€",
        {"k": [1, {"n": -7}]},
        [],
        {},
        42,
    ]
    body = json.dumps(tail, ensure_ascii=False)[1:-1]
    text = '["' + "y" * (_CHUNK - shift) + '" , ' + body + " ]"
    assert values(read(tmp_path, text)) == json.loads(text)


@pytest.mark.parametrize("text", ["[]", " [ \n ] \n", "\n\t[\r\n]", "", " \n\n "])
def test_empty_input(tmp_path: Path, text: str) -> None:
    assert read(tmp_path, text) == []


@pytest.mark.parametrize(
    "text",
    [
        '[{"a": 1}, {"b": [1, 2',  # inside the second element
        '[{"a": 1}, ',  # after a comma
        '[{"a": 1}',  # no closing bracket
        '[{"a": 1}, {"b": tru',
    ],
)
def test_truncated_array(tmp_path: Path, text: str) -> None:
    items = read(tmp_path, text)
    assert len(items) == 2, items  # the error ends the stream
    assert (items[0].number, items[0].value, items[0].error) == (1, {"a": 1}, None)
    assert items[1].number == 2 and items[1].value is None
    assert items[1].error and "JSON 数组" in items[1].error


def test_garbage_after_an_element(tmp_path: Path) -> None:
    text = '[1, {"two": 2} x, 3, 4]'
    items = read(tmp_path, text)
    assert [(i.number, i.value) for i in items[:2]] == [(1, 1), (2, {"two": 2})]
    assert len(items) == 3 and items[2].number == 3
    assert items[2].error is not None and "'x'" in items[2].error
    assert text[error_offset(items[2].error) - 1] == "x"


def test_invalid_element_position(tmp_path: Path) -> None:
    text = '[\n  {"a": 1},\n  {"b": @}\n]'
    items = read(tmp_path, text)
    assert len(items) == 2 and items[1].error is not None
    assert text[error_offset(items[1].error) - 1] == "@"


@pytest.mark.parametrize("after", [" [3]", "\n{}", ",", "]"])
def test_content_after_the_array(tmp_path: Path, after: str) -> None:
    text = "[1, 2]" + after
    items = read(tmp_path, text)
    assert [i.value for i in items[:2]] == [1, 2]
    assert len(items) == 3 and items[2].number == 3 and items[2].error is not None
    assert text[error_offset(items[2].error) - 1] == after.strip()[0]


def test_whitespace_after_the_array_is_fine(tmp_path: Path) -> None:
    assert values(read(tmp_path, "[1, 2]\r\n\n  \t")) == [1, 2]


# ---------------------------------------------------------------- JSON Lines


def test_json_lines(tmp_path: Path) -> None:
    lines = [json.dumps(record, ensure_ascii=False) for record in RECORDS if record is not None]
    items = read(tmp_path, "\n".join(lines) + "\n")
    assert values(items) == [record for record in RECORDS if record is not None]
    assert [item.line for item in items] == list(range(1, len(lines) + 1))


def test_json_lines_with_blank_and_broken_lines(tmp_path: Path) -> None:
    text = '{"a": 1}\n\n{"b": "二"}\n{"c": \n   \n\t\n{"d": [4]}\n{"e": 5}} \n[6]'
    items = read(tmp_path, text)
    assert [(i.number, i.line) for i in items] == [(1, 1), (2, 3), (3, 4), (4, 7), (5, 8), (6, 9)]
    good = [i for i in items if i.error is None]
    assert [i.value for i in good] == [{"a": 1}, {"b": "二"}, {"d": [4]}, [6]]
    broken = {i.line: i.error for i in items if i.error is not None}
    assert set(broken) == {4, 8}
    for line, error in broken.items():
        assert error is not None and f"第 {line} 行" in error


def test_json_lines_with_crlf(tmp_path: Path) -> None:
    items = read(tmp_path, '{"a": "x"}\r\n\r\n{"b": 2}\r\n')
    assert values(items) == [{"a": "x"}, {"b": 2}]
    assert [i.line for i in items] == [1, 3]


def test_many_json_lines(tmp_path: Path) -> None:
    count = 20_000
    text = "".join(json.dumps({"RowGuid": str(i), "n": i}) + "\n" for i in range(count))
    items = read(tmp_path, text)
    assert len(items) == count
    assert sum(1 for item in items if item.error is None) == count
    assert items[-1].number == count and items[-1].line == count
    assert items[-1].value == {"RowGuid": str(count - 1), "n": count - 1}


# ---------------------------------------------------------------- byte-order mark


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(RECORDS, ensure_ascii=False),
        "\n  " + json.dumps(RECORDS, ensure_ascii=False),
        "\n".join(json.dumps(record, ensure_ascii=False) for record in RECORDS[:4]),
    ],
    ids=["array", "array-after-space", "json-lines"],
)
def test_byte_order_mark(tmp_path: Path, text: str) -> None:
    with_bom = list(read_records(write(tmp_path, "\ufeff" + text, "bom.json")))
    without = list(read_records(write(tmp_path, text, "plain.json")))
    assert with_bom == without
    assert values(with_bom)
    assert not any(isinstance(v, str) and "\ufeff" in v for v in values(with_bom))
