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
    column = head.index(words.label("status"))
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
    reason = sheet.cell(row=2, column=head.index(words.label("unrated_reason")) + 1).value
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
