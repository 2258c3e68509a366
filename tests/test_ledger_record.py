"""Recording ledger events in a workspace: one at a time, and from planners' spreadsheets."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geoapp.ledger import (
    import_events,
    normalise_mode,
    normalise_stage,
    plot_area_limits,
    read_events,
    record_event,
)
from geoapp.store import open_workspace
from layers.errors import LayerError
from tests.conftest import squares

TODAY = date(2024, 3, 1)


@pytest.fixture
def ws(ws_target):
    """A workspace (GeoPackage, then PostGIS) with plots P1 (15 mu), P2 (60 mu), P3 (15 mu)
    and an empty ledger."""
    plots = squares([100, 200, 100], land_use=["M1"] * 3, status=["in_use"] * 3)
    open_workspace(ws_target).write_layers({"plots": plots})
    return ws_target


def events(path):
    return open_workspace(path).read("ledger")


def test_record_and_read_back(ws):
    out = record_event(ws, plot_id="P1", stage="identified", date="2023-01-10", today=TODAY)
    assert out["plot_id"] == "P1" and out["date"] == "2023-01-10" and out["mode"] is None
    assert out["plot_area_mu"] == pytest.approx(15.0)
    out = record_event(ws, plot_id="P1", stage="已盘活", date=date(2023, 5, 20), mode="低效腾退",
                       mu=12.5, note="签订收回协议", today=TODAY)
    assert (out["stage"], out["mode"], out["reclaimed_mu"]) == ("reclaimed", "vacate", 12.5)
    got = events(ws)
    assert got["plot_id"].tolist() == ["P1", "P1"]
    assert got["date"].tolist() == ["2023-01-10", "2023-05-20"]
    assert got["stage"].tolist() == ["identified", "reclaimed"]
    assert got["reclaimed_mu"].iloc[1] == 12.5
    assert pd.isna(got["reclaimed_mu"].iloc[0])  # stored as given: empty means the whole plot
    assert got["note"].iloc[1] == "签订收回协议"


def test_record_refuses_and_writes_nothing(ws):
    record_event(ws, plot_id="P1", stage="reclaimed", date="2023-05-20", mode="vacate",
                 today=TODAY)
    with pytest.raises(LayerError) as err:
        record_event(ws, plot_id="P1", stage="in_progress", date="2023-06-01", today=TODAY)
    assert "forward only" in str(err.value)
    with pytest.raises(LayerError) as err:
        record_event(ws, plot_id="P9", stage="reclaimed", date="2024-05-01", mu=70,
                     today=TODAY)
    columns = {p.column for p in err.value.problems}
    assert columns == {"plot_id", "date", "mode"}
    with pytest.raises(LayerError, match="larger than the plot"):
        record_event(ws, plot_id="P2", stage="reclaimed", date="2023-06-01", mode="acquire",
                     mu=61, today=TODAY)
    with pytest.raises(LayerError, match="mode is required"):
        record_event(ws, plot_id="P3", stage="reclaimed", date="2023-06-01", today=TODAY)
    with pytest.raises(LayerError, match="unknown stage"):
        record_event(ws, plot_id="P3", stage="暂停", date="2023-06-01", today=TODAY)
    assert len(events(ws)) == 1


def test_correction_is_a_new_event(ws):
    record_event(ws, plot_id="P2", stage="reclaimed", date="2023-05-20", mode="acquire",
                 today=TODAY)
    out = record_event(ws, plot_id="P2", stage="in_progress", date="2023-07-01",
                       note="更正: 误报, 尚在谈判", today=TODAY)
    assert out["correction"]
    assert events(ws)["stage"].tolist() == ["reclaimed", "in_progress"]  # history kept


def test_chinese_words():
    assert normalise_stage("在谈") == "in_progress"
    assert normalise_stage("已收储") == "reclaimed"
    assert normalise_stage("已导入项目") == "reused"
    assert normalise_stage(" Reclaimed ") == "reclaimed"
    assert normalise_stage("暂停") == "暂停"  # kept, so the checks can name it
    assert normalise_mode("整体租赁") == "lease"
    assert normalise_mode("合作开发") == "codevelop"
    assert normalise_mode(None) is None


def write_sheet(path, rows):
    frame = pd.DataFrame(rows)
    if str(path).endswith(".xlsx"):
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


SHEET = [
    {"地块编号": "P1", "企业名称": "某企业(合成)", "处置方式": "低效腾退", "当前状态": "已认定",
     "处置面积（亩）": None, "日期": "2023-01-05", "详细进展": "列入清单", "备注": None},
    {"地块编号": "P1", "企业名称": "某企业(合成)", "处置方式": None, "当前状态": "已腾退",
     "处置面积（亩）": 14.5, "日期": "2023/6/30", "详细进展": "完成腾退", "备注": None},
    {"地块编号": "P2", "企业名称": "某企业(合成)", "处置方式": "收储收购", "当前状态": "在谈",
     "处置面积（亩）": None, "日期": "2023-12-31", "详细进展": "收储谈判",
     "备注": "更正: 面积待测"},
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_chinese_spreadsheet(ws, tmp_path, suffix):
    sheet = write_sheet(tmp_path / f"events{suffix}", SHEET)
    assert import_events(ws, sheet, today=TODAY) == 3
    got = events(ws)
    assert got["stage"].tolist() == ["identified", "reclaimed", "in_progress"]
    assert got["mode"].tolist()[0] == "vacate" and pd.isna(got["mode"].iloc[1])
    assert got["date"].tolist() == ["2023-01-05", "2023-06-30", "2023-12-31"]
    assert got["reclaimed_mu"].iloc[1] == 14.5
    assert got["note"].tolist() == ["列入清单", "完成腾退", "更正: 面积待测; 收储谈判"]
    assert "企业名称" not in got.columns
    # importing the same, grown spreadsheet again adds only the new row
    grown = [*SHEET, {"地块编号": "P3", "当前状态": "已认定", "日期": "2024-01-02"}]
    write_sheet(tmp_path / f"events{suffix}", grown)
    assert import_events(ws, tmp_path / f"events{suffix}", today=TODAY) == 1
    assert len(events(ws)) == 4


def test_import_is_all_or_nothing_with_every_problem(ws, tmp_path):
    record_event(ws, plot_id="P3", stage="reclaimed", date="2023-03-01", mode="lease",
                 today=TODAY)
    rows = [
        {"地块编号": "P1", "当前状态": "推进中", "日期": "2023-02-01"},                 # fine
        {"地块编号": "P9", "当前状态": "推进中", "日期": "2023-02-01"},                 # row 3
        {"地块编号": "P2", "当前状态": "已盘活", "日期": "2023-02-30"},                 # row 4
        {"地块编号": "P3", "当前状态": "推进中", "日期": "2023-04-01"},                 # row 5
        {"地块编号": "P2", "当前状态": "暂停", "处置方式": "拍卖", "日期": "2023-05-01",
         "处置面积": "约20"},                                                          # row 6
        {"地块编号": "P1", "当前状态": "已盘活", "日期": "2030-01-01", "处置方式": "租赁"},  # row 7
    ]
    sheet = write_sheet(tmp_path / "bad.csv", rows)
    with pytest.raises(LayerError) as err:
        import_events(ws, sheet, today=TODAY)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(3, "plot_id"), (4, "date"), (5, "stage"), (6, "stage"), (6, "mode"),
                     (6, "reclaimed_mu"), (7, "date")}
    text = str(err.value)
    assert "row 3, id P9, column 'plot_id'" in text
    assert "unknown stage '暂停'" in text and "推进中" in text  # names the accepted words
    assert len(events(ws)) == 1  # nothing of the file was written


def test_import_without_date_column(ws, tmp_path):
    sheet = write_sheet(tmp_path / "status.csv", [{"地块编号": "P1", "当前状态": "在谈"}])
    with pytest.raises(LayerError, match="missing columns: date"):
        import_events(ws, sheet, today=TODAY)
    assert import_events(ws, sheet, default_date="2024-02-29", today=TODAY) == 1
    assert events(ws)["date"].tolist() == ["2024-02-29"]


def test_read_events_rows_are_excel_rows(tmp_path):
    sheet = write_sheet(tmp_path / "e.csv", SHEET)
    frame, rows, problems = read_events(sheet)
    assert rows == [2, 3, 4]
    assert problems == []
    assert frame.columns.tolist() == ["plot_id", "date", "stage", "mode", "reclaimed_mu", "note"]


def test_plot_area_limits_uses_the_larger_of_drawn_and_registered():
    plots = squares([100, 100], land_use=["M1"] * 2, status=["in_use"] * 2,
                    register_area_m2=[11_000.0, 9_000.0])
    limits = plot_area_limits(plots)
    assert limits.index.tolist() == ["P1", "P2"]
    assert limits["P1"] == pytest.approx(16.5)  # 11 000 m² registered
    assert limits["P2"] == pytest.approx(15.0)  # 10 000 m² drawn


def test_a_stale_expected_stage_is_refused(ws):
    record_event(ws, plot_id="P1", stage="identified", date="2023-01-10", today=TODAY)
    record_event(ws, plot_id="P1", stage="in_progress", date="2023-02-10", today=TODAY,
                 expect_stage="identified")
    with pytest.raises(LayerError) as err:
        record_event(ws, plot_id="P1", stage="reclaimed", date="2023-03-10", mode="vacate",
                     today=TODAY, expect_stage="identified")
    assert err.value.problems[0].column == "stage"
    assert "at stage 'in_progress' now, not 'identified'" in str(err.value)
    assert events(ws)["stage"].tolist() == ["identified", "in_progress"]
