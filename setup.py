"""The build compiles the message catalogs: grader/locale/*/LC_MESSAGES/grader.po → grader.mo.

pyproject.toml holds everything else; this file exists only for that build step, so
`pip install .`, `pip install -e .` and the student wheel carry compiled catalogs.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_catalogs(build_py):
    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path(__file__).resolve().parent.glob("grader/locale/*/LC_MESSAGES/*.po")):
            with po.open("rb") as source:
                catalog = read_po(source)
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalog)
        super().run()


setup(cmdclass={"build_py": build_py_with_catalogs})
