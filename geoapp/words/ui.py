"""Words of the app, the printed sheets, the charts and the exports: ``key → (zh, en)``.

Keys without a dot are the app's (sidebar, tabs, legend, cards); ``sheet.*`` are the printed
map sheets', ``chart.*`` the burn-up charts', ``export.*`` the XLSX/README notes',
``map.*`` the web map's tooltips and tile credits, ``reclamation.*`` the progress headline's.
Names of map layers are in :data:`LAYER_TEXT`.
"""

from __future__ import annotations

from geoapp.words.columns import COLUMN_LABELS
from geoapp.words.values import VALUES
from layers.schema import PARKS, PLOTS

TEXT: dict[str, tuple[str, str]] = {
    # the app
    "title": ("产业用地一张图", "Industrial land map"),
    "synthetic": ("合成演示数据,非真实企业", "Synthetic demo data, no real enterprise"),
    "workspace": ("工作空间", "Workspace"),
    "login.title": ("登录", "Log in"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.unreachable": ("无法连接数据库", "The database cannot be reached"),
    "login.logout": ("退出登录", "Log out"),
    "login.as": ("已登录", "Logged in as"),
    "language": ("语言", "Language"),
    "language_choice": ("中文", "English"),
    "basemap": ("底图", "Base map"),
    "layers": ("图层", "Layers"),
    "metric": ("着色指标", "Colour by"),
    "scheme": ("分级方法", "Classes"),
    "filters": ("筛选", "Filters"),
    "year": ("年份", "Year"),
    **{scope: VALUES["scope_type"][scope] for scope in ("district", "town", "park")},
    "search": ("搜索地块编号/企业名称/统一社会信用代码/园区/街镇",
               "Search plot id / enterprise / credit code / park / town"),
    "search_hint": ("P000123 / 企业名称 / 9131...", "P000123 / enterprise / 9131..."),
    "no_match": ("未找到", "No match"),
    "search_matches": ("搜索结果", "Matches"),
    "selection_summary": ("所选范围汇总", "Selection summary"),
    "map.tiles_unreachable": ("底图无法加载（网络不可达），仅显示本地图层",
                              "Base map tiles cannot be reached: local layers only"),
    "tab_map": ("地图", "Map"),
    "tab_rankings": ("排名", "Rankings"),
    "tab_reclamation": VALUES["analysis_stage"]["reclamation"],
    "tab_projects": ("重点项目", "Projects"),
    "tab_quality": ("数据质量", "Data quality"),
    "legend": ("图例", "Legend"),
    "no_data": ("无数据", "No data"),
    "none": ("无", "none"),
    "selected": ("当前选择", "Selection"),
    "plots": ("地块", "plots"),
    "export_geojson": ("导出 GeoJSON", "Export GeoJSON"),
    "export_xlsx": ("导出 Excel", "Export XLSX"),
    "card": ("详情", "Details"),
    "click_hint": ("点击地块或园区查看详情", "Click a plot or a park for its details"),
    "not_run": ("未运行", "not run"),
    "stage_failed": ("分析未完成", "Analysis not available"),
    "no_results": ("暂无分析结果", "No analysis results yet"),
    "stalled": ("停滞地块", "Stalled plots"),
    "burnup": ("目标完成曲线", "Burn-up charts"),
    "park_ranking": ("园区排名", "Park ranking"),
    "town_ranking": ("街镇排名", "Town ranking"),
    "targets_met": ("达到增长目标", "Growth targets met"),
    "progress": ("目标完成情况", "Progress against targets"),
    "no_problems": ("无数据问题", "No problems found"),
    "gcj_note": ("高德底图为GCJ-02坐标:图层已偏移至GCJ-02仅用于显示,数据与导出仍为WGS84",
                 "AMap tiles are GCJ-02: overlays are shifted to GCJ-02 for display only; data "
                 "and exports stay WGS84"),
    "no_key": ("未设置天地图密钥(环境变量 TIANDITU_KEY 或 secrets)",
               "No Tianditu key (environment variable TIANDITU_KEY or secrets)"),
    "assets_missing": ("缺少本地地图资源,请运行: python -m geoapp.offline --install",
                       "Local map assets missing; run: python -m geoapp.offline --install"),
    "all": ("全部", "all"),
    # cards
    "card.plot": ("地块", "Plot"),
    "card.contributions": ("得分构成", "Score contributions"),
    "card.enterprises": ("企业", "Enterprises"),
    "card.ledger": ("盘活台账", "Ledger history"),
    "card.projects": ("项目", "Projects"),
    # punctuation between listed names and after a label
    "list_sep": ("、", ", "),
    "colon": ("：", ": "),
    "list_sep_values": ("；", "; "),
    # web map
    "map.zone": ("区块", "zone"),
    "map.low": ("低效", "low efficiency"),
    "map.tianditu_credit": ("© 天地图 Tianditu", "© 天地图 Tianditu"),
    "map.tianditu_labels": ("注记", "Labels"),
    "map.amap_credit": ("© 高德地图 AMap (GCJ-02)", "© 高德地图 AMap (GCJ-02)"),
    # printed sheets
    "sheet.year": ("数据年份", "Data year"),
    "sheet.as_of": ("数据截至", "As of"),
    "sheet.crs": ("坐标系", "Coordinate system"),
    "sheet.scale": ("比例尺", "Scale"),
    "sheet.plots_drawn": ("地块", "Plots"),
    "sheet.of_which_low": ("其中低效", "low-efficiency"),
    "sheet.sources": ("数据来源", "Sources"),
    "sheet.north": ("北", "N"),
    "sheet.made": ("制图: geoapp", "Made with geoapp"),
    "sheet.all": ("全部区域", "All areas"),
    # burn-up charts
    "chart.achieved": (COLUMN_LABELS["achieved"].zh, "achieved"),
    "chart.schedule": ("计划进度(线性)", "straight-line schedule"),
    "chart.target": ("目标", "target"),
    "chart.as_of": ("截至", "as of"),
    # reclamation headline: "<name> <span> <metric>: a / t <unit> (p); plan x, forecast y"
    "reclamation.expected": ("按计划应达", "expected by now"),
    "reclamation.forecast": ("按当前速度预计", "forecast at the current rate"),
    # exports
    "export.about_sheet": ("说明", "About"),
    "export.data_sheet": ("数据", "Data"),
    "export.about_item": ("项目/字段", "Item / column"),
    "export.about_content": ("内容/表头", "Content / header"),
    "export.info_sheet": ("导出信息", "Export"),
    "export.settings": ("设置", "Settings"),
    "export.preset": ("评价方案", "Evaluation scheme"),
    "export.date": ("导出日期", "Exported on"),
    "export.file": ("文件 file", ""),
    "export.made_by": ("生成 made by", ""),
    "export.units": ("单位 units", ""),
    "export.units_layer": ("金额为万元，面积为亩(1亩=666.67平方米)或平方米",
                           "money in 万元 (10,000 CNY); areas in mu or m²"),
    "export.units_report": ("金额为万元，面积为亩(1亩=666.67平方米)；增长率、完成率为百分比",
                            "money in 万元; areas in mu; growth and progress as %"),
    "export.lonlat": ("经度/纬度", ""),
    "export.lonlat_note": ("点要素为点本身，面要素为面内代表点",
                           "lon/lat: the point itself, or a representative point inside the area"),
    "export.report": ("报告 report", ""),
    "export.report_title": ("geoapp 产业用地分析报告", "geoapp industrial land report"),
    "export.coordinates": ("坐标 coordinates", ""),
    "export.coordinates_note": ("经度/纬度为WGS84", "lon/lat in WGS84"),
    "export.public": ("公开版", "public"),
    "export.enterprises_elsewhere": (
        "逐企业评价表未放入本报告（城市规模下行数过多），完整数据见 enterprises.parquet；"
        "需要时用 geoapp analyze --full-report。",
        "The per-enterprise table is not in this report (too many rows at city scale); it is "
        "in enterprises.parquet, or add it with geoapp analyze --full-report."),
    "export.rows": ("行 rows", "rows"),
    "export.not_computed": ("未计算", "not computed"),
    "export.not_computed_sheet": (
        "未计算：本次分析没有生成这张表（缺少所需图层或未运行该步骤）。Not computed.",
        "Not computed: this analysis made no such table (a layer is missing or the step did "
        "not run)."),
    "export.public_note": (
        "公开版：已删除单个企业的产值、税收等数据；由少于{n}家企业汇总的数字已隐去。",
        "Public version: figures of single enterprises removed; numbers summed over fewer than "
        "{n} enterprises hidden."),
    "export.readme_title": ("geoapp 分析结果说明 / README of a geoapp output folder", ""),
    "export.readme_coordinates": (
        "坐标 coordinates: WGS84 经纬度 (EPSG:4326) unless the file name ends in _gcj02 "
        "(GCJ-02, for AMap/Tencent base maps).", ""),
    "export.readme_units": (
        "单位 units: 金额 万元 (10,000 CNY); 面积 亩 (1 亩 = 666.67 m², 15 亩 = 1 ha) or m²; "
        "growth, shares and progress are fractions (0.10 = 10 %).", ""),
}
"""Words by key: ``key → (Chinese, English)``; an empty English means the Chinese is
bilingual already."""

REPORT_SHEETS: dict[str, tuple[str, str]] = {
    "park_ranking": TEXT["park_ranking"],
    "low_efficiency": ("低效用地清单", "Low-efficiency plots"),
    "reclamation_progress": TEXT["tab_reclamation"],
    "evaluation": VALUES["analysis_stage"]["evaluation"],
}
"""Sheets of the XLSX report by table name."""

FILE_DESCRIPTIONS: dict[str, str] = {
    "plots_evaluated": "每个产业地块的面积、亩均指标、综合评价与低效标记 / plots with per-mu "
                       "indicators, grade and low-efficiency flag",
    "low_efficiency": "低效产业用地清单及原因 / low-efficiency plot list with reasons",
    "park_ranking": "园区排名 / park scorecard and ranking",
    "reclamation": "盘活进度 / reclamation progress against targets",
    "report": "汇总报告(Excel) / the XLSX report: park ranking, low-efficiency list, "
              "reclamation progress, evaluation",
    "summary": "主要数字(JSON) / headline numbers of every analysis stage",
    "analysis": "全部图层(GeoPackage，QGIS可直接打开并带样式) / every layer with geometry, "
                "each geometry once, styled for QGIS: plots (with hot-spot, ledger and "
                "low-efficiency columns), parks, projects, grid",
    "enterprises": "逐企业评价表 / every enterprise's indicators, benchmarks, score and grade",
    "lead_industry_outside_parks": "园区外的主导产业企业 / lead-industry firms outside the "
                                   "parks, with the nearest park",
    "README": "本说明 / this file",
}
"""Descriptions of the usual output files by stem (``README.txt``), bilingual."""

LAYER_TEXT: dict[str, tuple[str, str]] = {
    "districts": ("区界", "Districts"),
    "towns": ("街镇界", "Towns"),
    "zones": ("104/195/198区块", "Zones 104/195/198"),
    "parks": (PARKS.label_zh, "Parks"),
    "plots": (PLOTS.label_zh, "Plots"),
    "low_efficiency": ("低效地块", "Low-efficiency plots"),
    "ledger": (COLUMN_LABELS["ledger_stage"].zh, COLUMN_LABELS["ledger_stage"].name_en),
    "projects": TEXT["tab_projects"],
    "density": ("企业密度", "Enterprise density"),
    "hotspots": (COLUMN_LABELS["gi_class"].zh, "Hot spots"),
}
"""Names of the map layers (web map and printed sheets)."""
