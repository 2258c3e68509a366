"""Imports flow streamlit_app → geoapp → analysis → layers; analysis never does I/O."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS_MAY_IMPORT = {"layers.schema", "layers.units", "layers.crs", "layers.errors"}
FORBIDDEN_IN_ANALYSIS = {"geoapp", "streamlit", "folium", "pyogrio", "rasterio", "streamlit_folium",
                         "layers.io", "layers.validate", "sqlite3", "openpyxl"}


def imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_analysis_imports_only_vocabulary_and_libraries():
    bad = []
    for f in sorted((ROOT / "analysis").glob("*.py")):
        for mod in imports(f):
            top = mod.split(".")[0]
            forbidden = mod in FORBIDDEN_IN_ANALYSIS or top in FORBIDDEN_IN_ANALYSIS
            io_layer = top == "layers" and mod not in ANALYSIS_MAY_IMPORT | {"layers"}
            if forbidden or io_layer:
                bad.append(f"{f.name}: {mod}")
    assert bad == []


def test_layers_never_import_the_application():
    bad = [f"{f.name}: {m}" for f in (ROOT / "layers").glob("*.py") for m in imports(f)
           if m.split(".")[0] in ("geoapp", "analysis", "streamlit", "folium")]
    assert bad == []


def test_the_rule_catches_a_violation(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("import pyogrio\nfrom layers.io import read_layer\n")
    assert list(imports(f)) == ["pyogrio", "layers.io"]
