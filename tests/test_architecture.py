"""Imports flow streamlit_app → geoapp → analysis → layers; analysis never does I/O.

Each rule is a small ast check on the files themselves, and each has a test showing the check
catches a violation.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUR_PACKAGES = {"geoapp", "analysis", "layers"}
ANALYSIS_MAY_IMPORT = {"layers.schema", "layers.units", "layers.crs", "layers.errors"}
FORBIDDEN_IN_ANALYSIS = {"geoapp", "streamlit", "folium", "pyogrio", "rasterio", "streamlit_folium",
                         "layers.io", "layers.validate", "sqlite3", "openpyxl", "requests",
                         "urllib"}
UI_PACKAGES = {"streamlit", "streamlit_folium"}
IO_FUNCTIONS = {"open"}
"""Functions (called by name) that touch files."""
IO_METHODS = {"open", "write_text", "write_bytes", "mkdir", "touch", "unlink", "rmdir",
              "to_file", "to_csv", "to_parquet", "to_excel", "read_file", "read_csv",
              "read_parquet", "read_excel"}
"""Methods that touch files: pathlib writes and the pandas/geopandas readers and writers."""
MAX_LINES = 600


def imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def analysis_import_violations(path):
    bad = []
    for mod in imports(path):
        top = mod.split(".")[0]
        forbidden = mod in FORBIDDEN_IN_ANALYSIS or top in FORBIDDEN_IN_ANALYSIS
        io_layer = top == "layers" and mod not in ANALYSIS_MAY_IMPORT | {"layers"}
        if forbidden or io_layer:
            bad.append(mod)
    return bad


def io_calls(path):
    """Calls in ``path`` that read or write files, as ``"line: name"``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in IO_FUNCTIONS:
            found.append(f"{node.lineno}: {f.id}")
        elif isinstance(f, ast.Attribute) and f.attr in IO_METHODS:
            found.append(f"{node.lineno}: .{f.attr}")
    return found


def app_shell_violations(path):
    """Our packages other than ``geoapp`` that the app shell imports."""
    return [m for m in imports(path)
            if m.split(".")[0] in OUR_PACKAGES and m.split(".")[0] != "geoapp"]


def ui_imports(path):
    return [m for m in imports(path) if m.split(".")[0] in UI_PACKAGES]


def too_long(path, limit=MAX_LINES):
    n = len(path.read_text(encoding="utf-8").splitlines())
    return n > limit, n


def geoapp_files():
    return sorted((ROOT / "geoapp").rglob("*.py"))


def test_analysis_imports_only_vocabulary_and_libraries():
    bad = [f"{f.name}: {m}" for f in sorted((ROOT / "analysis").glob("*.py"))
           for m in analysis_import_violations(f)]
    assert bad == []


def test_analysis_does_no_io():
    bad = [f"{f.name}:{c}" for f in sorted((ROOT / "analysis").glob("*.py")) for c in io_calls(f)]
    assert bad == []


def test_layers_never_import_the_application():
    bad = [f"{f.name}: {m}" for f in (ROOT / "layers").glob("*.py") for m in imports(f)
           if m.split(".")[0] in ("geoapp", "analysis", "streamlit", "folium")]
    assert bad == []


def test_the_app_shell_imports_only_geoapp_among_ours():
    assert app_shell_violations(ROOT / "streamlit_app.py") == []


def test_geoapp_never_imports_streamlit():
    bad = [f"{f.relative_to(ROOT)}: {m}" for f in geoapp_files() for m in ui_imports(f)]
    assert bad == []


def test_every_geoapp_module_is_short():
    bad = [f"{f.relative_to(ROOT)}: {n} lines" for f in geoapp_files()
           for long, n in [too_long(f)] if long]
    assert bad == []


def test_the_rule_catches_a_violation(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("import pyogrio\nfrom layers.io import read_layer\n")
    assert list(imports(f)) == ["pyogrio", "layers.io"]


def test_the_analysis_import_rule_catches_network_and_database_imports(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("import urllib.request\nimport requests\nimport sqlite3\n"
                 "from layers.schema import PLOTS\n")
    assert analysis_import_violations(f) == ["urllib.request", "requests", "sqlite3"]


def test_the_io_rule_catches_file_access(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("from pathlib import Path\n"
                 "def f(df):\n"
                 "    with open('a.csv') as fh:\n"
                 "        fh.read()\n"
                 "    Path('b.txt').write_text('x')\n"
                 "    df.to_csv('c.csv')\n"
                 "    return df.rename(columns=str)\n")
    assert sorted(io_calls(f)) == ["3: open", "5: .write_text", "6: .to_csv"]


def test_the_app_shell_rule_catches_analysis_and_layers(tmp_path):
    f = tmp_path / "app.py"
    f.write_text("import streamlit as st\nfrom geoapp import maps\n"
                 "def ui():\n    from analysis.projects import projects_by_stage\n"
                 "import layers.io\n")
    assert sorted(app_shell_violations(f)) == ["analysis.projects", "layers.io"]


def test_the_streamlit_rule_catches_a_violation(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("import folium\nfrom streamlit_folium import st_folium\n"
                 "def f():\n    import streamlit as st\n")
    assert sorted(ui_imports(f)) == ["streamlit", "streamlit_folium"]


def test_the_length_rule_catches_a_long_module(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("x = 1\n" * (MAX_LINES + 1))
    assert too_long(f) == (True, MAX_LINES + 1)
    f.write_text("x = 1\n" * MAX_LINES)
    assert too_long(f) == (False, MAX_LINES)


STAGES_DIR = ROOT / "geoapp" / "stages"


def stage_imports(path):
    """Other stages a stage module imports (``geoapp.stages`` helpers are allowed)."""
    own = path.stem
    found = []
    for mod in imports(path):
        parts = mod.split(".")
        if parts[:2] == ["geoapp", "stages"] and len(parts) > 2 and parts[2] != own:
            found.append(mod)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):  # from geoapp.stages import evaluation
        if isinstance(node, ast.ImportFrom) and node.module == "geoapp.stages":
            found += [f"geoapp.stages.{a.name}" for a in node.names
                      if (STAGES_DIR / f"{a.name}.py").exists() and a.name != own]
    return found


def test_stages_never_import_each_other():
    bad = [f"{f.name}: {m}" for f in sorted(STAGES_DIR.glob("*.py")) if f.stem != "__init__"
           for m in stage_imports(f)]
    assert bad == []


def test_the_stage_rule_catches_a_violation(tmp_path):
    stages = tmp_path / "stages"
    stages.mkdir()
    f = stages / "clusters.py"
    f.write_text("from geoapp.stages.evaluation import derive_plots\n"
                 "from geoapp.stages import layer\n")
    assert stage_imports(f) == ["geoapp.stages.evaluation"]


CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
"""CJK characters, their punctuation (、，。：；) and full-width forms."""
WORDS_HOMES = ("geoapp/words/", "geoapp/demo/")
"""Where Chinese text may be typed in geoapp: the words and the synthetic demo data."""


def cjk_literals(path):
    """String literals with Chinese in ``path``, as ``"line: text"``; docstrings excluded.

    A docstring is any string that stands alone as a statement (module, class, function and
    attribute docstrings): it is never shown to a planner.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    return [f"{node.lineno}: {node.value[:40]}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docs and CJK.search(node.value)]


def test_every_word_a_planner_reads_lives_in_geoapp_words():
    files = [f for f in geoapp_files()
             if not f.relative_to(ROOT).as_posix().startswith(WORDS_HOMES)]
    bad = [f"{f.relative_to(ROOT)}:{hit}" for f in [*files, ROOT / "streamlit_app.py"]
           for hit in cjk_literals(f)]
    assert bad == []


def test_the_words_rule_catches_a_chinese_literal(tmp_path):
    f = tmp_path / "x.py"
    f.write_text('"""模块说明 is a docstring."""\n'
                 "X = 1\n"
                 '"""属性说明: an attribute docstring."""\n'
                 "def f(lang):\n"
                 '    """函数说明."""\n'
                 "    # 注释 is a comment\n"
                 '    sep = "、"\n'
                 '    return f"{lang}：" + "plain English"\n')
    assert cjk_literals(f) == ["7: 、", "8: ："]
