"""Words of the map's legend and of the app's long waits (``key → (zh, en)``).

Merged into :data:`geoapp.words.TEXT` on import, so ``words.text("legend.grid_note")`` works
like every other word.
"""

from __future__ import annotations

LEGEND_TEXT: dict[str, tuple[str, str]] = {
    # brackets around a variable named after a class ("热点（亩均税收）99%")
    "paren_open": ("（", " ("),
    "paren_close": ("）", ") "),
    # legend groups
    "legend.grid": ("网格汇总", "grid cells"),
    "legend.grid_note": ("缩放较小：按网格汇总（Σ金额/Σ用地），放大后显示地块",
                         "Zoomed out: grid cells (Σ amount / Σ land); zoom in for plots"),
    "legend.low_plot": ("低效地块（斜线、虚线框）", "Low-efficiency plot (hatched, dashed)"),
    "legend.low_grid": ("含低效地块的网格：斜线方块面积 = 低效用地占比",
                        "Grid cell with low-efficiency plots: hatched square area = "
                        "low-efficiency share of its land"),
    "legend.low_grid_note": ("缩放较小：低效地块按网格显示，放大后显示地块",
                             "Zoomed out: low-efficiency plots shown per grid cell; zoom in "
                             "for plots"),
    "legend.ledger_points": ("缩放较小：台账地块显示为圆点", "Zoomed out: ledger plots as dots"),
    "legend.density_scale": ("低 → 高（第2至第99.5百分位）",
                             "low → high (2nd to 99.5th percentile)"),
    "legend.hotspots_method": ("Getis-Ord Gi*，置信度", "Getis-Ord Gi*, confidence"),
    # units of a density surface, by the unit written in its GeoTIFF
    "unit.enterprises per km2": ("家/km²", "enterprises/km²"),
    "unit.wan CNY (output) per km2": ("万元(产值)/km²", "10k CNY (output)/km²"),
    "unit.wan CNY (tax) per km2": ("万元(税收)/km²", "10k CNY (tax)/km²"),
    # long waits: "正在计算：综合评价 (1/3)"
    "wait.computing": ("正在计算", "Computing"),
    "wait.reading": ("正在读取", "Reading"),
    "wait.layers": ("图层", "layers"),
    "wait.results": ("{year}年分析结果", "results of {year}"),
}
"""Words of the legend and the waits, by key."""
