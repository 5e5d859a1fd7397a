"""Where each spec document lives, relative to ``spec/`` and as problems name it."""

from __future__ import annotations

STANDARD_FILE = "standard.yaml"
CODESETS_FILE = "codesets.yaml"
ERRATA_FILE = "errata.yaml"
REGIONS_FILE = "regions.yaml"
CURRENCIES_FILE = "currencies.yaml"
RECORDS_DIR = "records"

STANDARD = f"spec/{STANDARD_FILE}"
CODESETS = f"spec/{CODESETS_FILE}"
ERRATA = f"spec/{ERRATA_FILE}"
REGIONS = f"spec/{REGIONS_FILE}"
CURRENCIES = f"spec/{CURRENCIES_FILE}"


def record_file(key: str) -> str:
    return f"{RECORDS_DIR}/{key}.yaml"


def record_path(key: str) -> str:
    return f"spec/{record_file(key)}"
