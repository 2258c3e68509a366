"""One home for every word: the API of geoapp.words, and words that once disagreed now agree."""

from __future__ import annotations

import matplotlib.text
import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.grading import UNRATED_REASONS_ZH
from analysis.low_efficiency import REASON_LABELS_ZH
from geoapp import words
from geoapp.app import cards, tables
from geoapp.export import xlsx_report
from geoapp.sheets.render import render_sheet
from layers.schema import INDUSTRIES
from tests.conftest import squares
from tests.test_app_data import _data


def test_the_small_api():
    assert words.label("tax_per_mu") == "亩均税收(万元/亩)"
    assert words.label("tax_per_mu", "en") == "Tax per mu (10k CNY/mu)"
    assert words.label("tax_per_mu_growth") == "亩均税收增长率(%)"
    assert words.name("n_plots") == "地块数" and words.unit("n_plots", "en") == "plots"
    assert words.value("status", "in_use") == "在用"
    assert words.value("status", "in_use", "en") == "In use"
    assert words.value("stage", "reclaimed") == "已盘活"
    assert words.value("level", "municipal") == "市级"
    assert words.value("status", "vacant") == "vacant"  # unknown codes as given
    assert words.value("status", None) == "—"
    assert words.text("park_ranking") == "园区排名"
    assert words.text("park_ranking", "en") == "Park ranking"
    with pytest.raises(KeyError):
        words.text("no-such-word")
    s = pd.Series(["in_use", "idle", None])
    assert words.translate_values("status", s).tolist()[:2] == ["在用", "闲置"]
    assert words.translate_values("status", s, "en").isna().tolist() == [False, False, True]
    assert words.translate_values("status", s, "en").tolist()[:2] == ["In use", "Idle"]
    flags = pd.Series([True, False, pd.NA], dtype="boolean")
    assert words.translate_values("rated", flags).tolist()[:2] == ["是", "否"]


def test_domain_words_are_read_from_analysis_and_schema_not_typed_again():
    assert {c: words.value("industry", c) for c in INDUSTRIES} == INDUSTRIES
    assert {c: words.value("unrated_reason", c) for c in UNRATED_REASONS_ZH} == UNRATED_REASONS_ZH
    assert {c: words.value("reason", c) for c in REASON_LABELS_ZH} == REASON_LABELS_ZH
    # the indicator names of analysis.efficiency (研发经费投入强度 once said 研发投入强度)
    assert words.name("rd_intensity") == "研发经费投入强度"


def test_the_in_use_status_reads_the_same_in_the_xlsx_the_card_and_the_legend(tmp_path):
    plots = squares([100, 200], land_use=["M1"] * 2, status=["in_use", "idle"])
    data = _data(plots)
    card = dict(cards.plot_card(data, "P1", "zh")["facts"])
    low = plots.assign(status=["in_use", "idle"], reasons=["low_tax", "idle"])
    path = xlsx_report({"low_efficiency": low}, tmp_path / "report.xlsx")
    sheet = load_workbook(path)["低效用地清单"]
    head = [c.value for c in sheet[1]]
    column = head.index(words.label("status_name"))
    cells = [row[column].value for row in sheet.iter_rows(min_row=2)]
    assert card[words.name("status")] == cells[0] == words.value("status", "in_use") == "在用"
    assert cells[1] == "闲置"
    # the printed sheet's legend names layers and "no data" with the app's words
    evaluated = data.results["evaluation"].plots
    printed = render_sheet(evaluated, year=2023, layers=("plots", "low_efficiency"))
    texts = {t.get_text() for t in printed.figure.findobj(matplotlib.text.Text)}
    assert {words.layer_name("low_efficiency"), words.text("no_data")} <= texts


def test_an_unrated_firm_reads_chinese_in_the_export_and_on_the_card(tmp_path):
    plots = squares([100], land_use=["M1"], status=["in_use"])
    firms = pd.DataFrame({
        "ent_id": ["E1"], "name": ["新公司(合成)"], "credit_code": ["91310113SYNTH0009X"],
        "plot_id": ["P1"], "industry": ["ic"], "year": [2023], "scale": ["above"],
        "start_year": [2023], "output_wan": [100.0], "tax_wan": [5.0],
    })
    data = _data(plots, enterprises=firms)
    graded = data.table("evaluation", "enterprises")
    assert graded["unrated_reason"].tolist() == ["new"]
    path = xlsx_report({"evaluation": graded}, tmp_path / "report.xlsx")
    sheet = load_workbook(path)["综合评价"]
    head = [c.value for c in sheet[1]]
    reason = sheet.cell(row=2, column=head.index(words.label("unrated_reason_name")) + 1).value
    code = sheet.cell(row=2, column=head.index(words.label("unrated_reason_name")))
    assert code.value == "new"  # the code stays in its own column
    shown = tables.display_table(cards.plot_card(data, "P1", "zh")["enterprises"], "zh")
    assert reason == shown[words.label("unrated_reason")].iloc[0] == UNRATED_REASONS_ZH["new"]
    assert shown[words.label("industry")].iloc[0] == "集成电路"
    english = tables.display_table(cards.plot_card(data, "P1", "en")["enterprises"], "en")
    assert english["Industry"].iloc[0] == "Integrated circuits"


def test_low_efficiency_reasons_on_the_card_follow_the_language():
    plots = squares([100], land_use=["M1"], status=["idle"])
    data = _data(plots)
    zh = cards.plot_card(data, "P1", "zh")["reasons"]
    en = cards.plot_card(data, "P1", "en")["reasons"]
    assert "闲置" in zh and "Idle" in en


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    from geoapp.app import loading
    from geoapp.pipeline import build_demo_workspace

    path = tmp_path_factory.mktemp("words") / "demo.gpkg"
    build_demo_workspace(path, n_plots=400)
    return loading.load_app_data(str(path), loading.workspace_mtime(path))


def test_the_park_ranking_reads_like_a_planners_table(demo_data):
    raw = demo_data.table("evaluation", "park_ranking")
    view = tables.ranking_view(demo_data, "park", "zh")
    assert list(view.columns[:3]) == ["园区编号", "园区名称", "排名"]
    best = raw.sort_values("rank").iloc[0]
    assert view["园区编号"].iloc[0] == best["park_id"]
    assert view["园区名称"].iloc[0] == best["name"]  # 园区 names, not BS-P01 alone
    assert "亩均税收(万元/亩)" in view and "亩均税收增长率(%)" in view
    growth = view["亩均税收增长率(%)"]
    assert all(v == "—" or v.endswith("%") for v in growth)  # 7.6%, not 0.0755
    assert not view.isin(["None", "nan", "<NA>"]).any().any()
    tax = view["亩均税收(万元/亩)"].iloc[0]
    assert tax == f"{best['tax_per_mu']:,.2f}"
    english = tables.ranking_view(demo_data, "park", "en")
    assert list(english.columns[:3]) == ["Park id", "Park", "Rank"]
    met, with_target = tables.targets_met(raw)
    has = raw.filter(like="_growth_target").notna().any(axis=1)
    assert with_target == int(has.sum()) and met <= with_target


def test_town_ranking_names_towns_and_display_names_levels(demo_data):
    view = tables.ranking_view(demo_data, "town", "zh")
    assert view.columns[0] == "街镇代码" and view.columns[1] == "街镇名称"
    assert not view["街镇名称"].str.fullmatch(r"\d+").any()  # names, not 310113501
    parks = demo_data.layer("parks").drop(columns="geometry")[["park_id", "name", "level"]]
    shown = tables.display_table(parks, "zh")
    assert set(shown["园区级别"]) <= {"市级", "区级", "其他"}  # not municipal
    assert tables.format_number(0.0755, "tax_per_mu_growth") == "7.5%"
    assert tables.format_number(12, "n_plots") == "12"
    assert tables.format_number(float("nan"), "tax_per_mu") == "—"


def test_the_selection_xlsx_has_labelled_values_and_an_export_sheet(demo_data, tmp_path):
    from datetime import date

    import numpy as np

    from geoapp.app import downloads, filtering

    park = str(demo_data.plots["park_id"].dropna().iloc[0])
    filters = filtering.Filters(parks=(park,))
    mask = filtering.filter_mask(demo_data.plots, filters)
    assert 0 < mask.sum() < len(mask)
    book = tmp_path / "sel.xlsx"
    book.write_bytes(downloads.selection_xlsx(demo_data, mask, filters=filters,
                                              settings={"着色指标": "亩均税收(万元/亩)"}))
    wb = load_workbook(book)
    assert wb.sheetnames[0] == "产业地块" and "导出信息" in wb.sheetnames
    sheet = wb["产业地块"]
    head = [c.value for c in sheet[1]]
    assert {"地块状态代码", "地块状态名称", "园区编号", "园区名称"} <= set(head)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    status = {r[head.index("地块状态名称")] for r in rows}
    assert status <= {"在用", "闲置", "在建"}
    assert {r[head.index("地块状态代码")] for r in rows} <= {"in_use", "idle", "under_construction"}
    park_name = demo_data.layer("parks").set_index("park_id").loc[park, "name"]
    assert {r[head.index("园区名称")] for r in rows} == {park_name}
    info = {r[0]: r[1] for r in wb["导出信息"].iter_rows(min_row=2, values_only=True)}
    assert info["数据年份"] == str(demo_data.year)
    assert park_name in info["筛选"] and "园区" in info["筛选"]
    assert info["导出日期"] == date.today().isoformat()
    assert info["着色指标"] == "亩均税收(万元/亩)"
    assert info[words.name("n_plots")] == f"{int(np.sum(mask)):,}"
    gj = __import__("json").loads(downloads.selection_geojson(demo_data, mask, filters=filters))
    props = gj["features"][0]["properties"]
    assert props["status"] in {"in_use", "idle", "under_construction"}
    assert props["status_name"] == words.value("status", props["status"])
    assert gj["export"]["数据年份"] == str(demo_data.year)


def test_burnup_captions_name_the_scope_and_the_metric(demo_data):
    keys = sorted(demo_data.results["reclamation"].burnups)
    assert keys
    captions = [tables.burnup_caption(k, demo_data, "zh") for k in keys]
    assert all(":" not in c for c in captions)
    district = next(c for k, c in zip(keys, captions, strict=True) if k.startswith("district:"))
    assert district.split()[0].endswith("区")
    assert tables.burnup_caption("odd-key", demo_data) == "odd-key"


def test_the_report_says_year_filters_settings_and_date(tmp_path):
    from datetime import date

    from geoapp.export import about_rows

    rows = about_rows(year=2023, settings={"evaluation": {"preset": "huaian"}},
                      today=date(2024, 3, 1))
    path = xlsx_report({}, tmp_path / "report.xlsx", about=rows)
    info = {r[0]: r[1] for r in load_workbook(path)["说明"].iter_rows(values_only=True)}
    assert info["数据年份"] == "2023" and info["筛选"] == "全部"
    assert info["设置"] == "evaluation.preset = huaian" and info["导出日期"] == "2024-03-01"
