"""The app's words in Chinese and English: labels, layer names, value names, :func:`tr`."""

from __future__ import annotations

from layers.schema import INDUSTRIES, RECLAMATION_MODES

TEXT: dict[str, tuple[str, str]] = {
    "title": ("产业用地一张图", "Industrial land map"),
    "synthetic": ("合成演示数据,非真实企业", "Synthetic demo data, no real enterprise"),
    "workspace": ("工作空间", "Workspace"),
    "language": ("语言", "Language"),
    "basemap": ("底图", "Base map"),
    "layers": ("图层", "Layers"),
    "metric": ("着色指标", "Colour by"),
    "scheme": ("分级方法", "Classes"),
    "filters": ("筛选", "Filters"),
    "year": ("年份", "Year"),
    "district": ("区", "District"),
    "town": ("街镇", "Town"),
    "park": ("园区", "Park"),
    "industry": ("行业", "Industry"),
    "grade": ("评价等级", "Grade"),
    "ledger_stage": ("盘活状态", "Reclamation stage"),
    "search": ("搜索地块编号/企业名称/统一社会信用代码",
               "Search plot id / enterprise / credit code"),
    "no_match": ("未找到", "No match"),
    "tab_map": ("地图", "Map"),
    "tab_rankings": ("排名", "Rankings"),
    "tab_reclamation": ("盘活进度", "Reclamation"),
    "tab_projects": ("重点项目", "Projects"),
    "tab_quality": ("数据质量", "Data quality"),
    "legend": ("图例", "Legend"),
    "selected": ("当前选择", "Selection"),
    "plots": ("地块", "plots"),
    "export_geojson": ("导出 GeoJSON", "Export GeoJSON"),
    "export_xlsx": ("导出 Excel", "Export XLSX"),
    "card": ("详情", "Details"),
    "click_hint": ("点击地块或园区查看详情", "Click a plot or a park for its details"),
    "not_run": ("未运行", "not run"),
    "stage_failed": ("分析未完成", "Analysis not available"),
    "no_results": ("暂无分析结果", "No analysis results yet"),
    "reanalysing": ("数据或设置已变，正在重新分析", "Inputs or settings changed: re-analysing"),
    "reading_results": ("正在读取分析结果", "Reading the stored results"),
    "stalled": ("停滞地块", "Stalled plots"),
    "burnup": ("目标完成曲线", "Burn-up charts"),
    "lod_grid": ("缩放较小:按网格汇总显示,放大后显示地块",
                 "Zoomed out: grid aggregates; zoom in to see plots"),
    "gcj_note": ("高德底图为GCJ-02坐标:图层已偏移至GCJ-02仅用于显示,数据与导出仍为WGS84",
                 "AMap tiles are GCJ-02: overlays are shifted to GCJ-02 for display only; data "
                 "and exports stay WGS84"),
    "no_key": ("未设置天地图密钥(环境变量 TIANDITU_KEY 或 secrets)",
               "No Tianditu key (environment variable TIANDITU_KEY or secrets)"),
    "assets_missing": ("缺少本地地图资源,请运行: python -m geoapp.offline --install",
                       "Local map assets missing; run: python -m geoapp.offline --install"),
    "all": ("全部", "all"),
}
"""UI words: ``key → (Chinese, English)``."""

LAYER_KEYS: tuple[str, ...] = (
    "districts", "towns", "zones", "parks", "plots", "low_efficiency", "ledger", "projects",
    "density", "hotspots",
)
"""Map layers the user can switch on and off, in drawing order."""

LAYER_TEXT: dict[str, tuple[str, str]] = {
    "districts": ("区界", "Districts"),
    "towns": ("街镇界", "Towns"),
    "zones": ("104/195/198区块", "Zones 104/195/198"),
    "parks": ("产业园区", "Parks"),
    "plots": ("产业地块", "Plots"),
    "low_efficiency": ("低效地块", "Low-efficiency plots"),
    "ledger": ("盘活状态", "Reclamation stage"),
    "projects": ("重点项目", "Projects"),
    "density": ("企业密度", "Enterprise density"),
    "hotspots": ("冷热点", "Hot spots"),
}

DEFAULT_LAYERS: tuple[str, ...] = ("districts", "towns", "parks", "plots", "low_efficiency")

VALUE_TEXT: dict[str, tuple[str, str]] = {
    **{k: (v, k) for k, v in INDUSTRIES.items()},
    **{k: (v, k) for k, v in RECLAMATION_MODES.items()},
    "identified": ("已认定", "identified"),
    "in_progress": ("推进中", "in progress"),
    "reclaimed": ("已盘活", "reclaimed"),
    "reused": ("已再利用", "reused"),
    "signed": ("已签约", "signed"),
    "started": ("已开工", "started"),
    "under_construction": ("在建", "under construction"),
    "completed": ("已竣工", "completed"),
    "in_production": ("已投产", "in production"),
    "in_use": ("使用中", "in use"),
    "idle": ("闲置", "idle"),
}
"""Chinese and English names of coded values (industries, stages, modes, statuses)."""


def tr(key: str, lang: str = "zh") -> str:
    """Translate a UI word ``key`` to ``lang`` (``"zh"`` or ``"en"``); unknown keys as is."""
    pair = TEXT.get(key) or LAYER_TEXT.get(key) or VALUE_TEXT.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]




SHEET_TEXT: dict[str, tuple[str, str]] = {
    "year": ("数据年份", "Data year"),
    "as_of": ("数据截至", "As of"),
    "crs": ("坐标系", "Coordinate system"),
    "scale": ("比例尺", "Scale"),
    "scheme": ("分级方法", "Classes"),
    "sources": ("数据来源", "Sources"),
    "plots_drawn": ("地块", "Plots"),
    "of_which_low": ("其中低效", "low-efficiency"),
    "no_data": ("无数据", "No data"),
    "north": ("北", "N"),
    "made": ("制图: geoapp", "Made with geoapp"),
    "all": ("全部区域", "All areas"),
}
"""Words of the printed map sheets (:mod:`geoapp.sheets`): ``key → (Chinese, English)``."""



def sheet_word(key: str, lang: str) -> str:
    """A word of the printed sheets in ``lang`` (``"zh"`` or ``"en"``)."""
    zh, en = SHEET_TEXT[key]
    return zh if lang == "zh" else en
