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
MU_PER_KM2: float = M2_PER_KM2 / M2_PER_MU  # 1500 mu

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


def m2_to_mu(area_m2):
    """Convert square metres to mu (亩); works on scalars, arrays and Series."""
    return area_m2 / M2_PER_MU


def mu_to_m2(area_mu):
    """Convert mu (亩) to square metres; works on scalars, arrays and Series."""
    return area_mu * M2_PER_MU
