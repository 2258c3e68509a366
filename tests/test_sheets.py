"""Map sheets: PDF text, PNG content, scope, scale bar, fonts and the paper arithmetic."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from geoapp.sheets import layout
from geoapp.sheets.fonts import FONT_ENV, FontMissingError, find_cjk_font
from geoapp.sheets.inputs import parse_scope, sheet_inputs
from geoapp.sheets.render import make_sheet, render_sheet

BAOSHAN = "310113"
PT_PER_MM = 72 / 25.4

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="poppler-utils missing: run bash scripts/ensure_fonts.sh --test",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from geoapp.pipeline import build_demo_workspace, run_analysis
    from geoapp.workspace import Workspace

    path = tmp_path_factory.mktemp("sheets") / "demo.gpkg"
    build_demo_workspace(path, n_plots=600)
    ws = Workspace(path)
    layers = ws.read_all()
    plots = run_analysis(layers, year=2023, stages=("evaluation",))["evaluation"].plots
    context = {k: layers[k] for k in ("districts", "towns", "parks")}
    inputs = sheet_inputs(layers, metadata=ws.metadata(), provenance=ws.provenance())
    return {"plots": plots, "context": context, "inputs": inputs}


def _kw(demo, **kw):
    base = {"year": 2023, "as_of": "2024-03-31", "context": demo["context"],
            "synthetic": True, "sources": ["geoapp demo --seed 0 (SYNTHETIC)"]}
    return {**base, **kw}


def _pdftotext(path, *args):
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="module")
def baoshan_pdf(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "baoshan.pdf"
    sheet = render_sheet(demo["plots"], scope=f"district:{BAOSHAN}", **_kw(demo))
    from geoapp.sheets.render import save_sheet

    save_sheet(sheet, out)
    return out, sheet


@needs_poppler
def test_pdf_has_title_units_scale_crs_and_synthetic_note(baoshan_pdf):
    path, sheet = baoshan_pdf
    text = _pdftotext(path)
    assert "宝山区 亩均税收 2023" in text
    assert "亩均税收(万元/亩)" in text
    assert "WGS 84 / UTM zone 51N (EPSG:32651)" in text
    assert "合成演示数据" in text
    assert "2024-03-31" in text
    assert f"1:{sheet.scale:,.0f}" in text
    bar = sheet.scale_bar
    words = text.split()
    for label in bar.labels:
        assert label in words
    assert "m" in words
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (w, h) == pytest.approx((420 * PT_PER_MM, 297 * PT_PER_MM), abs=0.5)  # A3 landscape


@needs_poppler
def test_pdf_text_is_vector_not_an_image(baoshan_pdf):
    path, _ = baoshan_pdf
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout
    assert "WenQuanYi" in fonts or "Noto" in fonts
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    assert len(images) <= 2  # header lines only: the map is vector paths


def test_scale_bar_length_is_its_label_at_the_map_scale(baoshan_pdf):
    _, sheet = baoshan_pdf
    ax, fig, bar = sheet.map_ax, sheet.figure, sheet.scale_bar
    # Axes transform: data metres → display pixels at fig.dpi → PDF points (72 per inch).
    (x0, _), (x1, _) = ax.transData.transform([(bar.x0, bar.y0), (bar.x0 + bar.length_m,
                                                                   bar.y0)])
    bar_pt = (x1 - x0) * 72 / fig.dpi
    expected_pt = bar.length_m / sheet.scale * 1000 * PT_PER_MM
    assert bar_pt == pytest.approx(expected_pt, rel=1e-6)
    # The map's scale is the same in x and y (no stretched degrees).
    (ax0, ay0), (ax1, ay1) = ax.transData.transform([(0, 0), (1000, 1000)])
    assert (ax1 - ax0) == pytest.approx(ay1 - ay0, rel=1e-6)
    # Round numbers: 1, 2 or 5 × 10^n metres, labels in metres.
    mantissa = bar.length_m / 10 ** np.floor(np.log10(bar.length_m))
    assert mantissa in (1.0, 2.0, 5.0)
    assert bar.labels == ("0", layout.format_metres(bar.length_m / 2),
                          layout.format_metres(bar.length_m))


@needs_poppler
def test_scale_bar_labels_in_the_pdf_sit_one_bar_length_apart(baoshan_pdf):
    path, sheet = baoshan_pdf
    bar = sheet.scale_bar
    html = _pdftotext(path, "-bbox")
    boxes = [(float(a), float(b), float(c), w) for a, b, c, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)</word>',
        html)]
    half = [b for b in boxes if b[3] == bar.labels[1]]
    full = [b for b in boxes if b[3] == bar.labels[2]]
    pairs = [(h, f) for h in half for f in full if abs(h[1] - f[1]) < 0.5]
    assert len(pairs) == 1
    h, f = pairs[0]
    distance_pt = (f[0] + f[2]) / 2 - (h[0] + h[2]) / 2
    expected_pt = bar.length_m / 2 / sheet.scale * 1000 * PT_PER_MM
    assert distance_pt == pytest.approx(expected_pt, abs=1.0)


def test_scope_clips_to_the_district(demo, baoshan_pdf):
    _, sheet = baoshan_pdf
    plots = demo["plots"]
    in_baoshan = set(plots.loc[plots["district_code"] == BAOSHAN, "plot_id"].astype(str))
    assert set(plots["district_code"].dropna()) > {BAOSHAN}  # the data has other districts
    assert set(sheet.plot_ids) == in_baoshan
    low = plots[(plots["district_code"] == BAOSHAN) & plots["low_efficiency"]]
    assert set(sheet.low_efficiency_ids) == set(low["plot_id"].astype(str))
    assert sheet.scope.name == "宝山区"
    # The whole district is in the frame.
    xmin, xmax = sheet.map_ax.get_xlim()
    ymin, ymax = sheet.map_ax.get_ylim()
    bx0, by0, bx1, by1 = sheet.scope.shape.bounds
    assert xmin < bx0 < bx1 < xmax
    assert ymin < by0 < by1 < ymax
    sheet.figure.clear()


def test_park_scope_and_english(demo, tmp_path):
    park = "BS-P01"
    sheet = render_sheet(demo["plots"], scope=f"park:{park}", size="A4", orient="portrait",
                         lang="en", **_kw(demo))
    plots = demo["plots"]
    assert set(sheet.plot_ids) == set(plots.loc[plots["park_id"] == park, "plot_id"])
    assert sheet.title.endswith("Tax per mu 2023")
    w, h = sheet.figure.get_size_inches() * 25.4
    assert (w, h) == pytest.approx((210, 297))


def test_legend_is_the_apps_legend_over_all_plots(demo, baoshan_pdf):
    from geoapp.app.symbology import make_legend

    _, sheet = baoshan_pdf
    app = make_legend(demo["plots"], "tax_per_mu", "quantiles")
    assert sheet.legend == app


def test_png_map_frame_is_not_blank(demo, tmp_path):
    from matplotlib.image import imread

    out = make_sheet(demo["plots"], out=tmp_path / "sheet.png", size="A4", **_kw(demo))
    img = imread(out)
    assert img.shape[:2] == pytest.approx((210 / 25.4 * 300, 297 / 25.4 * 300), abs=1)  # 300 dpi
    left, bottom, width, height = layout.frames("A4", "landscape").map.fraction((297, 210))
    rows, cols = img.shape[:2]
    r0, r1 = int((1 - bottom - height) * rows) + 5, int((1 - bottom) * rows) - 5
    c0, c1 = int(left * cols) + 5, int((left + width) * cols) - 5
    frame = img[r0:r1, c0:c1, :3]
    assert frame.std() > 0.05
    assert (frame.mean(axis=2) < 0.9).mean() > 0.01  # some of the frame is drawn on


@needs_poppler
def test_no_synthetic_note_for_real_data(demo, tmp_path):
    out = make_sheet(demo["plots"], out=tmp_path / "real.pdf", size="A4",
                     **_kw(demo, synthetic=False, sources=["区经委 2023 亩均评价"]))
    text = _pdftotext(out)
    assert "合成演示数据" not in text
    assert "区经委 2023 亩均评价" in text


def test_bad_arguments_name_the_choices(demo, tmp_path):
    plots = demo["plots"]
    with pytest.raises(ValueError, match="district:CODE"):
        parse_scope("310113")
    with pytest.raises(ValueError, match="known"):
        render_sheet(plots, scope="district:999999", **_kw(demo))
    with pytest.raises(ValueError, match="A3"):
        make_sheet(plots, out=tmp_path / "x.pdf", size="A0", **_kw(demo))
    with pytest.raises(ValueError, match="low_efficiency"):
        render_sheet(plots, layers=("plots", "roads"), **_kw(demo))
    with pytest.raises(ValueError, match="expected one of"):
        render_sheet(plots, metric="nope", **_kw(demo))
    with pytest.raises(ValueError, match=r"\.pdf"):
        make_sheet(plots, out=tmp_path / "x.jpg", **_kw(demo))


def test_missing_font_names_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv(FONT_ENV, raising=False)
    with pytest.raises(FontMissingError, match="fonts-wqy-zenhei"):
        find_cjk_font((str(tmp_path / "none.ttc"),))
    real = find_cjk_font()
    monkeypatch.setenv(FONT_ENV, str(real))
    assert find_cjk_font((str(tmp_path / "none.ttc"),)) == real


def test_sheet_inputs_from_the_workspace(demo):
    inputs = demo["inputs"]
    assert inputs["synthetic"] is True
    assert set(inputs["context"]) == {"districts", "towns", "zones", "parks"}
    assert inputs["sources"] == [
        "districts: geoapp demo --seed 0 --plots 600 (SYNTHETIC) (bundled AMap district "
        "boundaries, GCJ-02 converted to WGS84)",
        "towns, zones, parks, plots, enterprises: geoapp demo --seed 0 --plots 600 (SYNTHETIC)",
    ]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", inputs["as_of"])


@pytest.mark.parametrize("metric", ["grade", "tax_per_mu_growth", "output_per_mu"])
def test_other_metrics_use_the_apps_classes(demo, metric):
    from geoapp.app.symbology import METRICS, make_legend

    plots = demo["plots"]
    sheet = render_sheet(plots, metric=metric, scope=f"district:{BAOSHAN}",
                         layers=("districts", "plots"), **_kw(demo))
    assert sheet.legend == make_legend(plots, metric, "quantiles")
    assert sheet.title == f"宝山区 {METRICS[metric].zh} 2023"
    assert sheet.low_efficiency_ids == []  # layer switched off
    sheet.figure.clear()


def test_whole_workspace_sheet_from_sheet_inputs(demo, tmp_path):
    inputs = dict(demo["inputs"])
    sheet = render_sheet(demo["plots"], year=2023, size="A4", layers=("districts", "zones",
                                                                      "plots"), **inputs)
    assert len(sheet.plot_ids) == len(demo["plots"])
    assert sheet.scope.name == "宝山区、金山区"
    sheet.figure.clear()


# -- paper arithmetic -------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "orient", "page"), [
    ("A3", "landscape", (420, 297)), ("A3", "portrait", (297, 420)),
    ("A4", "landscape", (297, 210)), ("A4", "portrait", (210, 297)),
])
def test_frames_fit_the_page_without_overlap(size, orient, page):
    f = layout.frames(size, orient)
    assert f.page == page
    boxes = [f.title, f.map, f.legend, f.notes]
    for b in boxes:
        assert 0 < b.x < b.x + b.w < page[0]
        assert 0 < b.y < b.y + b.h < page[1]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap_x = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
            overlap_y = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
            assert overlap_x <= 1e-9 or overlap_y <= 1e-9


def test_map_scale_is_round_and_fits():
    frame = layout.Box(0, 0, 200, 100)  # 200 mm × 100 mm
    # 30 km × 10 km: needs 1:150 000 across (plus 4 % margins each side: 1:162 000 → 1:200 000).
    scale = layout.map_scale((0, 0, 30_000, 10_000), frame)
    assert scale == 200_000
    xmin, xmax, ymin, ymax = layout.map_limits((0, 0, 30_000, 10_000), frame, scale)
    assert (xmax - xmin, ymax - ymin) == pytest.approx((40_000, 20_000))
    assert (xmin + xmax) / 2 == pytest.approx(15_000)
    assert layout.map_scale((0, 0, 1000, 1000), frame, margin=0) == 10_000  # 1 km in 100 mm
    assert layout.map_scale((0, 0, 100, 100), frame) == 1_250  # 104 m in 100 mm: 1:1 040


def test_scale_bar_length_is_one_two_or_five():
    assert layout.scale_bar_length(200, 200_000) == 5_000  # 20 % of 40 km = 8 km → 5 km
    assert layout.scale_bar_length(200, 50_000) == 2_000   # 2 km
    assert layout.scale_bar_length(100, 10_000) == 200     # 200 m
    assert layout.paper_mm(5_000, 200_000) == pytest.approx(25.0)
    assert layout.format_scale(50_000) == "1:50,000"


def test_wrap_breaks_long_lines_under_the_width():
    text = "数据来源:" + "; ".join(["区经委 2023 亩均效益评价汇总表"] * 4)
    lines = layout.wrap(text, 60, 8.5)
    assert len(lines) > 1
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(layout.text_width_mm(line, 8.5) <= 60 for line in lines)


def test_sheet_command_writes_a_district_sheet_from_stored_results(demo_workspace, tmp_path,
                                                                    capsys):
    import shutil
    import subprocess

    from geoapp.cli import main
    from geoapp.workspace import Workspace

    ws = tmp_path / "ws.gpkg"
    shutil.copy(demo_workspace, ws)
    Workspace(ws).write_settings({})  # whatever other tests set, the defaults here
    out = tmp_path / "baoshan.pdf"
    assert main(["sheet", str(ws), "--out", str(out), "--scope", "district:310113"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "宝山区 亩均税收 2023" in text and "合成演示数据" in text
    assert main(["sheet", str(ws), "--out", str(out), "--scope", "district:999"]) == 2
    assert "known: ['310113', '310116']" in capsys.readouterr().err
