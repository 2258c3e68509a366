"""Column labels: Chinese and English names, units and descriptions, declared once.

The canonical layer columns take their label and unit from :mod:`layers.schema`; the columns
the analyses derive (areas in mu, per-mu indicators, grades, rankings, reclamation progress,
cluster measures) are described here; the efficiency indicators take their Chinese names
from :data:`analysis.efficiency.LABELS_ZH` (never typed twice). Exports use :func:`header`
for spreadsheet headers with the unit in brackets (``"亩均税收(万元/亩)"``, English
``"Tax per mu (10k CNY/mu)"``) and ``README.txt`` uses :func:`describe`.

Fractions (growth rates, shares, progress) are stored as fractions (0.10 = +10 %); their unit
is ``"%"`` and spreadsheets show them with a percent number format.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.efficiency import LABELS_ZH as INDICATOR_ZH
from analysis.efficiency import UNITS as INDICATOR_UNITS
from geoapp.words.values import COLUMN_KINDS, LIST_COLUMNS, PROJECT_STAGE_NAMES
from layers.schema import SCHEMAS


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
    name_en
        Short English name for tables and cards; empty: made from the column name.
    """

    zh: str
    unit: str = ""
    en: str = ""
    fraction: bool = False
    name_en: str = ""

    def name(self, lang: str = "zh", column: str = "") -> str:
        """The name in ``lang`` (``"zh"`` or ``"en"``), without the unit."""
        if lang == "zh":
            return self.zh
        return self.name_en or (column.replace("_", " ").capitalize() if column else self.zh)

    def unit_in(self, lang: str = "zh") -> str:
        """The unit in ``lang``: ``"万元/亩"`` or ``"10k CNY/mu"``."""
        return self.unit if lang == "zh" else UNIT_EN.get(self.unit, self.unit)


UNIT_EN: dict[str, str] = {
    "万元": "10k CNY", "万元/亩": "10k CNY/mu", "亩": "mu", "家": "firms", "块": "plots",
    "个": "", "分": "points", "吨标煤": "tce", "吨": "t", "人": "persons", "天": "days",
    "万元/吨标煤": "10k CNY/tce", "万元/吨": "10k CNY/t", "万元/人": "10k CNY/person",
    "家/km²": "firms/km²", "条": "entries",
}
"""English of the units (units not listed read the same in both languages)."""

COUNT_UNITS: frozenset[str] = frozenset({"家", "块", "个", "条", "人", "天"})
"""Units of whole numbers (counts, days)."""
SCORE_UNIT = "分"
NAME_SUFFIX = "_name"
"""Suffix of the column that names the coded values of another (``status_name``)."""
_NAME_ZH = "名称"
_CODE_ZH = "代码"
"""Unit of evaluation scores and points."""


def _field(layer: str, column: str, en: str = "", name_en: str = "") -> Label:
    """A column labelled as in the layer's schema (:mod:`layers.schema`), plus English."""
    f = next(f for f in SCHEMAS[layer].fields if f.name == column)
    return Label(f.label_zh, f.unit, en, name_en=name_en)


def _indicator(column: str, en: str, name_en: str, *, unit: str = "",
               fraction: bool = False) -> Label:
    """An efficiency indicator named as in :data:`analysis.efficiency.LABELS_ZH`."""
    return Label(INDICATOR_ZH[column], unit or INDICATOR_UNITS.get(column, ""), en,
                 fraction=fraction, name_en=name_en)


def _growth(indicator: str, en: str, name_en: str) -> Label:
    """Year-on-year growth of an indicator: its name + 增长率, a fraction shown as %."""
    return Label(f"{INDICATOR_ZH[indicator]}{GROWTH_ZH}", "%", en, fraction=True,
                 name_en=name_en)


GROWTH_ZH = "增长率"


COLUMN_LABELS: dict[str, Label] = {
    # generic names whose schema labels differ by layer (区名称, 园区名称, 企业名称...)
    "name": Label("名称", en="name"),
    "code": Label("代码", en="code"),
    # areas and overlays derived on analysis
    "area_m2": Label("面积", "m²", "land area measured in UTM 51N"),
    "area_mu": Label("面积", "亩", "land area in mu (1 mu = 666.67 m²), measured in UTM 51N",
                     name_en="Area"),
    "status": _field("plots", "status", "use status of the plot", "Status"),
    "land_use": _field("plots", "land_use", "land use of the plot", "Land use"),
    "level": _field("parks", "level", "level of the park", "Level"),
    "lead_industries": _field("parks", "lead_industries", "lead industries of the park",
                              "Lead industries"),
    "ledger_stage": Label("盘活状态", "", "latest reclamation stage of the plot",
                          name_en="Reclamation stage"),
    "ledger_mode": Label("盘活方式", "", "reclamation mode of the plot on the ledger",
                         name_en="Reclamation mode"),
    "geom_area_mu": Label("图斑面积", "亩", "area of the drawn polygon in mu"),
    "land_area_mu": Label("用地面积", "亩", "land area in mu used as the per-mu denominator"),
    "register_area_mu": Label("登记面积", "亩", "registered (legal) plot area in mu"),
    "area_diff_share": Label("面积差异", "%", "relative difference drawn vs registered area",
                             fraction=True),
    "park_id": _field("parks", "park_id", "park the plot lies in", "Park id"),
    "park_name": Label("园区名称", en="name of the park", name_en="Park"),
    "town_code": _field("towns", "code", "town (街镇) the plot lies in", "Town code"),
    "town_name": _field("towns", "name", "name of the town", "Town"),
    "district_code": _field("districts", "code", "district code (310113 Baoshan, 310116 Jinshan)",
                            "District code"),
    "district_name": _field("districts", "name", "name of the district", "District"),
    "zone_type": _field("zones", "zone_type", "industrial zoning: 104 block, 195 area or 198 area",
                        "Zone"),
    # counts
    "n_enterprises": Label("企业数", "家", "distinct enterprises whose figures the row sums",
                           name_en="Enterprises"),
    "n_plots": Label("地块数", "块", "number of plots in the row", name_en="Plots"),
    "n_projects": Label("项目数", "个", "number of projects in the row"),
    # sums of enterprise figures on aggregates
    "output_wan": _field("enterprises", "output_wan", "industrial output, 万元", "Output"),
    "tax_wan": _field("enterprises", "tax_wan", "tax paid, 万元", "Tax"),
    "value_added_wan": _field("enterprises", "value_added_wan", "industrial value added, 万元",
                              "Value added"),
    "revenue_wan": _field("enterprises", "revenue_wan", "operating revenue, 万元", "Revenue"),
    "rd_wan": _field("enterprises", "rd_wan", "R&D spending, 万元", "R&D spending"),
    "energy_tce": _field("enterprises", "energy_tce", "energy use, tonnes of coal equivalent",
                         "Energy use"),
    "emissions_t": _field("enterprises", "emissions_t", "main pollutant emissions, tonnes",
                          "Emissions"),
    "employees": _field("enterprises", "employees", "employees", "Employees"),
    # per-mu and intensity indicators
    "tax_per_mu": _indicator("tax_per_mu", "tax per mu of land", "Tax per mu"),
    "output_per_mu": _indicator("output_per_mu", "industrial output per mu of land",
                                "Output per mu"),
    "value_added_per_mu": _indicator("value_added_per_mu", "value added per mu of land",
                                     "Value added per mu"),
    "revenue_per_mu": _indicator("revenue_per_mu", "operating revenue per mu of land",
                                 "Revenue per mu"),
    "investment_intensity": Label("投资强度", "万元/亩", "investment per mu of land"),
    "rd_intensity": _indicator("rd_intensity", "R&D spending / revenue", "R&D intensity", unit="%",
                               fraction=True),
    # growth against targets
    "tax_per_mu_growth": _growth("tax_per_mu", "year-on-year growth of tax per mu",
                                 "Tax per mu growth"),
    "output_per_mu_growth": _growth("output_per_mu", "year-on-year growth of output per mu",
                                    "Output per mu growth"),
    "investment_intensity_growth": Label("投资强度增长率", "%",
                                         "growth of investment intensity", fraction=True),
    # evaluation
    "score": Label("综合得分", "分",
                   "comprehensive evaluation score: Σ weight × value / benchmark; 100 = at the "
                   "benchmark on every item, higher is better (no upper bound)",
                   name_en="Score"),
    "grade": Label("评价等级", "", "comprehensive evaluation grade A/B/C/D", name_en="Grade"),
    "rank": Label("排名", "", "rank, 1 = best", name_en="Rank"),
    "low_efficiency": Label("是否低效", "", "1 when the plot is on the low-efficiency list"),
    "reasons": Label("低效原因", "", "why the plot is on the low-efficiency list",
                     name_en="Low-efficiency reasons"),
    # reclamation
    "stage": _field("ledger", "stage", "latest reclamation (or project) stage", "Stage"),
    "mode": _field("ledger", "mode", "reclamation mode (vacate/acquire/lease/codevelop/upgrade)",
                   "Mode"),
    "last_date": Label("最近进展日期", "", "date of the latest ledger entry"),
    "reclaimed_mu": Label("已盘活面积", "亩", "land reclaimed, mu",
          name_en="Land reclaimed"),
    "reclaimed_plots": Label("已盘活地块数", "块", "plots reclaimed",
          name_en="Plots reclaimed"),
    "reclaimed_mu_cumulative": Label("累计盘活面积", "亩",
                                     "land reclaimed since the base year, mu",
          name_en="Land reclaimed since base year"),
    "progress": Label("完成率", "%", "reclaimed / target", fraction=True),
    "stalled": Label("是否停滞", "", "1 when the plot has had no progress for too long"),
    "days_since_event": Label("距上次进展天数", "天", "days since the latest ledger entry"),
    "expected_by_date": Label("按进度应完成", "", "target × elapsed share of the period "
                              "(straight-line schedule)"),
    "forecast": Label("年末预测", "", "achieved / elapsed share: year-end at the current rate"),
    "elapsed_fraction": Label("时间进度", "%", "share of the target period elapsed",
                              fraction=True),
    "since_year": _field("targets", "since_year", "first year counted by a cumulative target"),
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
    "synthetic": _field("parks", "synthetic",
                        "1 when the row is synthetic (made up for tests/demos)"),
    # names used by analysis/ (efficiency, grading, low_efficiency, reclamation, concentration)
    "land_mu": _field("projects", "land_mu", "land area in mu, the per-mu denominator", "Land"),
    "value_added_per_tce": _indicator("value_added_per_tce",
                                      "value added per tonne of coal equivalent",
                                      "Value added per tce"),
    "tax_per_tce": _indicator("tax_per_tce", "tax per tonne of coal equivalent", "Tax per tce"),
    "value_added_per_t_emissions": _indicator("value_added_per_t_emissions",
                                              "value added per tonne of emissions",
                                              "Value added per t emissions"),
    "labour_productivity": _indicator("labour_productivity", "value added per employee",
                                      "Labour productivity"),
    "plot_ratio": _indicator("plot_ratio", "floor area / land area (m²/m²)", "Plot ratio"),
    "new_land_mu": Label("新增产业用地面积", "亩", "land supplied in the year, mu"),
    "new_land_investment_wan": Label("新增产业用地合同投资", "万元",
                                     "contracted investment on land supplied in the year"),
    "new_land_investment_intensity": _indicator("new_land_investment_intensity",
                                                "contracted investment per mu of new land",
                                                "New land investment intensity"),
    "project_investment_wan": Label("项目总投资", "万元", "investment of the projects"),
    "project_land_mu": Label("项目用地面积", "亩", "land of the projects, mu"),
    "project_investment_intensity": _indicator("project_investment_intensity",
                                               "project investment per mu of land",
                                               "Project investment intensity"),
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
    "industry": _field("enterprises", "industry", "industry code", "Industry"),
    # evaluation (analysis/efficiency, grading, low_efficiency, ranking)
    "new_land_investment_intensity_growth": Label(
        "新增产业用地投资强度增长率", "%", "growth of the investment intensity of new land",
        fraction=True),
    "composite_score": Label("综合排名得分", "分", "weighted percentile score behind the rank"),
    "low_efficiency_mu": Label("低效用地面积", "亩", "land of low-efficiency plots, mu"),
    "low_efficiency_share": Label("低效用地占比", "%", "low-efficiency land / land",
                                  fraction=True),
    "n_low_efficiency_plots": Label("低效地块数", "块", "plots on the low-efficiency list",
                                    name_en="Low-efficiency plots"),
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
    # the app's own tables (the data-quality report: one row per problem)
    "layer": Label("图层", "", "layer the problem is in", name_en="Layer"),
    "row": Label("行号", "", "row of the problem (0 = first)", name_en="Row"),
    "id": Label("编号", "", "key of the row", name_en="Id"),
    "column": Label("字段", "", "column of the problem", name_en="Column"),
    "problem": Label("问题", "", "what is wrong", name_en="Problem"),
    "item": Label("评价指标", "", "evaluation item", name_en="Item"),
    "points": Label("得分", "分", "points the item adds to the score", name_en="Points"),
}
"""Labels of the columns the analyses derive (canonical columns come from the schemas)."""

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
                return Label(f.label_zh, f.unit, known.en if known else "",
                             fraction=known.fraction if known else False,
                             name_en=known.name_en if known else "")
    return None


def column_label(column: str, layer: str | None = None) -> Label:
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


_STAGE_ZH = {code: zh for code, (zh, _) in PROJECT_STAGE_NAMES.items()}
_CODED = frozenset(COLUMN_KINDS) | LIST_COLUMNS


def _derived(column: str) -> Label | None:
    """Label generated column families: contrib_X, bench_X, X_target_met, n_A, n_projects_S."""
    for prefix, zh, en in (("contrib_", "得分贡献", "points the item adds to the score"),
                           ("bench_", "基准值", "the group's benchmark of the item")):
        if column.startswith(prefix) and column[len(prefix):] in COLUMN_LABELS:
            base = COLUMN_LABELS[column[len(prefix):]]
            unit = "分" if prefix == "contrib_" else base.unit
            return Label(f"{base.zh}{zh}", unit, f"{en}: {base.en}")
    if column.endswith(NAME_SUFFIX) and column.removesuffix(NAME_SUFFIX) in _CODED:
        stem = column.removesuffix(NAME_SUFFIX)
        base = column_label(stem)
        return Label(f"{base.zh}{_NAME_ZH}", "", f"{base.en or stem}, by name",
                     name_en=f"{base.name('en', stem)} name")
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
            base = column_label(stem if stem in COLUMN_LABELS else f"{stem}_growth")
            name = base.zh.removesuffix(GROWTH_ZH)
            return Label(f"{name}{zh}", unit, f"{zh}: {base.en}", fraction=frac)
    for prefix, zh in (("output_", INDICATOR_ZH["output_per_mu"]),
                       ("tax_", INDICATOR_ZH["tax_per_mu"])):
        rest = column[len(prefix):]
        if column.startswith(prefix) and rest.split("_")[0] in ("gi", "lisa"):
            base = COLUMN_LABELS.get(rest)
            if base is not None:
                return Label(f"{zh}{base.zh}", base.unit, base.en.replace("tax per mu", zh))
    return None


def header(column: str, layer: str | None = None, lang: str = "zh") -> str:
    """Spreadsheet header with the unit in brackets.

    ``"亩均税收(万元/亩)"`` in Chinese, ``"Tax per mu (10k CNY/mu)"`` in English.
    """
    lab = column_label(column, layer)
    name, unit = lab.name(lang, column), lab.unit_in(lang)
    if not unit:
        return name
    return f"{name}({unit})" if lang == "zh" else f"{name} ({unit})"


def headers(columns, layer: str | None = None, lang: str = "zh") -> dict[str, str]:
    """``{column: header}`` for a table, made unique by adding the column name on clashes.

    Parameters
    ----------
    columns
        Column names in order.
    layer
        Canonical layer name, when the table is one.
    lang
        ``"zh"`` or ``"en"``.
    """
    columns = list(columns)
    present = {str(c) for c in columns}
    out: dict[str, str] = {}
    seen: set[str] = set()
    for col in columns:
        text = header(str(col), layer, lang)
        if f"{col}{NAME_SUFFIX}" in present:  # codes beside their names
            text += _CODE_ZH if lang == "zh" else " code"
        if text in seen:
            text = f"{text}[{col}]"
        seen.add(text)
        out[col] = text
    return out


def describe(column: str, layer: str | None = None) -> str:
    """One line for ``README.txt``: ``"tax_per_mu  亩均税收 (万元/亩): tax per mu of land"``."""
    lab = column_label(column, layer)
    unit = f" ({lab.unit})" if lab.unit else ""
    en = f": {lab.en}" if lab.en and lab.en != lab.zh else ""
    if lab.fraction:
        en += " [stored as a fraction, 0.10 = 10 %]"
    return f"{column}  {lab.zh}{unit}{en}"
