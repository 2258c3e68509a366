"""The canonical layer schemas of geoapp, declared once.

These names are the product's data contract (see the README, "Data contract"): every loader
maps outside data onto them, every analysis and export reads them. Columns may be added, not
renamed. Money is in 万元 (``_wan``), areas carry their unit (``_m2``, ``_mu``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

POLYGONAL = ("Polygon", "MultiPolygon")

INDUSTRIES: dict[str, str] = {
    "biomed": "生物医药",
    "new_materials": "新材料",
    "robotics": "机器人与智能制造",
    "ic": "集成电路",
    "digital": "数字经济",
    "chemicals": "化工",
    "auto": "汽车及零部件",
    "equipment": "高端装备",
    "steel": "钢铁",
    "energy": "能源与低碳",
    "food": "食品",
    "logistics": "物流",
    "other": "其他",
}
"""Industry codes (short English slugs) and their Chinese labels."""

RECLAMATION_MODES: dict[str, str] = {
    "vacate": "低效腾退",
    "acquire": "收储收购",
    "lease": "整体租赁",
    "codevelop": "合作开发",
    "upgrade": "转型提升",
}
"""The five reclamation modes of the Jinshan plan, in the plan's order."""

LEDGER_STAGES: tuple[str, ...] = ("identified", "in_progress", "reclaimed", "reused")
"""Reclamation stages in the only order a plot may move through them."""

PROJECT_STAGES: tuple[str, ...] = (
    "signed",
    "started",
    "under_construction",
    "completed",
    "in_production",
)

ZONE_TYPES: tuple[str, ...] = ("104", "195", "198")
"""Shanghai industrial zoning: 104 industrial blocks, 195 areas (outside the blocks, inside the
urban development boundary), 198 areas (outside it: 减量化, land to be reduced)."""


@dataclass(frozen=True)
class Field:
    """One column of a layer.

    Attributes
    ----------
    name
        Canonical snake_case English name.
    dtype
        ``"string"``, ``"int"``, ``"float"``, ``"money"`` (float, 万元, never negative),
        ``"date"`` (ISO ``YYYY-MM-DD``) or ``"code"`` (digits kept as text).
    required
        Whether the column must exist and every row must have a value.
    choices
        Allowed values, if the column is a domain.
    label_zh
        Chinese label shown in the UI and in exports.
    unit
        Unit of the values, e.g. ``"万元"``, ``"m²"``, ``"亩"``.
    aliases
        Headers found in planners' files (Chinese, English variants) that mean this column.
    nonnegative
        Whether negative values are errors (always true for money, areas and counts).
    """

    name: str
    dtype: str = "string"
    required: bool = True
    choices: tuple[str, ...] | None = None
    label_zh: str = ""
    unit: str = ""
    aliases: tuple[str, ...] = ()
    nonnegative: bool = False

    @property
    def numeric(self) -> bool:
        """Whether values must be numbers."""
        return self.dtype in ("int", "float", "money")


@dataclass(frozen=True)
class LayerSchema:
    """What one layer is.

    Attributes
    ----------
    name
        Layer name in the workspace.
    key
        Column whose values must be unique (None for event tables).
    geometry
        Allowed geometry types; ``()`` for tables without geometry.
    geometry_required
        False where rows may be located another way (enterprises by ``plot_id``).
    fields
        The canonical columns.
    references
        ``{column: layer}``: values must exist as that layer's key.
    label_zh
        Chinese name of the layer.
    """

    name: str
    key: str | None
    geometry: tuple[str, ...]
    fields: tuple[Field, ...]
    geometry_required: bool = True
    references: dict[str, str] = field(default_factory=dict)
    label_zh: str = ""

    @property
    def spatial(self) -> bool:
        """Whether the layer may carry geometry."""
        return bool(self.geometry)

    @property
    def columns(self) -> list[str]:
        """Canonical column names in order."""
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        """Columns that must be present."""
        return [f.name for f in self.fields if f.required]

    @property
    def row_id(self) -> str | None:
        """The column that names a row in messages: the key, else ent_id, else plot_id."""
        if self.key:
            return self.key
        for name in ("ent_id", "plot_id"):
            if name in self.columns:
                return name
        return None

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"layer '{self.name}' has no field '{name}'")

    def labels_zh(self) -> dict[str, str]:
        """``{column: Chinese label}`` for the UI and exports (with the unit)."""
        out = {}
        for f in self.fields:
            label = f.label_zh or f.name
            out[f.name] = f"{label}({f.unit})" if f.unit else label
        return out


def _money(name: str, label: str, *aliases: str, required: bool = False) -> Field:
    return Field(
        name, "money", required=required, label_zh=label, unit="万元", aliases=aliases,
        nonnegative=True,
    )


DISTRICTS = LayerSchema(
    name="districts",
    key="code",
    geometry=POLYGONAL,
    label_zh="区",
    fields=(
        Field("code", "code", label_zh="区划代码", aliases=("adcode", "区划代码", "代码")),
        Field("name", label_zh="区名称", aliases=("名称", "区", "区名")),
    ),
)

TOWNS = LayerSchema(
    name="towns",
    key="code",
    geometry=POLYGONAL,
    geometry_required=False,
    label_zh="街镇",
    references={"district_code": "districts"},
    fields=(
        Field("code", "code", label_zh="街镇代码", aliases=("街镇代码", "乡镇代码", "代码")),
        Field("name", label_zh="街镇名称", aliases=("街镇", "乡镇", "名称", "镇")),
        Field("district_code", "code", label_zh="区划代码", aliases=("区划代码", "areaCode")),
    ),
)

ZONES = LayerSchema(
    name="zones",
    key="zone_id",
    geometry=POLYGONAL,
    label_zh="产业区块",
    fields=(
        Field("zone_id", label_zh="区块编号", aliases=("区块编号", "编号")),
        Field("zone_type", "code", choices=ZONE_TYPES, label_zh="区块类型",
              aliases=("区块类型", "类型")),
        Field("name", required=False, label_zh="名称", aliases=("名称", "区块名称")),
    ),
)

PARKS = LayerSchema(
    name="parks",
    key="park_id",
    geometry=POLYGONAL,
    label_zh="产业园区",
    references={"district_code": "districts"},
    fields=(
        Field("park_id", label_zh="园区编号", aliases=("园区编号", "园区代码")),
        Field("name", label_zh="园区名称", aliases=("园区名称", "名称", "园区")),
        Field("district_code", "code", label_zh="区划代码", aliases=("区划代码",)),
        Field("level", choices=("municipal", "district", "other"), label_zh="园区级别",
              aliases=("级别", "园区级别")),
        Field("lead_industries", label_zh="主导产业", aliases=("主导产业",)),
        Field("synthetic", "int", required=False, label_zh="合成数据"),
    ),
)

PLOTS = LayerSchema(
    name="plots",
    key="plot_id",
    geometry=POLYGONAL,
    label_zh="产业地块",
    fields=(
        Field("plot_id", label_zh="地块编号",
              aliases=("地块编号", "宗地编号", "地块代码", "宗地号")),
        Field("land_use", label_zh="用地性质", aliases=("用地性质", "用地类型", "地类")),
        Field("status", choices=("in_use", "idle", "under_construction"), label_zh="地块状态",
              aliases=("地块状态", "状态", "使用状态")),
        Field("register_area_m2", "float", required=False, label_zh="登记面积", unit="m²",
              aliases=("登记面积", "宗地面积", "用地面积"), nonnegative=True),
        Field("floor_area_m2", "float", required=False, label_zh="建筑面积", unit="m²",
              aliases=("建筑面积",), nonnegative=True),
        Field("supply_year", "int", required=False, label_zh="供地年份",
              aliases=("供地年份", "出让年份")),
        _money("contract_investment_wan", "合同投资额", "合同投资额", "约定投资"),
        _money("contract_output_wan", "合同约定产值", "约定产值", "合同产值"),
        _money("contract_tax_wan", "合同约定税收", "约定税收", "合同税收"),
    ),
)

ENTERPRISES = LayerSchema(
    name="enterprises",
    key=None,  # one row per enterprise-year; (ent_id, year) is unique, checked in validation
    geometry=("Point",),
    geometry_required=False,
    label_zh="企业",
    references={"plot_id": "plots"},
    fields=(
        Field("ent_id", label_zh="企业编号", aliases=("企业编号",)),
        Field("name", label_zh="企业名称", aliases=("企业名称", "单位名称", "纳税人名称")),
        Field("credit_code", required=False, label_zh="统一社会信用代码",
              aliases=("统一社会信用代码", "信用代码", "社会信用代码")),
        Field("plot_id", required=False, label_zh="地块编号", aliases=("地块编号", "宗地编号")),
        Field("industry", label_zh="行业", aliases=("行业", "所属行业", "产业")),
        Field("year", "int", label_zh="年份", aliases=("年份", "年度")),
        Field("scale", choices=("above", "below"), label_zh="规模", aliases=("规模", "规上规下")),
        Field("start_year", "int", required=False, label_zh="投产年份", aliases=("投产年份",)),
        # Required for 规上 (above-scale) rows only: 规下 firms report tax alone (checked in
        # layers.validate).
        _money("output_wan", "工业总产值", "产值", "工业总产值", "总产值"),
        _money("tax_wan", "税收", "税收", "税收总额", "实缴税金", "纳税额", required=True),
        _money("value_added_wan", "工业增加值", "增加值", "工业增加值"),
        _money("revenue_wan", "营业收入", "营业收入", "主营业务收入"),
        Field("energy_tce", "float", required=False, label_zh="综合能耗", unit="吨标煤",
              aliases=("综合能耗", "能耗"), nonnegative=True),
        Field("emissions_t", "float", required=False, label_zh="主要污染物排放", unit="吨",
              aliases=("排放量", "污染物排放"), nonnegative=True),
        Field("employees", "int", required=False, label_zh="从业人员", unit="人",
              aliases=("从业人员", "职工人数", "员工人数"), nonnegative=True),
        _money("rd_wan", "研发投入", "研发投入", "研发经费"),
        Field("floor_area_m2", "float", required=False, label_zh="使用建筑面积", unit="m²",
              aliases=("租赁面积", "使用面积", "建筑面积"), nonnegative=True),
        Field("utility", "int", required=False, label_zh="公用事业"),
        Field("synthetic", "int", required=False, label_zh="合成数据"),
    ),
)

PROJECTS = LayerSchema(
    name="projects",
    key="project_id",
    geometry=("Point", "Polygon", "MultiPolygon"),
    label_zh="重点项目",
    references={"park_id": "parks", "plot_id": "plots"},
    fields=(
        Field("project_id", label_zh="项目编号", aliases=("项目编号",)),
        Field("name", label_zh="项目名称", aliases=("项目名称",)),
        Field("stage", choices=PROJECT_STAGES, label_zh="项目阶段", aliases=("项目阶段", "阶段")),
        _money("investment_wan", "总投资", "总投资", "投资额", required=True),
        Field("park_id", required=False, label_zh="园区编号", aliases=("园区编号",)),
        Field("plot_id", required=False, label_zh="地块编号", aliases=("地块编号",)),
        Field("land_mu", "float", required=False, label_zh="用地面积", unit="亩",
              aliases=("用地面积", "占地面积"), nonnegative=True),
        Field("start_date", "date", required=False, label_zh="开工日期", aliases=("开工日期",)),
        Field("planned_completion", "date", required=False, label_zh="计划竣工",
              aliases=("计划竣工日期", "计划竣工")),
        Field("industry", required=False, label_zh="行业", aliases=("行业",)),
        Field("synthetic", "int", required=False, label_zh="合成数据"),
    ),
)

LEDGER = LayerSchema(
    name="ledger",
    key=None,
    geometry=(),
    label_zh="盘活台账",
    references={"plot_id": "plots"},
    fields=(
        Field("plot_id", label_zh="地块编号", aliases=("地块编号", "宗地编号")),
        Field("date", "date", label_zh="日期", aliases=("日期", "时间", "进展日期")),
        Field("stage", choices=LEDGER_STAGES, label_zh="当前状态", aliases=("当前状态", "状态")),
        Field("mode", required=False, choices=tuple(RECLAMATION_MODES), label_zh="处置方式",
              aliases=("处置方式", "盘活方式")),
        Field("reclaimed_mu", "float", required=False, label_zh="处置面积", unit="亩",
              aliases=("处置面积", "盘活面积"), nonnegative=True),
        Field("note", required=False, label_zh="备注", aliases=("备注", "详细进展")),
    ),
)

TARGETS = LayerSchema(
    name="targets",
    key=None,
    geometry=(),
    label_zh="目标",
    fields=(
        Field("scope_type", choices=("district", "town", "park"), label_zh="范围类型"),
        Field("scope_id", label_zh="范围编号"),
        Field("year", "int", label_zh="年份"),
        Field("metric", label_zh="指标",
              choices=("reclaimed_mu", "reclaimed_plots", "reclaimed_mu_cumulative",
                       "tax_per_mu_growth", "output_per_mu_growth", "investment_intensity_growth")),
        Field("value", "float", label_zh="目标值"),
        Field("since_year", "int", required=False, label_zh="起算年份"),
        Field("source", required=False, label_zh="依据"),
    ),
)

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (DISTRICTS, TOWNS, ZONES, PARKS, PLOTS, ENTERPRISES, PROJECTS, LEDGER, TARGETS)
}
"""Every layer the workspace knows, by name, in dependency order."""

# Spreadsheet headers that carry coordinates rather than a column.
LON_HEADERS = ("lon", "lng", "longitude", "经度", "x_lon")
LAT_HEADERS = ("lat", "latitude", "纬度", "y_lat")


def schema(name: str) -> LayerSchema:
    """The schema of layer ``name``, with a clear error naming the known layers."""
    try:
        return SCHEMAS[name]
    except KeyError:
        raise ValueError(
            f"unknown layer {name!r}: expected one of {sorted(SCHEMAS)}"
        ) from None
