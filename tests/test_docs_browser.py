"""The OpenAPI file in Swagger UI and Redoc, and the HTML reference, opened in a real
(headless) browser.

Swagger UI comes from a PyPI package (swagger-ui-py ships its static files), Redoc from npm
(redoc's standalone bundle, pinned in tools/lint); each is served with generated/openapi.json
from 127.0.0.1, and nothing is fetched from the network (other hosts do not resolve).
Screenshots go to tmp_path, or to $GDZW_SCREENSHOTS (e.g. docs/screenshots) when set,
which is how the copies in docs/screenshots/ are made.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from browser import CHROMIUM, CHROMIUM_NEEDED, load_page, screenshot, serve
from codegen.cli.main import main
from codegen.model.types import Model
from needs import need
from node_tools import need_package
from report_data import phone_name, write_dataset


@pytest.fixture(autouse=True)
def chromium() -> None:
    need(CHROMIUM is not None, CHROMIUM_NEEDED)


# console.error re-marked so Chromium's log (every console call at INFO) tells it apart,
# with failed loads and unhandled rejections reported through it.
MARK_ERRORS = """<script>
(function () {
  var error = console.error;
  console.error = function () {
    console.log("[console.error] " + Array.prototype.map.call(arguments, String).join(" "));
    error.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    if (e.target && e.target !== window) {
      console.error("Failed to load " + (e.target.src || e.target.href));
    }
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    console.error("Uncaught (in promise) " + e.reason);
  });
})();
</script>"""

# The host page Swagger UI's own dist would use, with the online validator off.
HOST_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>GDZW 0003-2019 OpenAPI</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="swagger-ui.css">
{MARK_ERRORS}
</head>
<body>
<div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
</script>
</body>
</html>
"""

# Redoc's standalone bundle as its README embeds it, without the Google Fonts link (the
# system's fonts instead); the callback reports a spec Redoc could not read. Redoc 2.5 puts
# the Redocly logo from cdn.redoc.ly in its sidebar's footer whatever the options (and hides
# it when it fails to load); the page gives it an empty local image instead, so it asks no
# other host for anything.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GDZW 0003-2019 OpenAPI (Redoc)</title>
<link rel="icon" href="data:,">
<style>body {{ margin: 0; padding: 0; }}</style>
{MARK_ERRORS}
<script>
(function () {{
  var local = function (value) {{
    return value === "{REDOC_LOGO}"
      ? "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"
      : value;
  }};
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {{
    return setAttribute.call(this, name, name === "src" ? local(value) : value);
  }};
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {{
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {{ src.set.call(this, local(value)); }}
  }});
}})();
</script>
</head>
<body>
<div id="redoc"></div>
<script src="redoc.standalone.js"></script>
<script>
Redoc.init("openapi.json", {{}}, document.getElementById("redoc"), function (error) {{
  if (error) {{
    console.error("Redoc could not render openapi.json: " + error);
  }}
}});
</script>
</body>
</html>
"""


def _swagger_static() -> Path:
    spec = importlib.util.find_spec("swagger_ui")
    need(
        spec is not None and bool(spec.submodule_search_locations),
        "swagger-ui-py (in the test extra: pip install -e '.[test]')",
    )
    assert spec is not None and spec.submodule_search_locations
    return Path(list(spec.submodule_search_locations)[0]) / "static"


def _screenshots(tmp_path: Path) -> Path:
    return Path(os.environ.get("GDZW_SCREENSHOTS") or tmp_path / "screenshots")


def test_swagger_ui_shows_all_operations_without_errors(
    project: Path, model: Model, tmp_path: Path
) -> None:
    static = _swagger_static()
    bundle = static / "swagger-ui-bundle.js"
    version = re.search(rb'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle.read_bytes())
    assert version is not None and int(version.group(1)) >= 5, "Swagger UI 5+ reads OpenAPI 3.1"
    site = tmp_path / "site"
    site.mkdir()
    for name in ("swagger-ui.css", "swagger-ui-bundle.js"):
        shutil.copy(static / name, site / name)
    shutil.copy(project / "generated" / "openapi.json", site / "openapi.json")
    (site / "index.html").write_text(HOST_PAGE, encoding="utf-8")

    with serve(site) as (base, failed_requests):
        page = load_page(f"{base}/index.html", tmp_path / "profile")
        screenshot(
            f"{base}/index.html", tmp_path / "profile", _screenshots(tmp_path) / "swagger-ui.png"
        )

    assert not page.console_errors, page.console_errors
    assert not failed_requests
    operations = re.findall(
        r'<div class="opblock opblock-post[^"]*" id="operations-([^"]+)"', page.dom
    )
    expected = [f"{e.record_key}-{e.operation_id}" for e in model.endpoints]
    assert sorted(operations) == sorted(expected)
    assert len(expected) == 16
    assert model.version in page.dom  # the version badge next to the title
    assert 'class="error-wrapper"' not in page.dom  # Swagger UI's errors-and-warnings panel


def test_redoc_shows_all_operations_without_errors(
    project: Path, model: Model, tmp_path: Path
) -> None:
    bundle = need_package("redoc") / "bundles" / "redoc.standalone.js"
    assert REDOC_LOGO in bundle.read_text(encoding="utf-8")  # else the page's stand-in is stale
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(bundle, site / "redoc.standalone.js")
    shutil.copy(project / "generated" / "openapi.json", site / "openapi.json")
    (site / "index.html").write_text(REDOC_PAGE, encoding="utf-8")

    with serve(site) as (base, failed_requests):
        page = load_page(f"{base}/index.html", tmp_path / "profile")
        # Tall enough for the introduction and the first operation with its example.
        screenshot(
            f"{base}/index.html",
            tmp_path / "profile",
            _screenshots(tmp_path) / "redoc.png",
            size="1280,3600",
        )

    assert not page.console_errors, page.console_errors
    assert not failed_requests
    operations = set(re.findall(r'id="operation/([^"]+)"', page.dom))
    assert operations == {e.operation_id for e in model.endpoints}
    assert len(operations) == 16
    for endpoint in model.endpoints:
        assert endpoint.summary in page.dom
    for record in model.records:
        assert f"#/components/schemas/{record.python_name}" not in page.dom  # every $ref resolved
    assert f"({model.version})" in page.dom  # the version beside the title
    assert "Something went wrong" not in page.dom  # Redoc's error screen


def test_reference_page_shows_every_record_type(
    project: Path, model: Model, tmp_path: Path
) -> None:
    url = (project / "generated" / "docs" / "index.html").as_uri()
    page = load_page(url, tmp_path / "profile")
    screenshot(url, tmp_path / "profile", _screenshots(tmp_path) / "reference.png")
    assert not page.console_errors, page.console_errors
    for record in model.records:
        assert f'id="record-{record.key}"' in page.dom
        assert record.label in page.dom
    assert f'<strong id="version">{model.version}</strong>' in page.dom


def test_validate_report_page_shows_charts_with_chinese_labels(
    project: Path, pkg: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the report names files as given: data/accept.jsonl
    write_dataset(pkg, tmp_path / "data")
    report = tmp_path / "report.html"
    args = ["--root", str(project), "validate", "data", "--profile", "strict", "-q"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 2, result.output  # the dataset holds an unreadable line
    url = report.as_uri()
    page = load_page(url, tmp_path / "profile")
    screenshot(
        url, tmp_path / "profile", _screenshots(tmp_path) / "validate-report.png", "1280,2600"
    )
    assert not page.console_errors, page.console_errors
    assert page.dom.count('<svg class="chart"') == 4
    assert page.dom.count("<rect ") >= 10
    for text in (
        "数据质量报告",
        "问题（按规则）",
        "问题（按字段）",
        "最常见的问题值",
        "跨记录问题",
    ):
        assert text in page.dom
    assert "受理状态代码 SLZTDM · accept" in page.dom
    assert "记录唯一标识重复" in page.dom
    assert str(phone_name(1)) not in page.dom  # personal values masked
