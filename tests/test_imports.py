"""Tests share code through tests/support/ alone: no test module, conftest or
helper imports another test module (or a conftest), so each can be moved,
run or deleted on its own."""

import ast
from pathlib import Path
from typing import Iterator, Tuple

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def imported_modules(path: Path) -> Iterator[Tuple[int, str]]:
    """(line, module) for each import in ``path``; a relative import is given
    with its leading dots."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module in (None, "tests"):  # from tests import x: x is the module
                for alias in node.names:
                    yield node.lineno, f"{module}.{alias.name}".replace("..", ".")
            else:
                yield node.lineno, module


def allowed(module: str) -> bool:
    if module.startswith("."):
        return False  # relative: a sibling test module or conftest
    if module != "tests" and not module.startswith("tests."):
        return True
    return module == "tests.support" or module.startswith("tests.support.")


def test_tests_import_helpers_from_tests_support_only():
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 40
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in files
        for line, module in imported_modules(path)
        if not allowed(module)
    ]
    assert not wrong, "import from tests/support/ instead:\n" + "\n".join(wrong)


def test_the_rule_sees_the_imports_it_forbids(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from tests.conftest import x\nimport tests.e2e.conftest\n"
        "from . import conftest\nfrom tests import cluster\n"
        "from tests.support.servers import say\nimport requests\n"
    )
    assert [allowed(m) for _, m in imported_modules(sample)] == [
        False,
        False,
        False,
        False,
        True,
        True,
    ]
