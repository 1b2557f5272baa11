"""The import contract in pyproject.toml holds (import-linter)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    r = subprocess.run([exe], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "broken" not in r.stdout.lower() or "0 broken" in r.stdout.lower()


def test_core_imports_only_the_standard_library():
    import ast

    allowed_prefixes = ("qualcode.core", "__future__")
    stdlib = set(sys.stdlib_module_names)
    for path in (REPO / "qualcode" / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for n in names:
                    assert n.startswith(allowed_prefixes) or n.split(".")[0] in stdlib, f"{path}: {n}"


# --- the UI calls the services it imports: no lookups by name, no reflection -------------------
REFLECT = {"getattr", "hasattr", "vars", "dir"}


def _lookup_problems(source: str, where: str = "<snippet>") -> list[str]:
    """Places where UI code looks a service up by name or inspects one, instead of importing
    and calling it (what import-linter cannot see)."""
    import ast

    tree = ast.parse(source)
    problems: list[str] = []
    service_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module in ("importlib", "inspect"):
                problems.append(f"{where}:{node.lineno}: imports from {node.module} (reflection)")
            elif node.module == "qualcode":
                service_names |= {a.asname or a.name for a in node.names if a.name == "services"}
            elif node.module == "qualcode.services":
                service_names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in ("importlib", "inspect"):
                    problems.append(f"{where}:{node.lineno}: imports {a.name} (reflection)")
                elif a.name.startswith("qualcode.services"):
                    service_names.add(a.asname or a.name.split(".")[0])

    def root(expr) -> str | None:
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        return expr.id if isinstance(expr, ast.Name) else None

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
        if name == "__import__":
            problems.append(f"{where}:{node.lineno}: __import__")
        if name in REFLECT and node.args and root(node.args[0]) in service_names:
            problems.append(f"{where}:{node.lineno}: {name}() on a services module")
    return problems


def _allowed_dynamic_import(path: Path, source: str) -> str:
    """ui/app.py imports its own page modules by name (qualcode.ui.pages.*); nothing else may."""
    if path.name == "app.py" and path.parent.name == "ui":
        return source.replace("import importlib\n", "")
    return source


def test_ui_never_looks_a_service_up_by_name():
    problems = []
    for path in sorted((REPO / "qualcode" / "ui").rglob("*.py")):
        source = _allowed_dynamic_import(path, path.read_text(encoding="utf-8"))
        problems += _lookup_problems(source, str(path.relative_to(REPO)))
    assert not problems, "\n".join(problems)
    app = (REPO / "qualcode" / "ui" / "app.py").read_text(encoding="utf-8")
    assert app.count("importlib.import_module(") == 1 and 'f"qualcode.ui.pages.' in app


def test_the_lookup_check_catches_each_way_of_looking_up():
    bad = {
        "import importlib\nm = importlib.import_module('qualcode.services.suggest')": "importlib",
        "from importlib import import_module": "importlib",
        "import inspect\ninspect.signature(f)": "inspect",
        "from qualcode.services import suggest\nfn = getattr(suggest, 'explain', None)": "getattr",
        "from qualcode import services\nok = hasattr(services.codebook, 'undo_codebook')": "hasattr",
        "from qualcode.services import export as ex\nnames = dir(ex)": "dir",
        "m = __import__('qualcode.services.export')": "__import__",
    }
    for source, word in bad.items():
        got = _lookup_problems(source)
        assert got and word in got[0], (source, got)
    assert _lookup_problems("from qualcode.services import suggest\nsuggest.explain(ctx, 1)\n"
                            "x = getattr(st, 'error')") == []
