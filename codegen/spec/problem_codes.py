"""The machine codes of the problems generated validators report.

Their Chinese explanations are data in ``spec/standard.yaml`` (``problem_codes``);
the loader checks that every code here has one.
"""

from __future__ import annotations

PROBLEM_CODES = (
    "not_object",
    "unknown_field",
    "required",
    "type",
    "unencodable",
    "max_length",
    "minimum",
    "maximum",
    "code",
    "list_part",
    "datetime",
    "format",
    "required_if",
    "paired_lists",
    "check_digit",
    "id_number",
    "region",
    "region_abolished",
    "currency",
    "mobile",
    "zip",
    "url",
    "json",
    "negative",
    "order",
    "date_mismatch",
    "prefix",
)

# Problems the generated validators report in every profile: the checks and the
# senders after them rely on them (a lone surrogate cannot even be encoded), so the
# loader requires each to be a gateway-profile error.
EVERY_PROFILE = (
    "not_object",
    "unknown_field",
    "required",
    "type",
    "unencodable",
    "max_length",
    "minimum",
    "maximum",
    "code",
    "datetime",
)

# Domain checks a field may declare (spec field ``domain``), and the kind of
# value each applies to; the generated validators implement them (strict profile).
DOMAINS = {
    "uscc": "string",
    "region": "string",
    "currency": "string",
    "mobile": "string",
    "zip": "string",
    "url": "string",
    "json": "string",
    "non_negative": "number",
}

# Gateway outcomes the generated client and mock gateway refer to by id; their
# errCode and HTTP status are data in spec/standard.yaml (gateway.statuses).
STATUS_IDS = (
    "ok",
    "business_error",
    "reconciliation_mismatch",
    "bad_json",
    "wrong_shape",
    "batch_too_large",
    "invalid_record",
    "missing_header",
    "wrong_paasid",
    "stale_timestamp",
    "bad_signature",
    "not_found",
    "method_not_allowed",
    "length_required",
    "body_too_large",
    "unsupported_media_type",
    "too_many_requests",
    "internal_error",
    "unavailable",
)

# The problem code each domain check reports (its profile and severity are spec data).
DOMAIN_CODES = {
    "uscc": "check_digit",
    "region": "region",
    "currency": "currency",
    "mobile": "mobile",
    "zip": "zip",
    "url": "url",
    "json": "json",
    "non_negative": "negative",
}

# The problem code each rule kind reports; a rule that states no profile (older
# editions) is checked in that code's profile.
RULE_CODES = {
    "required_if": "required_if",
    "paired_lists": "paired_lists",
    "certificate_number": "id_number",
    "not_before": "order",
    "embedded_date": "date_mismatch",
    "prefix": "prefix",
    "non_negative": "negative",
}
