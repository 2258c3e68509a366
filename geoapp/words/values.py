"""Names of coded values in Chinese and English: ``kind → code → (zh, en)``, declared once.

Domain vocabulary that :mod:`analysis` and :mod:`layers.schema` need for their own outputs
(industries, reclamation modes, low-efficiency reasons, unrated reasons) is read from there,
never typed again here.

Also here: the words planners write in a ledger spreadsheet for a stage or a mode
(:data:`STAGE_WORDS`, :data:`MODE_WORDS`), which :mod:`geoapp.ledger` maps to codes.
"""

from __future__ import annotations

from analysis.grading import UNRATED_REASONS_ZH
from analysis.low_efficiency import REASON_LABELS_ZH
from layers.schema import INDUSTRIES, RECLAMATION_MODES, SCHEMAS

_INDUSTRIES_EN = {
    "biomed": "Biomedicine", "new_materials": "New materials",
    "robotics": "Robotics & smart manufacturing", "ic": "Integrated circuits",
    "digital": "Digital economy", "chemicals": "Chemicals", "auto": "Automotive & parts",
    "equipment": "High-end equipment", "steel": "Steel", "energy": "Energy & low carbon",
    "food": "Food", "logistics": "Logistics", "other": "Other",
}
_MODES_EN = {"vacate": "Vacate", "acquire": "Acquire", "lease": "Lease whole",
             "codevelop": "Co-develop", "upgrade": "Upgrade"}
_UNRATED_EN = {"new": "In production under two years", "utility": "Public utility",
               "no_land": "No land", "no_scheme": "No applicable scheme"}
_REASONS_EN = {
    "grade_d": "Grade D", "low_tax": "Tax per mu below floor", "idle": "Idle",
    "zone_198": "In a 198 area", "contract_investment": "Investment below contract",
    "contract_output": "Output below contract", "contract_tax": "Tax below contract",
    "low_plot_ratio": "Plot ratio below floor",
}


def _pairs(zh: dict[str, str], en: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {code: (name, en.get(code, code.replace("_", " "))) for code, name in zh.items()}


LEDGER_STAGE_NAMES: dict[str, tuple[str, str]] = {
    "identified": ("已认定", "Identified"),
    "in_progress": ("推进中", "In progress"),
    "reclaimed": ("已盘活", "Reclaimed"),
    "reused": ("已再利用", "Reused"),
}
PROJECT_STAGE_NAMES: dict[str, tuple[str, str]] = {
    "signed": ("已签约", "Signed"),
    "started": ("已开工", "Started"),
    "under_construction": ("在建", "Under construction"),
    "completed": ("已竣工", "Completed"),
    "in_production": ("已投产", "In production"),
}

VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "industry": _pairs(INDUSTRIES, _INDUSTRIES_EN),
    "mode": _pairs(RECLAMATION_MODES, _MODES_EN),
    "stage": {**LEDGER_STAGE_NAMES, **PROJECT_STAGE_NAMES},
    "ledger_stage": LEDGER_STAGE_NAMES,
    "project_stage": PROJECT_STAGE_NAMES,
    "status": {"in_use": ("在用", "In use"), "idle": ("闲置", "Idle"),
               "under_construction": PROJECT_STAGE_NAMES["under_construction"]},
    "level": {"municipal": ("市级", "Municipal"), "district": ("区级", "District"),
              "other": ("其他", "Other")},
    "scale": {"above": ("规上", "Above scale"), "below": ("规下", "Below scale")},
    "scope_type": {"district": ("区", "District"), "town": ("街镇", "Town"),
                   "park": ("园区", "Park")},
    "unrated_reason": _pairs(UNRATED_REASONS_ZH, _UNRATED_EN),
    "reason": _pairs(REASON_LABELS_ZH, _REASONS_EN),
    "zone_type": {z: (f"{z}区块", f"Zone {z}") for z in ("104", "195", "198")},
    "grade": {"A": ("A类", "A"), "B": ("B类", "B"), "C": ("C类", "C"), "D": ("D类", "D"),
              "T": ("未参评", "Unrated")},
    "bool": {"True": ("是", "Yes"), "False": ("否", "No")},
    "layer": {name: (schema.label_zh or name, name.replace("_", " ").capitalize())
              for name, schema in SCHEMAS.items()},
    "analysis_stage": {"evaluation": ("综合评价", "Evaluation"),
                       "reclamation": ("盘活进度", "Reclamation"),
                       "clusters": ("产业集聚", "Clusters")},
    "hotspot": {"hot": ("热点", "hot spot"), "cold": ("冷点", "cold spot")},
    "scheme": {"quantiles": ("分位数", "Quantiles"),
               "natural_breaks": ("自然断点", "Natural breaks"),
               "policy": ("政策分类 A/B/C/D", "Policy classes A/B/C/D")},
    "basemap": {"none": ("无底图(区/街镇边界)", "None (district/town outlines)"),
                "osm": ("OpenStreetMap", "OpenStreetMap"),
                "tianditu": ("天地图", "Tianditu"), "amap": ("高德地图(GCJ-02)", "AMap (GCJ-02)"),
                "xyz": ("自定义XYZ瓦片", "Custom XYZ tiles")},
}
"""``kind → code → (Chinese, English)`` of every coded value shown to planners."""

COLUMN_KINDS: dict[str, str] = {
    "industry": "industry", "main_industry": "industry", "mode": "mode", "ledger_mode": "mode",
    "stage": "stage", "ledger_stage": "ledger_stage", "status": "status", "level": "level",
    "scale": "scale", "scope_type": "scope_type", "unrated_reason": "unrated_reason",
    "zone_type": "zone_type", "metric": "target_metric", "reasons": "reason", "layer": "layer",
}
"""Which kind of value a column holds, for :func:`geoapp.words.translate_values`."""

LIST_COLUMNS: frozenset[str] = frozenset({"lead_industries", "reasons"})
"""Columns holding ``;``-separated lists of codes, each translated."""

_STAGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "identified": ("认定", "已识别", "识别", "已列入", "列入清单", "待盘活", "未启动"),
    "in_progress": ("在谈", "洽谈中", "谈判中", "实施中", "处置中", "进行中", "已启动"),
    "reclaimed": ("盘活", "已腾退", "已收储", "已收购", "已处置", "已完成", "完成"),
    "reused": ("再利用", "已导入项目", "已利用"),
}
STAGE_WORDS: dict[str, tuple[str, ...]] = {
    stage: (LEDGER_STAGE_NAMES[stage][0], *words) for stage, words in _STAGE_SYNONYMS.items()
}
"""Words planners write in 当前状态, by stage. English codes are accepted too."""

MODE_WORDS: dict[str, tuple[str, ...]] = {
    code: (name, *extra) for (code, name), extra in zip(
        RECLAMATION_MODES.items(),
        (("腾退",), ("收储", "收购"), ("租赁",), ("合作",), ("提升", "转型")), strict=True)
}
"""Words planners write in 处置方式, by mode (the plan's five names first)."""

NOTE_HEADERS: tuple[str, ...] = ("备注", "详细进展", "进展情况", "note")
"""Ledger spreadsheet headers whose texts are joined into the event's note."""
