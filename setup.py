"""Ships the generated package inside the tool's wheel (everything else is in pyproject.toml).

``codegen validate``, ``send``, ``outbox`` and ``vendor`` outside a project use the package
the tool was built with. A non-editable install has no checkout beside it, so the build
copies ``generated/python/gdzw_uppro`` to ``codegen/_shipped/generated/python/gdzw_uppro``
in the wheel (codegen/project.py looks there). An editable install reads the checkout's.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PACKAGE_DIR = Path("generated") / "python" / "gdzw_uppro"
SHIPPED = Path("codegen") / "_shipped" / "generated" / "python" / "gdzw_uppro"


class BuildPyShippingThePackage(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        if not (PACKAGE_DIR / "__init__.py").is_file():
            raise SystemExit(f"{PACKAGE_DIR} is missing: run `codegen build` before building")
        for source in sorted(PACKAGE_DIR.rglob("*")):
            if source.is_dir() or "__pycache__" in source.parts or source.suffix == ".pyc":
                continue
            target = Path(self.build_lib) / SHIPPED / source.relative_to(PACKAGE_DIR)
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyShippingThePackage})
