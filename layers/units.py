"""Units of area and money, declared once.

1 mu (亩) = 10000/15 m² ≈ 666.67 m²; 1 ha = 15 mu. Money is in 万元 (10⁴ CNY) unless a column
name says otherwise (``_yuan``, ``_yi``).
"""

from __future__ import annotations

M2_PER_MU: float = 10_000 / 15
"""Square metres in one mu (亩)."""

M2_PER_HA: float = 10_000.0
MU_PER_HA: float = 15.0
M2_PER_KM2: float = 1_000_000.0

WAN_PER_YUAN: float = 1e-4
"""万元 in one 元."""
WAN_PER_YI: float = 1e4
"""万元 in one 亿元."""

MONEY_UNITS: dict[str, float] = {
    "wan": 1.0,
    "万元": 1.0,
    "yuan": WAN_PER_YUAN,
    "元": WAN_PER_YUAN,
    "yi": WAN_PER_YI,
    "亿元": WAN_PER_YI,
}
"""Factor that turns an amount in the named unit into 万元."""


AREA_UNITS_M2: dict[str, float] = {
    "m2": 1.0, "m²": 1.0, "㎡": 1.0, "平方米": 1.0, "平米": 1.0,
    "mu": M2_PER_MU, "亩": M2_PER_MU,
    "ha": M2_PER_HA, "公顷": M2_PER_HA,
    "km2": M2_PER_KM2, "km²": M2_PER_KM2, "平方公里": M2_PER_KM2,
}
"""Square metres in one unit of area as headers write it (``用地面积(亩)``, ``area (ha)``)."""

FIELD_UNIT_M2: dict[str, float] = {"m²": 1.0, "亩": M2_PER_MU}
"""Square metres in one unit of the schema's area fields (``_m2`` and ``_mu`` columns)."""

