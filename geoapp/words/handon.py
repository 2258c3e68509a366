"""Words of what planners hand on.

The printed sheet button, the year comparison, the area summary and the measurement tool
(``key → (zh, en)``), and the comparison files' columns.
"""

from __future__ import annotations

from analysis.efficiency import LABELS_ZH as INDICATOR_ZH
from geoapp.words.columns import Label

HANDON_TEXT: dict[str, tuple[str, str]] = {
    "page_title": ("产业用地一张图", "Industrial land map"),
    "tab_failed": ("这一页出错了,其余页面仍可使用", "This tab failed; the other tabs still work"),
    # print sheet
    "print_sheet": ("打印图纸", "Print sheet"),
    "paper": ("纸张", "Paper"),
    "make_sheet": ("生成 PDF 图纸", "Make the PDF sheet"),
    "download_sheet": ("下载 PDF 图纸", "Download the PDF sheet"),
    "sheet_scope": ("范围", "Scope"),
    "sheet_all": ("全部地块", "All plots"),
    # year comparison
    "compare": ("年度对比", "Year comparison"),
    "compare_with": ("对比年份", "Compare with"),
    "compare_none": ("不对比", "No comparison"),
    "change_indicator": ("变化指标", "Change of"),
    "change_kind": ("变化方式", "Change as"),
    "change_abs": ("绝对变化", "Absolute"),
    "change_pct": ("变化率", "Percent"),
    "change_centre": ("色带中心", "Centre the colours on"),
    "centre_zero": ("零", "Zero"),
    "centre_target": ("目标增速", "Target growth"),
    "change_legend": ("变化图例", "Change legend"),
    "change_of": ("较", "vs"),
    "moved_class": ("等级变化的地块", "Plots that moved class"),
    "park_trend": ("历年亩均指标", "Per-mu figures, every year"),
    # area summary and measurement
    "area_summary": ("区域汇总", "Area summary"),
    "area_source": ("汇总范围", "Summarise"),
    "area_drawn": ("地图上绘制的范围", "The area drawn on the map"),
    "area_draw_hint": ("用地图左上角的矩形或多边形工具绘制范围,或选择镇/园区",
                       "Draw a rectangle or polygon with the tools at the map's top left, "
                       "or pick a town or park"),
    "measure": ("量测", "Measurement"),
    "measure_length": ("长度", "Length"),
    "measure_area": ("面积", "Area"),
    "mu": ("亩", "mu"),
    "export_area_geojson": ("导出范围内地块 GeoJSON", "Export the area's plots (GeoJSON)"),
    "export_area_xlsx": ("导出范围内地块 Excel", "Export the area's plots (XLSX)"),
}
"""App words of the hand-on features (merged into :data:`geoapp.words.TEXT`)."""

_CHANGE_ZH = "变化"
_BASE_ZH = "(基准年)"

HANDON_COLUMNS: dict[str, Label] = {
    **{f"{m}_change": Label(f"{INDICATOR_ZH[m]}{_CHANGE_ZH}", "万元/亩",
                            f"change of {m.replace('_', ' ')} on the base year",
                            name_en=f"{m.replace('_', ' ').capitalize()} change")
       for m in ("tax_per_mu", "output_per_mu")},
    **{f"{m}_base": Label(f"{INDICATOR_ZH[m]}{_BASE_ZH}", "万元/亩",
                          f"{m.replace('_', ' ')} in the base year",
                          name_en=f"{m.replace('_', ' ').capitalize()} (base year)")
       for m in ("tax_per_mu", "output_per_mu")},
    "grade_base": Label("综合评价等级(基准年)", "", "grade in the base year",
                        name_en="Grade (base year)"),
    "grade_move": Label("等级变化", "", "grade move, base year → this year (A→C)",
                        name_en="Grade move"),
    "grade_steps": Label("等级升降档数", "", "classes moved up (A→C is -2)",
                         name_en="Classes moved"),
    "base_year": Label("基准年", "", "the year compared with", name_en="Base year"),
    "n_low_efficiency": Label("低效地块数", "块", "low-efficiency plots",
                              name_en="Low-efficiency plots"),
    "n_reclaimed": Label("已盘活地块数", "块", "plots reclaimed", name_en="Plots reclaimed"),
}
"""Labels of the comparison columns (merged into :data:`geoapp.words.COLUMN_LABELS`)."""

HANDON_FILES: dict[str, str] = {
    "plot_change": "地块亩均指标与等级的年度变化 / per plot change of tax and output per mu "
                   "and grade against the --compare year",
    "park_trend": "园区历年亩均指标 / per park tax and output per mu in every year, with growth",
}
"""Descriptions of the comparison files (merged into :data:`geoapp.words.FILE_DESCRIPTIONS`)."""
