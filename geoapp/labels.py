"""Chinese labels, units and descriptions of the columns geoapp writes, declared once.

The canonical layer columns take their label and unit from :mod:`layers.schema`; the columns
the analyses derive (areas in mu, per-mu indicators, grades, rankings, reclamation progress,
cluster measures) are described here. Exports use :func:`header` for Chinese spreadsheet
headers with the unit in brackets (``"亩均税收(万元/亩)"``) and ``README.txt`` uses
:func:`describe`.

Fractions (growth rates, shares, progress) are stored as fractions (0.10 = +10 %); their unit
is ``"%"`` and spreadsheets show them with a percent number format.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from layers.schema import INDUSTRIES, RECLAMATION_MODES, SCHEMAS


@dataclass(frozen=True)
class Label:
    """How one column is shown to planners.

    Attributes
    ----------
    zh
        Chinese label.
    unit
        Unit shown in brackets after the label (``"万元/亩"``, ``"亩"``, ``"%"``); empty when
        the values have none.
    en
        One-line English description for ``README.txt``.
    fraction
        Whether the values are fractions shown as percentages (0.10 → 10 %).
    """

    zh: str
    unit: str = ""
    en: str = ""
    fraction: bool = False


COLUMN_LABELS: dict[str, Label] = {
    # generic names whose schema labels differ by layer (区名称, 园区名称, 企业名称...)
    "name": Label("名称", en="name"),
    "code": Label("代码", en="code"),
    # areas and overlays derived on analysis
    "area_m2": Label("面积", "m²", "land area measured in UTM 51N"),
    "area_mu": Label("面积", "亩", "land area in mu (1 mu = 666.67 m²), measured in UTM 51N"),
    "geom_area_mu": Label("图斑面积", "亩", "area of the drawn polygon in mu"),
    "land_area_mu": Label("用地面积", "亩", "land area in mu used as the per-mu denominator"),
    "register_area_mu": Label("登记面积", "亩", "registered (legal) plot area in mu"),
    "area_diff_share": Label("面积差异", "%", "relative difference drawn vs registered area",
                             fraction=True),
    "park_id": Label("园区编号", en="park the plot lies in"),
    "park_name": Label("园区名称", en="name of the park"),
    "town_code": Label("街镇代码", en="town (街镇) the plot lies in"),
    "town_name": Label("街镇名称", en="name of the town"),
    "district_code": Label("区划代码", en="district code (310113 Baoshan, 310116 Jinshan)"),
    "district_name": Label("区名称", en="name of the district"),
    "zone_type": Label("区块类型", en="industrial zoning: 104 block, 195 area or 198 area"),
    # counts
    "n_enterprises": Label("企业数", "家", "distinct enterprises whose figures the row sums"),
    "n_plots": Label("地块数", "块", "number of plots in the row"),
    "n_projects": Label("项目数", "个", "number of projects in the row"),
    # sums of enterprise figures on aggregates
    "output_wan": Label("工业总产值", "万元", "industrial output, 万元"),
    "tax_wan": Label("税收", "万元", "tax paid, 万元"),
    "value_added_wan": Label("工业增加值", "万元", "industrial value added, 万元"),
    "revenue_wan": Label("营业收入", "万元", "operating revenue, 万元"),
    "rd_wan": Label("研发投入", "万元", "R&D spending, 万元"),
    "energy_tce": Label("综合能耗", "吨标煤", "energy use, tonnes of coal equivalent"),
    "emissions_t": Label("主要污染物排放", "吨", "main pollutant emissions, tonnes"),
    "employees": Label("从业人员", "人", "employees"),
    # per-mu and intensity indicators
    "tax_per_mu": Label("亩均税收", "万元/亩", "tax per mu of land"),
    "output_per_mu": Label("亩均产值", "万元/亩", "industrial output per mu of land"),
    "value_added_per_mu": Label("亩均增加值", "万元/亩", "value added per mu of land"),
    "revenue_per_mu": Label("亩均营业收入", "万元/亩", "operating revenue per mu of land"),
    "investment_intensity": Label("投资强度", "万元/亩", "investment per mu of land"),
    "rd_intensity": Label("研发投入强度", "%", "R&D spending / revenue", fraction=True),
    # growth against targets
    "tax_per_mu_growth": Label("亩均税收增长率", "%", "year-on-year growth of tax per mu",
                               fraction=True),
    "output_per_mu_growth": Label("亩均产值增长率", "%", "year-on-year growth of output per mu",
                                  fraction=True),
    "investment_intensity_growth": Label("投资强度增长率", "%",
                                         "growth of investment intensity", fraction=True),
    # evaluation
    "score": Label("综合得分", "分", "comprehensive evaluation score (0-100)"),
    "grade": Label("评价等级", "", "comprehensive evaluation grade A/B/C/D"),
    "rank": Label("排名", "", "rank, 1 = best"),
    "low_efficiency": Label("是否低效", "", "1 when the plot is on the low-efficiency list"),
    "reasons": Label("低效原因", "", "why the plot is on the low-efficiency list"),
    # reclamation
    "stage": Label("当前状态", "", "latest reclamation (or project) stage"),
    "mode": Label("处置方式", "", "reclamation mode (vacate/acquire/lease/codevelop/upgrade)"),
    "last_date": Label("最近进展日期", "", "date of the latest ledger entry"),
    "reclaimed_mu": Label("已盘活面积", "亩", "land reclaimed, mu"),
    "reclaimed_plots": Label("已盘活地块数", "块", "plots reclaimed"),
    "reclaimed_mu_cumulative": Label("累计盘活面积", "亩",
                                     "land reclaimed since the base year, mu"),
    "progress": Label("完成率", "%", "reclaimed / target", fraction=True),
    "stalled": Label("是否停滞", "", "1 when the plot has had no progress for too long"),
    "days_since_event": Label("距上次进展天数", "天", "days since the latest ledger entry"),
    "expected_by_date": Label("按进度应完成", "", "target × elapsed share of the period "
                              "(straight-line schedule)"),
    "forecast": Label("年末预测", "", "achieved / elapsed share: year-end at the current rate"),
    "elapsed_fraction": Label("时间进度", "%", "share of the target period elapsed",
                              fraction=True),
    "since_year": Label("起算年份", "", "first year counted by a cumulative target"),
    "group": Label("分组", "", "breakdown dimension (mode, town, park)"),
    "group_id": Label("分组编号", "", "mode, town code or park id of the breakdown row"),
    "park_investment_intensity": Label("园区投资强度", "万元/亩",
                                       "investment per mu of the park's projects (sum/sum)"),
    "intensity_vs_park": Label("投资强度与园区比", "", "project intensity / park intensity"),
    "on_reclaimed_land": Label("位于盘活地块", "", "1 when the project sits on reclaimed land"),
    # clusters
    "lead_industry_share": Label("主导产业集中度", "%",
                                 "share of the park's output from its lead industries",
                                 fraction=True),
    "location_quotient": Label("区位熵", "", "industry share in the area / share in the district"),
    "density": Label("密度", "家/km²", "kernel density of enterprises"),
    "gi_z": Label("热点Z值", "", "Getis-Ord Gi* z-score"),
    "hotspot": Label("冷热点", "", "hot spot / cold spot / not significant"),
    # coordinates written by the exports themselves
    "lon": Label("经度", "°", "longitude of the point (representative point for areas)"),
    "lat": Label("纬度", "°", "latitude of the point (representative point for areas)"),
    "wkt": Label("几何(WKT)", "", "geometry as well-known text, lon/lat degrees"),
    "synthetic": Label("合成数据", "", "1 when the row is synthetic (made up for tests/demos)"),
    # names used by analysis/ (efficiency, grading, low_efficiency, reclamation, concentration)
    "land_mu": Label("用地面积", "亩", "land area in mu, the per-mu denominator"),
    "value_added_per_tce": Label("单位能耗增加值", "万元/吨标煤",
                                 "value added per tonne of coal equivalent"),
    "tax_per_tce": Label("单位能耗税收", "万元/吨标煤", "tax per tonne of coal equivalent"),
    "value_added_per_t_emissions": Label("单位排放增加值", "万元/吨",
                                         "value added per tonne of emissions"),
    "labour_productivity": Label("全员劳动生产率", "万元/人", "value added per employee"),
    "plot_ratio": Label("容积率", "", "floor area / land area (m²/m²)"),
    "new_land_mu": Label("新增产业用地面积", "亩", "land supplied in the year, mu"),
    "new_land_investment_wan": Label("新增产业用地合同投资", "万元",
                                     "contracted investment on land supplied in the year"),
    "new_land_investment_intensity": Label("新增产业用地投资强度", "万元/亩",
                                           "contracted investment per mu of new land"),
    "project_investment_wan": Label("项目总投资", "万元", "investment of the projects"),
    "project_land_mu": Label("项目用地面积", "亩", "land of the projects, mu"),
    "project_investment_intensity": Label("项目投资强度", "万元/亩",
                                          "project investment per mu of land"),
    "target_met": Label("是否达标", "", "whether the growth target is met"),
    "reasons_zh": Label("低效原因(中文)", "", "reasons in Chinese"),
    "imputed_items": Label("缺项补值指标", "", "evaluation items filled in for missing data"),
    "weakest_item": Label("最弱指标", "", "the evaluation item with the lowest score"),
    "rated": Label("是否参评", "", "whether the enterprise was rated"),
    "unrated_reason": Label("未参评原因", "", "why the enterprise was not rated"),
    "n_rated": Label("参评企业数", "家", "enterprises rated in the group"),
    "pct": Label("完成率", "%", "achieved / target", fraction=True),
    "hhi": Label("赫芬达尔指数", "", "Herfindahl-Hirschman index of industry shares (0-1)"),
    "is_lead": Label("是否主导产业", "", "whether the industry is one of the park's leads"),
    "amount": Label("规模指标", "", "the measure summed (output, 万元, unless stated)"),
    "n_events": Label("台账条数", "条", "ledger entries of the plot"),
    "first_date": Label("首次登记日期", "", "date of the first ledger entry"),
    "reclaimed_date": Label("盘活日期", "", "date the plot was reclaimed"),
    "corrected": Label("是否更正", "", "whether a later entry corrected an earlier one"),
    "last_note": Label("最近进展", "", "note of the latest ledger entry"),
    "achieved": Label("已完成", "", "amount achieved towards the target"),
    "industry": Label("行业", "", "industry code"),
    # evaluation (analysis/efficiency, grading, low_efficiency, ranking)
    "new_land_investment_intensity_growth": Label(
        "新增产业用地投资强度增长率", "%", "growth of the investment intensity of new land",
        fraction=True),
    "composite_score": Label("综合排名得分", "分", "weighted percentile score behind the rank"),
    "low_efficiency_mu": Label("低效用地面积", "亩", "land of low-efficiency plots, mu"),
    "low_efficiency_share": Label("低效用地占比", "%", "low-efficiency land / land",
                                  fraction=True),
    "n_low_efficiency_plots": Label("低效地块数", "块", "plots on the low-efficiency list"),
    "on_low_efficiency_list": Label("在低效清单", "", "the plot is on the low-efficiency list"),
    "target": Label("目标值", "", "the plan's target (亩, plots, or a growth fraction)"),
    "scope_name": Label("范围名称", "", "name of the district, town or park"),
    "as_of": Label("统计截至", "", "date the progress is measured at"),
    "tax_land_mu": Label("有税收数据的用地", "亩", "land of the plots that have a tax figure, "
                         "mu (the per-mu figure divides by all land)"),
    "output_land_mu": Label("有产值数据的用地", "亩", "land of the plots that have an output "
                            "figure, mu (the per-mu figure divides by all land)"),
    "district_investment_intensity": Label("全区投资强度", "万元/亩",
                                           "investment per mu of the district's projects"),
    "intensity_vs_district": Label("投资强度与全区比", "", "project intensity / district's"),
    "in_plots_layer": Label("在地块图层", "", "the ledger's plot exists in the plots layer"),
    "reclaimed_plot_id": Label("所在盘活地块", "", "reclaimed plot the project sits on"),
    "mode_zh": Label("处置方式", "", "reclamation mode in Chinese"),
    "stage_zh": Label("阶段", "", "stage in Chinese"),
    # clusters (analysis/concentration, hotspots, grid)
    "share": Label("产值占比", "%", "industry's share of the park's measure", fraction=True),
    "lead_share": Label("主导产业集中度", "%", "share of the park's output in its lead industries",
                        fraction=True),
    "lq_district": Label("区位熵(区)", "", "location quotient against the district"),
    "lq_city": Label("区位熵(全市)", "", "location quotient against all data (the city)"),
    "in_top": Label("主导产业居前", "", "the lead industry is among the park's top industries"),
    "park_amount": Label("园区合计", "万元", "the park's total of the measure"),
    "total": Label("合计", "", "total of the measure"),
    "park_located": Label("所在园区", "", "park the enterprise lies in, if any"),
    "nearest_park_id": Label("最近同产业园区编号", "", "nearest park drawn for the industry"),
    "nearest_park_name": Label("最近同产业园区", "", "nearest park drawn for the industry"),
    "distance_m": Label("距离", "m", "distance to that park, metres"),
    "gi_p": Label("Gi*显著性P值", "", "permutation pseudo p-value of Gi* (tax per mu)"),
    "gi_class": Label("冷热点", "", "hot/cold spot at 90/95/99 % (tax per mu)"),
    "lisa_i": Label("局部莫兰指数", "", "local Moran's I of tax per mu"),
    "lisa_z": Label("局部莫兰Z值", "", "z-score of local Moran's I (tax per mu)"),
    "lisa_p": Label("局部莫兰P值", "", "permutation pseudo p-value of local Moran's I"),
    "lisa_class": Label("LISA聚类", "", "HH, LL, HL, LH or ns at 5 % (tax per mu)"),
    "n_neighbours": Label("邻居数", "个", "neighbours in the spatial weights"),
    "cell_id": Label("格网编号", "", "grid cell id"),
}
"""Labels of the columns the analyses derive (canonical columns come from the schemas)."""

VALUE_LABELS: dict[str, dict[str, str]] = {
    "industry": INDUSTRIES,
    "mode": RECLAMATION_MODES,
    "status": {"in_use": "在用", "idle": "闲置", "under_construction": "在建"},
    "stage": {
        "identified": "已认定", "in_progress": "推进中", "reclaimed": "已盘活",
        "reused": "已再利用",
        "signed": "已签约", "started": "已开工", "under_construction": "在建",
        "completed": "已竣工", "in_production": "已投产",
    },
    "level": {"municipal": "市级", "district": "区级", "other": "其他"},
    "scale": {"above": "规上", "below": "规下"},
    "scope_type": {"district": "区", "town": "街镇", "park": "园区"},
}
"""Chinese labels of coded values, used in the XLSX report (``lead_industries`` is split on
``;`` and each code translated; booleans become 是/否)."""

_SUFFIX_UNITS = (
    ("_per_mu", "万元/亩"),
    ("_wan", "万元"),
    ("_mu", "亩"),
    ("_m2", "m²"),
    ("_tce", "吨标煤"),
    ("_t", "吨"),
)


def _schema_label(column: str, layers) -> Label | None:
    for name in layers:
        for f in SCHEMAS[name].fields:
            if f.name == column and f.label_zh:
                known = COLUMN_LABELS.get(column)
                return Label(f.label_zh, f.unit, known.en if known else "")
    return None


def label(column: str, layer: str | None = None) -> Label:
    """Find the label of one column.

    Parameters
    ----------
    column
        Column name (canonical or derived).
    layer
        Canonical layer name the column belongs to, when known: its schema's label wins.

    Returns
    -------
    Label
        From the layer's schema, else :data:`COLUMN_LABELS`, else any schema with that
        column, else inferred from the name's unit suffix (``_wan`` → 万元, ``_mu`` → 亩,
        ``_growth`` → %), with the column name as the label.
    """
    if layer in SCHEMAS:
        found = _schema_label(column, [layer])
        if found is not None:
            return found
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    found = _schema_label(column, SCHEMAS)
    if found is not None:
        return found
    derived = _derived(column)
    if derived is not None:
        return derived
    if column.endswith(("_growth", "_share")):
        return Label(column, "%", f"{column} (fraction, 0.10 = 10 %)", fraction=True)
    for suffix, unit in _SUFFIX_UNITS:
        if column.endswith(suffix):
            return Label(column, unit, f"{column}, {unit}")
    return Label(column, "", "")


_STAGE_ZH = {"signed": "已签约", "started": "已开工", "under_construction": "在建",
             "completed": "已竣工", "in_production": "已投产"}


def _derived(column: str) -> Label | None:
    """Label generated column families: contrib_X, bench_X, X_target_met, n_A, n_projects_S."""
    for prefix, zh, en in (("contrib_", "得分贡献", "points the item adds to the score"),
                           ("bench_", "基准值", "the group's benchmark of the item")):
        if column.startswith(prefix) and column[len(prefix):] in COLUMN_LABELS:
            base = COLUMN_LABELS[column[len(prefix):]]
            unit = "分" if prefix == "contrib_" else base.unit
            return Label(f"{base.zh}{zh}", unit, f"{en}: {base.en}")
    if column in _STAGE_ZH:
        return Label(f"{_STAGE_ZH[column]}项目数", "个", f"projects at stage {column}")
    for prefix, zh, unit in (("n_projects_", "项目数", "个"),
                             ("investment_wan_", "项目投资", "万元")):
        stage = column[len(prefix):]
        if column.startswith(prefix) and stage in _STAGE_ZH:
            return Label(f"{_STAGE_ZH[stage]}{zh}", unit, f"{zh} at stage {stage}")
    if column.startswith("n_") and column[2:] in ("A", "B", "C", "D", "T"):
        return Label(f"{column[2:]}类企业数", "家", f"enterprises graded {column[2:]}")
    for suffix, zh, unit, frac in (("_growth_target", "目标增长率", "%", True),
                                   ("_target_met", "是否达标", "", False)):
        if column.endswith(suffix):
            stem = column[: -len(suffix)]
            base = label(stem if stem in COLUMN_LABELS else f"{stem}_growth")
            name = base.zh.removesuffix("增长率")
            return Label(f"{name}{zh}", unit, f"{zh}: {base.en}", fraction=frac)
    for prefix, zh in (("output_", "亩均产值"), ("tax_", "亩均税收")):
        rest = column[len(prefix):]
        if column.startswith(prefix) and rest.split("_")[0] in ("gi", "lisa"):
            base = COLUMN_LABELS.get(rest)
            if base is not None:
                return Label(f"{zh}{base.zh}", base.unit, base.en.replace("tax per mu", zh))
    return None


def header(column: str, layer: str | None = None) -> str:
    """Chinese spreadsheet header with the unit in brackets, e.g. ``"亩均税收(万元/亩)"``."""
    lab = label(column, layer)
    return f"{lab.zh}({lab.unit})" if lab.unit else lab.zh


def headers(columns, layer: str | None = None) -> dict[str, str]:
    """``{column: header}`` for a table, made unique by adding the column name on clashes.

    Parameters
    ----------
    columns
        Column names in order.
    layer
        Canonical layer name, when the table is one.
    """
    out: dict[str, str] = {}
    seen: set[str] = set()
    for col in columns:
        text = header(str(col), layer)
        if text in seen:
            text = f"{text}[{col}]"
        seen.add(text)
        out[col] = text
    return out


def describe(column: str, layer: str | None = None) -> str:
    """One line for ``README.txt``: ``"tax_per_mu  亩均税收 (万元/亩): tax per mu of land"``."""
    lab = label(column, layer)
    unit = f" ({lab.unit})" if lab.unit else ""
    en = f": {lab.en}" if lab.en and lab.en != lab.zh else ""
    if lab.fraction:
        en += " [stored as a fraction, 0.10 = 10 %]"
    return f"{column}  {lab.zh}{unit}{en}"


def translate_values(column: str, values: pd.Series) -> pd.Series:
    """Coded values shown in Chinese (industry, mode, stage, status...; booleans as 是/否).

    Parameters
    ----------
    column
        Column name; decides the code list (:data:`VALUE_LABELS`).
    values
        The column. Unknown codes and other columns are returned unchanged.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "是", False: "否"}).astype(object)
    if column == "lead_industries":
        return values.map(
            lambda v: "；".join(INDUSTRIES.get(c.strip(), c.strip()) for c in v.split(";"))
            if isinstance(v, str) else v
        )
    codes = VALUE_LABELS.get(column)
    if codes is None:
        return values
    return values.map(lambda v: codes.get(v, v) if isinstance(v, str) else v)
