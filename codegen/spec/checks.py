"""Cross-reference and consistency checks over the parsed spec documents.

Shape errors are caught while binding; these checks need the whole spec (a
field naming a code set, a rule naming a field, an alias clashing with another
after case-folding). Every check appends; none stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from codegen.spec import naming, patterns
from codegen.spec.derived import reconciliation_codeset
from codegen.spec.documents import CodeSetDoc, FieldDoc, RecordDoc, RuleDoc, SpecDocs
from codegen.spec.errors import SpecProblem
from codegen.spec.paths import CODESETS, ERRATA, STANDARD, record_path
from codegen.spec.problem_codes import DOMAINS, EVERY_PROFILE, PROBLEM_CODES, STATUS_IDS
from codegen.spec.suggest import closest, did_you_mean, hint
from codegen.spec.wire_types import Kind, parse_wire_type

SEPARATORS = ("^", ";")


@dataclass
class _Checker:
    docs: SpecDocs
    for_build: bool = True
    problems: list[SpecProblem] = field(default_factory=list)

    def add(self, file: str, path: str, message: str) -> None:
        self.problems.append(SpecProblem(file, path, message))

    def unique(self, file: str, path: str, items: Iterable[tuple[str, str]], what: str) -> None:
        """``items`` are (item path, value); reports each value seen before (case-folded)."""
        seen: dict[str, str] = {}
        for item_path, value in items:
            folded = value.casefold()
            if folded in seen:
                self.add(
                    file, f"{path}{item_path}", f"{what} {value!r} 重复（与 {seen[folded]} 相同）"
                )
            else:
                seen[folded] = item_path


def check_docs(docs: SpecDocs, *, for_build: bool = True) -> list[SpecProblem]:
    """Every problem in the documents. ``for_build=False`` (a spec that is only read, as
    ``codegen diff`` reads an older edition) leaves out what only generating needs: a
    description for each problem code today's validators report."""
    checker = _Checker(docs, for_build=for_build)
    _check_standard(checker)
    codesets = _check_codesets(checker)
    derived = reconciliation_codeset(docs.records)
    if derived.id in codesets:
        checker.add(
            CODESETS,
            "codesets",
            f"代码集 id {derived.id!r} 由记录文件的 reconciliation_table 生成，不能另行定义",
        )
    codesets[derived.id] = derived
    formats = {f.id for f in docs.standard.formats}
    class_names: dict[str, str] = {cs.python_name: CODESETS for cs in docs.codesets.codesets}
    tables: dict[str, str] = {}
    for record in docs.records:
        _check_record(checker, record, codesets, formats, class_names, tables)
    _check_errata(checker)
    return checker.problems


def _check_standard(c: _Checker) -> None:
    std = c.docs.standard
    for i, key in enumerate(std.records):
        if not naming.is_snake_identifier(key):
            c.add(STANDARD, f"records[{i}]", f"记录键 {key!r} 应为小写 ASCII 标识符")
    c.unique(STANDARD, "records", ((f"[{i}]", k) for i, k in enumerate(std.records)), "记录键")

    expanded: dict[str, str] = {}
    for i, frag in enumerate(std.fragments):
        path = f"fragments[{i}]<{frag.id}>.pattern"
        expanded_pattern = _expand_checked(c, STANDARD, path, frag.pattern, expanded)
        if expanded_pattern is not None:
            expanded[frag.id] = expanded_pattern
    c.unique(STANDARD, "fragments", ((f"[{i}]", f.id) for i, f in enumerate(std.fragments)), "id")
    for i, fmt in enumerate(std.formats):
        _expand_checked(c, STANDARD, f"formats[{i}]<{fmt.id}>.pattern", fmt.pattern, expanded)
        if not fmt.label.strip():
            c.add(STANDARD, f"formats[{i}]<{fmt.id}>.label", "缺少中文名称")
    c.unique(STANDARD, "formats", ((f"[{i}]", f.id) for i, f in enumerate(std.formats)), "id")
    _expand_checked(c, STANDARD, "datetime.pattern", std.datetime.pattern, expanded)

    gw = std.gateway
    for i, env in enumerate(gw.environments):
        if not env.api_root.startswith("https://") or env.api_root.endswith("/"):
            c.add(
                STANDARD, f"gateway.environments[{i}].api_root", "应以 https:// 开头且不以 / 结尾"
            )
    c.unique(STANDARD, "gateway.environments", _ids(gw.environments), "id")
    c.unique(STANDARD, "gateway.operations", _ids(gw.operations), "id")
    c.unique(
        STANDARD,
        "gateway.headers",
        ((f"[{i}]", h.name) for i, h in enumerate(gw.headers)),
        "请求头",
    )
    if not gw.path_prefix.startswith("/") or gw.path_prefix.endswith("/"):
        c.add(STANDARD, "gateway.path_prefix", "应以 / 开头且不以 / 结尾")
    if gw.batch_max_records < 1:
        c.add(STANDARD, "gateway.batch_max_records", "应为正整数")
    if gw.body_max_bytes < 1024:
        c.add(STANDARD, "gateway.body_max_bytes", "应不小于 1024")
    if gw.reply_max_bytes is not None and gw.reply_max_bytes < 1024:
        c.add(STANDARD, "gateway.reply_max_bytes", "应不小于 1024")
    if (gw.reply_max_bytes is None) != (gw.reply_max_bytes_reason is None):
        c.add(STANDARD, "gateway.reply_max_bytes_reason", "应与 reply_max_bytes 同时给出或同时省略")
    for i, part in enumerate(gw.signature.concatenation):
        if part not in ("timestamp", "token", "nonce"):
            c.add(STANDARD, f"gateway.signature.concatenation[{i}]", f"未知的签名要素 {part!r}")

    c.unique(STANDARD, "gateway.statuses", _ids(gw.statuses), "id")
    c.unique(
        STANDARD,
        "gateway.statuses",
        ((f"[{i}].err_code", st.err_code) for i, st in enumerate(gw.statuses)),
        "errCode",
    )
    by_id = {st.id: st for st in gw.statuses}
    for status_id in sorted(set(STATUS_IDS) - set(by_id)):
        c.add(STANDARD, "gateway.statuses", f"缺少状态 {status_id!r}（模拟网关与客户端要用到）")
    for i, st in enumerate(gw.statuses):
        if not 100 <= st.http_status <= 599:
            c.add(STANDARD, f"gateway.statuses[{i}]<{st.id}>.http_status", "应为 100–599")
    ok = by_id.get("ok")
    if ok is not None and (ok.err_code != gw.success_code or ok.http_status != 200):
        c.add(STANDARD, "gateway.statuses", f"ok 应为 errCode {gw.success_code!r} 与 HTTP 200")

    defined = [p.code for p in std.problem_codes]
    c.unique(
        STANDARD, "problem_codes", ((f"[{i}]", code) for i, code in enumerate(defined)), "code"
    )
    for code in sorted(set(PROBLEM_CODES) - set(defined)) if c.for_build else ():
        c.add(STANDARD, "problem_codes", f"缺少问题代码 {code!r} 的中文说明")
    for i, problem in enumerate(std.problem_codes):
        if problem.code not in PROBLEM_CODES:
            c.add(
                STANDARD,
                f"problem_codes[{i}]",
                f"未知的问题代码 {problem.code!r}（校验器不会产生它）",
            )
        elif problem.code in EVERY_PROFILE and (
            problem.profile != "gateway" or problem.severity != "error"
        ):
            c.add(
                STANDARD,
                f"problem_codes[{i}]<{problem.code}>",
                "每个配置都报告此问题（其余检查依赖它），profile 应为 gateway、severity 应为 error",
            )


def _expand_checked(
    c: _Checker, file: str, path: str, pattern: str, fragments: dict[str, str]
) -> str | None:
    unknown = [name for name in patterns.references(pattern) if name not in fragments]
    for name in unknown:
        c.add(file, path, f"引用了未定义（或定义在其后）的片段 ${{{name}}}")
    for reason in patterns.portability_problems(pattern):
        c.add(file, path, f"不可移植的正则写法：{reason}")
    if unknown:
        return None
    expanded = patterns.expand(pattern, fragments)
    error = patterns.compile_problem(expanded)
    if error:
        c.add(file, path, error)
        return None
    return expanded


def _check_codesets(c: _Checker) -> dict[str, CodeSetDoc]:
    sets = c.docs.codesets.codesets
    c.unique(CODESETS, "codesets", _ids(sets), "id")
    c.unique(
        CODESETS,
        "codesets",
        ((f"[{i}].python_name", s.python_name) for i, s in enumerate(sets)),
        "类名",
    )
    for i, cs in enumerate(sets):
        base = f"codesets[{i}]<{cs.id}>"
        if not naming.is_snake_identifier(cs.id):
            c.add(CODESETS, f"{base}.id", "应为小写 ASCII 标识符")
        if not naming.is_class_name(cs.python_name):
            c.add(CODESETS, f"{base}.python_name", f"{cs.python_name!r} 不是合法的类名")
        if not cs.codes:
            c.add(CODESETS, f"{base}.codes", "代码集为空")
        c.unique(
            CODESETS, f"{base}.codes", ((f"[{j}]", k.code) for j, k in enumerate(cs.codes)), "代码"
        )
        members = [
            (f"[{j}].python_name", k.python_name or naming.default_member_name(k.code))
            for j, k in enumerate(cs.codes)
        ]
        c.unique(CODESETS, f"{base}.codes", members, "成员名")
        for j, code in enumerate(cs.codes):
            cpath = f"{base}.codes[{j}]<{code.code}>"
            if (
                not code.code
                or code.code != code.code.strip()
                or any(s in code.code for s in SEPARATORS)
            ):
                c.add(CODESETS, f"{cpath}.code", "代码不能为空、含首尾空白或分隔符 ^ ;")
            if not code.label.strip():
                c.add(CODESETS, f"{cpath}.label", "缺少中文名称")
            if code.python_name is not None and not naming.is_member_name(code.python_name):
                c.add(
                    CODESETS,
                    f"{cpath}.python_name",
                    f"{code.python_name!r} 不是合法的成员名（大写）",
                )
    return {cs.id: cs for cs in sets}


def _check_record(
    c: _Checker,
    record: RecordDoc,
    codesets: dict[str, CodeSetDoc],
    formats: set[str],
    class_names: dict[str, str],
    tables: dict[str, str],
) -> None:
    file = record_path(record.key)
    if not naming.is_class_name(record.python_name):
        c.add(file, "python_name", f"{record.python_name!r} 不是合法的类名")
    elif record.python_name in class_names:
        c.add(
            file,
            "python_name",
            f"类名 {record.python_name!r} 已被 {class_names[record.python_name]} 使用",
        )
    else:
        class_names[record.python_name] = file
    if record.reconciliation_table is not None:
        if record.reconciliation_table in tables:
            c.add(file, "reconciliation_table", f"与 {tables[record.reconciliation_table]} 重复")
        tables[record.reconciliation_table] = file

    if not record.fields:
        c.add(file, "fields", "记录没有字段")
    c.unique(
        file, "fields", ((f"[{i}].name", f.name) for i, f in enumerate(record.fields)), "字段名"
    )
    py_names = [
        (f"[{i}].python_name", f.python_name or naming.snake_case(f.name))
        for i, f in enumerate(record.fields)
    ]
    c.unique(file, "fields", py_names, "Python 属性名")
    by_name = {f.name: f for f in record.fields}
    labels = {f.label: f.name for f in record.fields}
    former_seen: dict[str, str] = {}

    for i, f in enumerate(record.fields):
        path = f"fields[{i}]<{f.name}>"
        for j, former in enumerate(f.former_labels):
            where = f"{path}.former_labels[{j}]"
            if not former.strip():
                c.add(file, where, "旧中文名称不能为空")
            elif former in labels:
                c.add(file, where, f"旧中文名称 {former!r} 与字段 {labels[former]} 的中文名称相同")
            elif former in former_seen:
                c.add(file, where, f"旧中文名称 {former!r} 已是字段 {former_seen[former]} 的旧名称")
            else:
                former_seen[former] = f.name
        if not naming.is_identifier(f.name):
            c.add(file, f"{path}.name", "字段名应为 ASCII 标识符")
        if not f.label.strip():
            c.add(file, f"{path}.label", "缺少中文名称 (missing label)")
        if f.python_name is not None and not naming.is_snake_identifier(f.python_name):
            c.add(file, f"{path}.python_name", f"{f.python_name!r} 不是合法的 snake_case 属性名")
        wire = parse_wire_type(f.type)
        if wire is None:
            c.add(
                file,
                f"{path}.type",
                f"无法识别的类型 {f.type!r}{_type_hint(f.type)}；"
                "应为 String(n)、Int(n)、Long(n)、Double(n) 或 DateTime",
            )
            continue
        if wire.is_numeric:
            if f.minimum is None or f.maximum is None:
                c.add(
                    file,
                    path,
                    f"数值字段须写明 minimum 与 maximum（{f.type} 允许 {wire.admissible_range()}）",
                )
            else:
                low, high = wire.admissible_range()
                if not low <= f.minimum <= f.maximum <= high:
                    c.add(
                        file,
                        path,
                        f"取值范围 [{f.minimum}, {f.maximum}] 超出 {f.type} 允许的 [{low}, {high}]",
                    )
        elif f.minimum is not None or f.maximum is not None:
            c.add(file, path, f"{f.type} 不是数值类型，不应有 minimum/maximum")
        if f.codeset is not None:
            cs = codesets.get(f.codeset)
            if cs is None:
                c.add(
                    file,
                    f"{path}.codeset",
                    f"未知的代码集 {f.codeset!r}{did_you_mean(f.codeset, codesets)}",
                )
            elif wire.kind is not Kind.STRING:
                c.add(file, f"{path}.codeset", "只有 String 字段可以引用代码集")
            else:
                too_long = [k.code for k in cs.codes if len(k.code) > wire.size]
                if too_long and f.separator is None:
                    c.add(file, f"{path}.codeset", f"代码 {too_long} 超出字段长度 {wire.size}")
        if f.format is not None and f.format not in formats:
            c.add(
                file, f"{path}.format", f"未知的格式 {f.format!r}{did_you_mean(f.format, formats)}"
            )
        if f.domain is not None:
            wanted = DOMAINS.get(f.domain)
            if wanted is None:
                c.add(
                    file,
                    f"{path}.domain",
                    f"未知的领域校验 {f.domain!r}{did_you_mean(f.domain, DOMAINS)}；"
                    f"应为 {', '.join(DOMAINS)} 之一",
                )
            elif (wanted == "number") != wire.is_numeric or wire.kind is Kind.DATETIME:
                c.add(file, f"{path}.domain", f"领域校验 {f.domain} 不适用于 {f.type}")
        if f.separator is not None:
            if f.separator not in SEPARATORS:
                c.add(file, f"{path}.separator", f"分隔符应为 {' 或 '.join(SEPARATORS)}")
            if wire.kind is not Kind.STRING:
                c.add(file, f"{path}.separator", "只有 String 字段可以有多个取值")

    c.unique(file, "rules", _ids(record.rules), "规则 id")
    for i, rule in enumerate(record.rules):
        path = f"rules[{i}]<{rule.id}>"
        _check_provenance(c, file, path, rule)
        if rule.kind == "required_if":
            if rule.field is None or not rule.when or rule.fields:
                c.add(file, path, "required_if 规则须有 field 和 when，且不应有 fields")
            if rule.field is not None and rule.field not in by_name:
                c.add(
                    file,
                    f"{path}.field",
                    f"未知字段 {rule.field!r}{did_you_mean(rule.field, by_name)}",
                )
            for j, cond in enumerate(rule.when):
                cpath = f"{path}.when[{j}]"
                target = by_name.get(cond.field)
                if target is None:
                    c.add(
                        file,
                        f"{cpath}.field",
                        f"未知字段 {cond.field!r}{did_you_mean(cond.field, by_name)}",
                    )
                    continue
                if cond.op == "present":
                    if cond.values:
                        c.add(file, f"{cpath}.values", "present 条件不应有 values")
                    continue
                if not cond.values:
                    c.add(file, f"{cpath}.values", f"{cond.op} 条件须列出取值")
                if cond.op == "any_part_in" and target.separator is None:
                    c.add(
                        file, f"{cpath}.op", f"字段 {cond.field} 不是多值字段，不能用 any_part_in"
                    )
                cs = codesets.get(target.codeset or "")
                if cs is not None:
                    known = {k.code for k in cs.codes}
                    for value in cond.values:
                        if value not in known:
                            c.add(file, f"{cpath}.values", f"{value!r} 不在代码集 {cs.id} 中")
        elif rule.kind == "non_negative":
            _check_non_negative_rule(c, file, path, rule, by_name)
        else:
            _check_pair_rule(c, file, path, rule, by_name, codesets)


def _check_provenance(c: _Checker, file: str, path: str, rule: RuleDoc) -> None:
    """A quote says where it stands in the text; an editors' rule says why it exists (and
    may name the lines it builds on)."""
    if rule.origin == "text":
        if not rule.lines:
            c.add(file, f"{path}.lines", "出自原文的规则须给出所引原文的行号 (lines)")
        if rule.reason is not None:
            c.add(file, f"{path}.reason", "出自原文的规则不写 reason；编者规则才写理由")
    elif rule.origin == "editor":
        if rule.reason is None or not rule.reason.strip():
            c.add(file, f"{path}.reason", "编者规则须写明理由 (reason)")
    elif rule.lines or rule.reason is not None:
        c.add(file, f"{path}.origin", "写了 lines 或 reason 的规则须注明 origin（text 或 editor）")
    for j, line in enumerate(rule.lines):
        if line < 1:
            c.add(file, f"{path}.lines[{j}]", "行号应为正整数")


def _check_non_negative_rule(
    c: _Checker, file: str, path: str, rule: RuleDoc, by_name: dict[str, FieldDoc]
) -> None:
    if rule.field is not None or rule.when or not rule.fields:
        c.add(file, path, "non_negative 规则须有至少一个 fields，且不应有 field/when")
    if rule.id_types or rule.uscc_types or rule.offset is not None:
        c.add(file, path, "non_negative 规则不应有 id_types/uscc_types/offset")
    for j, name in enumerate(rule.fields):
        target = by_name.get(name)
        if target is None:
            c.add(file, f"{path}.fields[{j}]", f"未知字段 {name!r}{did_you_mean(name, by_name)}")
            continue
        wire = parse_wire_type(target.type)
        if wire is not None and not wire.is_numeric:
            c.add(file, f"{path}.fields[{j}]", f"字段 {name} 不是数值类型（{target.type}）")


def _check_pair_rule(
    c: _Checker,
    file: str,
    path: str,
    rule: RuleDoc,
    by_name: dict[str, FieldDoc],
    codesets: dict[str, CodeSetDoc],
) -> None:
    """Rules over fields: paired_lists, certificate_number, not_before, embedded_date (two
    fields each), prefix (the field checked, then one or more prefixes)."""
    if rule.kind == "prefix":
        if rule.field is not None or rule.when or len(rule.fields) < 2:
            c.add(
                file,
                path,
                "prefix 规则须有至少两个 fields（被检字段与可作前缀的字段），且不应有 field/when",
            )
            return
    elif rule.field is not None or rule.when or len(rule.fields) != 2:
        c.add(file, path, f"{rule.kind} 规则须恰有两个 fields，且不应有 field/when")
        return
    targets = []
    for j, name in enumerate(rule.fields):
        target = by_name.get(name)
        if target is None:
            c.add(file, f"{path}.fields[{j}]", f"未知字段 {name!r}{did_you_mean(name, by_name)}")
        else:
            targets.append(target)
    if rule.kind != "certificate_number" and (rule.id_types or rule.uscc_types):
        c.add(file, path, "只有 certificate_number 规则可以有 id_types/uscc_types")
    if rule.kind != "embedded_date" and rule.offset is not None:
        c.add(file, path, "只有 embedded_date 规则可以有 offset")
    if len(targets) != len(rule.fields):
        return
    first, second = targets[:2]
    kinds = [parse_wire_type(t.type) for t in targets]
    if None in kinds:
        return  # the field's unparsable type is reported already; nothing to compare
    is_datetime = [k is not None and k.kind is Kind.DATETIME for k in kinds]
    if rule.kind == "paired_lists":
        for j, target in enumerate(targets):
            if target.separator is None:
                c.add(file, f"{path}.fields[{j}]", f"字段 {target.name} 不是多值字段")
        if first.separator != second.separator:
            c.add(file, f"{path}.fields", "成对字段的分隔符不一致")
    elif rule.kind == "certificate_number":
        cs = codesets.get(first.codeset or "")
        if cs is None:
            c.add(file, f"{path}.fields[0]", f"字段 {first.name} 应引用证件类型代码集")
        else:
            known = {k.code for k in cs.codes}
            for value in (*rule.id_types, *rule.uscc_types):
                if value not in known:
                    c.add(file, path, f"{value!r} 不在代码集 {cs.id} 中")
        if first.separator != second.separator:
            c.add(file, f"{path}.fields", "证件类型与号码的分隔符不一致")
        if not (rule.id_types or rule.uscc_types):
            c.add(file, path, "certificate_number 规则须列出 id_types 或 uscc_types")
    elif rule.kind == "not_before":
        if not all(is_datetime):
            c.add(file, f"{path}.fields", "not_before 规则的两个字段都应为 DateTime")
    elif rule.kind == "embedded_date":
        width = kinds[0].size if kinds[0] is not None else 0
        if rule.offset is None or rule.offset < 0 or rule.offset + 8 > width:
            c.add(
                file, f"{path}.offset", f"offset 应使 8 位日期落在 {first.name} 的长度 {width} 之内"
            )
        if not is_datetime[1] or is_datetime[0]:
            c.add(file, f"{path}.fields", "embedded_date 规则应为（字符串字段，DateTime 字段）")
    elif rule.kind == "prefix":
        if any(is_datetime):
            c.add(file, f"{path}.fields", "prefix 规则的两个字段都应为字符串")


def _check_errata(c: _Checker) -> None:
    errata = c.docs.errata.errata
    records = {r.key: r for r in c.docs.records}
    c.unique(ERRATA, "errata", _ids(errata), "id")
    aliases: dict[str, dict[str, str]] = {key: {} for key in records}
    for key, record in records.items():
        for f in record.fields:
            aliases[key][f.name.casefold()] = f"字段 {f.name}"
    for i, erratum in enumerate(errata):
        base = f"errata[{i}]<{erratum.id}>"
        if not erratum.places:
            c.add(ERRATA, f"{base}.places", "至少列出一处原文")
        if not erratum.resolution.strip():
            c.add(ERRATA, f"{base}.resolution", "缺少处理决定")
        reversal = (erratum.reversed_in, erratum.previously, erratum.reversal_reason)
        if any(v is not None for v in reversal) and not all(
            v is not None and str(v).strip() for v in reversal
        ):
            c.add(
                ERRATA,
                base,
                "改判须同时写明 reversed_in（改判的版次）、previously（原决定）与 reversal_reason（理由）",
            )
        edition = c.docs.standard.transcription.edition
        if erratum.reversed_in is not None and not 1 < erratum.reversed_in <= edition:
            c.add(
                ERRATA,
                f"{base}.reversed_in",
                f"改判版次应在 2 到当前版次 {edition} 之间",
            )
        for j, alias in enumerate(erratum.aliases):
            apath = f"{base}.aliases[{j}]<{alias.alias}>"
            target = records.get(alias.record)
            if target is None:
                c.add(
                    ERRATA,
                    f"{apath}.record",
                    f"未知的记录类型 {alias.record!r}{did_you_mean(alias.record, records)}",
                )
                continue
            if alias.field not in {f.name for f in target.fields}:
                known_fields = [f.name for f in target.fields]
                c.add(
                    ERRATA,
                    f"{apath}.field",
                    f"{alias.record} 没有字段 {alias.field!r}{did_you_mean(alias.field, known_fields)}",
                )
            if not naming.is_identifier(alias.alias):
                c.add(ERRATA, f"{apath}.alias", "别名应为 ASCII 标识符")
            folded = alias.alias.casefold()
            clash = aliases[alias.record].get(folded)
            if clash is not None:
                c.add(ERRATA, f"{apath}.alias", f"别名 {alias.alias!r} 忽略大小写后与 {clash} 冲突")
            else:
                aliases[alias.record][folded] = f"别名 {alias.alias}"


def _type_hint(text: str) -> str:
    """“Did you mean” for a type: its name matched against the known kinds, its size kept."""
    name, _, rest = text.strip().partition("(")
    kind = closest(name.strip(), [k.value for k in Kind])
    if kind is None:
        return ""
    size = rest.rstrip(")").strip() or "n"
    guess = kind if kind == Kind.DATETIME.value else f"{kind}({size})"
    return hint(guess) if guess != text else ""


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def _ids(items: Iterable[_HasId]) -> Iterable[tuple[str, str]]:
    return ((f"[{i}].id", item.id) for i, item in enumerate(items))
