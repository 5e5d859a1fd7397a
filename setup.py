"""Ships the generated package and the templates inside the tool's wheel (everything else
is in pyproject.toml).

``codegen validate``, ``send``, ``outbox`` and ``vendor`` outside a project use the package
the tool was built with, and ``codegen build`` and ``validate --report`` render the
templates. A non-editable install has no checkout beside it, so the build copies
``generated/python/gdzw_uppro`` to ``codegen/_shipped/generated/python/gdzw_uppro`` and
``templates/`` to ``codegen/_shipped/templates`` in the wheel (codegen/project.py and
codegen/build_cache.py look there). An editable install reads the checkout's.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PACKAGE_DIR = Path("generated") / "python" / "gdzw_uppro"
TEMPLATES_DIR = Path("templates")
SHIPPED_ROOT = Path("codegen") / "_shipped"
# What the wheel carries beside the codegen package: source folder -> folder in the wheel.
SHIPPED = {
    PACKAGE_DIR: SHIPPED_ROOT / "generated" / "python" / "gdzw_uppro",
    TEMPLATES_DIR: SHIPPED_ROOT / "templates",
}


class BuildPyShippingThePackage(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        if not (PACKAGE_DIR / "__init__.py").is_file():
            raise SystemExit(f"{PACKAGE_DIR} is missing: run `codegen build` before building")
        for folder, shipped in SHIPPED.items():
            for source in sorted(folder.rglob("*")):
                if source.is_dir() or "__pycache__" in source.parts or source.suffix == ".pyc":
                    continue
                target = Path(self.build_lib) / shipped / source.relative_to(folder)
                self.mkpath(str(target.parent))
                self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyShippingThePackage})
