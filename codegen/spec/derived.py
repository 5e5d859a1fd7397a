"""Spec data derived from other spec data, defined once for the loader and model."""

from __future__ import annotations

from codegen.spec.documents import CodeDoc, CodeSetDoc, RecordDoc

# 表 17 Table_name draws from the table names the record files declare, so a
# corrected table name is one edit in that record's file.
RECONCILIATION_CODESET = "reconciliation_table"
INFERRED_MARK = "（推定）"


def reconciliation_codeset(records: tuple[RecordDoc, ...]) -> CodeSetDoc:
    codes = tuple(
        CodeDoc(
            code=r.reconciliation_table,
            label=r.label + "表" + (INFERRED_MARK if r.reconciliation_table_inferred else ""),
            python_name=r.key.upper(),
        )
        for r in records
        if r.reconciliation_table is not None
    )
    return CodeSetDoc(
        id=RECONCILIATION_CODESET,
        name="对账业务表",
        clause="表 17 Table_name",
        table="表 17",
        python_name="ReconciliationTable",
        codes=codes,
    )
