"""needs.need(): a missing requirement skips a test outside CI and fails it in CI."""

from __future__ import annotations

import pytest

import needs


@pytest.mark.parametrize("in_ci", [False, True])
def test_missing_requirement_skips_outside_ci_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, in_ci: bool
) -> None:
    monkeypatch.setattr(needs, "IN_CI", in_ci)
    needs.need(True, "something present")  # returns quietly
    expected = pytest.fail.Exception if in_ci else pytest.skip.Exception
    with pytest.raises(expected, match="a thing") as info:
        needs.need(False, "a thing")
    assert ("CI must have" in str(info.value)) is in_ci
    with pytest.raises(expected, match="no-such-module"):
        needs.need_module("no_such_module_gdzw", "no-such-module")
    assert needs.need_module("json", "json").dumps([]) == "[]"
