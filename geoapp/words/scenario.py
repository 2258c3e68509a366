"""Words of the scenario planner (盘活方案测算): its columns, the app's tab and its charts.

Merged into :data:`geoapp.words.COLUMN_LABELS` and :data:`geoapp.words.TEXT` on import, so
``words.label("cost_wan")`` and ``words.text("scenario.title")`` work like every other word.
"""

from __future__ import annotations

from geoapp.words.columns import Label

SCENARIO_COLUMNS: dict[str, Label] = {
    "scenario": Label("方案", en="name of the scenario", name_en="Scenario"),
    "start_year": Label("启动年份", en="year the action starts", name_en="Start year"),
    "reclaimed_year": Label("盘活年份", en="year the plot counts as reclaimed (start + lead)",
                            name_en="Reclaimed in"),
    "cost_wan": Label("成本", "万元", "public cost of the action, 万元 (area × cost per mu)",
                      name_en="Cost"),
    "tax_before_wan": Label("现状税收", "万元", "yearly tax of the plot before the action",
                            name_en="Tax before"),
    "tax_after_wan": Label("达产后税收", "万元", "yearly tax of the plot at full yield after "
                           "the action", name_en="Tax after"),
    "output_before_wan": Label("现状产值", "万元", "yearly output before the action",
                               name_en="Output before"),
    "output_after_wan": Label("达产后产值", "万元", "yearly output at full yield after the "
                              "action", name_en="Output after"),
    "tax_gain_wan": Label("税收增量", "万元", "tax after minus tax before, a year at full yield",
                          name_en="Tax gain"),
    "tax_at_horizon_wan": Label("期末税收", "万元", "yearly tax of the plot in the last "
                                "simulated year", name_en="Tax at horizon"),
    "relet_mu": Label("再出让面积", "亩", "land re-let after reclaiming", name_en="Re-let"),
    "yield_source": Label("收益依据", en="what re-let land yields: park:<id>, district:<code>, "
                          "project:<id> or plot_ratio", name_en="Yield basis"),
    "n_actions": Label("地块数", "块", "plots in the scenario", name_en="Plots"),
    "tax_per_mu_end": Label("期末亩均税收", "万元/亩", "district tax per mu in the last "
                            "simulated year", name_en="Tax per mu at horizon"),
    "tax_per_mu_base": Label("现状亩均税收", "万元/亩", "district tax per mu of the evaluated "
                             "year", name_en="Tax per mu now"),
}
"""Column labels of scenario tables and exports."""

SCENARIO_TEXT: dict[str, tuple[str, str]] = {
    "tab_scenario": ("盘活方案", "Scenarios"),
    "scenario.pick": ("方案", "Scenario"),
    "scenario.new": ("新方案名称", "New scenario name"),
    "scenario.create": ("新建", "Create"),
    "scenario.save": ("保存方案", "Save scenario"),
    "scenario.reload": ("重新载入", "Reload"),
    "scenario.saved": ("已保存", "Saved"),
    "scenario.none": ("尚无方案:输入名称新建", "No scenario yet: type a name to create one"),
    "scenario.mode": ("处置方式", "Mode"),
    "scenario.start_year": ("启动年份", "Start year"),
    "scenario.source": ("选取地块", "Add plots from"),
    "scenario.from_low": ("低效地块清单", "the low-efficiency list"),
    "scenario.from_selection": ("当前筛选", "the current filters"),
    "scenario.from_map": ("地图点选", "the plot clicked on the map"),
    "scenario.plots": ("地块", "Plots"),
    "scenario.paste": ("或输入地块编号(空格、逗号分隔)", "or type plot ids (space or comma)"),
    "scenario.add": ("加入方案", "Add to scenario"),
    "scenario.remove": ("移出方案", "Remove from scenario"),
    "scenario.no_click": ("尚未在地图上点选地块", "No plot clicked on the map yet"),
    "scenario.actions": ("方案地块", "Plots in the scenario"),
    "scenario.effect": ("亩均税收影响", "Effect on tax per mu"),
    "scenario.unsaved": ("有未保存的修改", "Unsaved changes"),
    "scenario.no_target": ("该区无盘活目标", "No reclamation target for this district"),
    "scenario.in_scenario": ("方案", "scenario"),
    "scenario.ledger": ("台账已记录", "ledger"),
    "scenario.year": ("年份", "year"),
    "scenario.cost": ("成本", "cost"),
    "scenario.summary": ("{n}块地,{mu}亩,成本{cost}万元", "{n} plots, {mu} mu, cost {cost} wan"),
}
"""Words of the scenario tab and charts: ``key → (Chinese, English)``."""
