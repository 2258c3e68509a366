"""The synthetic reclamation ledger: cohorts of low-efficiency plots and their events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoapp.demo.common import AS_OF, BAOSHAN, DISTRICT_PREFIX, day_number, iso_dates, random_stream
from layers.schema import LEDGER_STAGES, RECLAMATION_MODES

_RECLAIMED_NOTES = {
    "vacate": "企业腾退完成,土地交回(合成)",
    "acquire": "签订收储协议并交地(合成)",
    "lease": "整体租赁协议生效(合成)",
    "codevelop": "合作开发协议签订(合成)",
    "upgrade": "转型提升方案获批(合成)",
}
_LEDGER_NOTES = {
    "identified": ("列入低效用地清单(合成)", "综合评价D类,启动摸排(合成)"),
    "in_progress": ("已约谈企业,协商处置方案(合成)", "评估作价中(合成)", "签订意向协议(合成)"),
    "reclaimed": ("完成交地(合成)",),
    "reused": ("新项目签约落地(合成)", "转型提升项目开工(合成)"),
}


# ---------------------------------------------------------------------------------------------
# ledger


def _reclaim_targets(rng, district: str) -> list[tuple[int, float]]:
    """(year, mu reclaimed that year) per cohort: short of the plans, as the real ones were."""
    if district == BAOSHAN:
        return [(2022, rng.uniform(600, 900)), (2023, rng.uniform(1600, 1800)),
                (2024, rng.uniform(400, 700))]
    total = rng.uniform(2000, 2600)  # 2023-2024, toward 5000 亩 by 2027
    share = rng.uniform(0.5, 0.6)
    return [(2022, rng.uniform(300, 600)), (2023, total * share), (2024, total * (1 - share))]


def make_ledger(seed: int, plots: pd.DataFrame, district: np.ndarray):
    """Reclamation events, and per plot the year it was reclaimed (0: not) and if reused."""
    rng = random_stream(seed, 5)
    n = len(plots)
    modes = np.array(list(RECLAMATION_MODES))
    mode = rng.choice(modes, n, p=[0.3, 0.2, 0.15, 0.15, 0.2])
    frac = np.where(np.isin(mode, ("vacate", "acquire")), 1.0, rng.uniform(0.4, 1.0, n))
    rmu = np.floor(plots["area_mu"].to_numpy() * frac * 100) / 100
    status = plots["status"].to_numpy()
    eff = plots["efficiency"].to_numpy()
    as_of = day_number(AS_OF)
    reclaim_year = np.zeros(n, dtype="int64")
    reused = np.zeros(n, dtype=bool)
    rows = []  # (plot index, day, stage index, reclaimed_mu)
    for d in DISTRICT_PREFIX:
        in_d = district == d
        low = eff < np.quantile(eff[in_d], 0.3) if in_d.any() else in_d
        old = plots["supply_year"].to_numpy() < 2015
        cand = np.flatnonzero(in_d & np.isin(status, ("in_use", "idle")) & old
                              & (low | (status == "idle")) & (rmu >= 0.01))
        cand = rng.permutation(cand)
        pos = 0
        n_reclaimed = 0
        for year, target in _reclaim_targets(rng, d):
            cs = np.cumsum(rmu[cand[pos:]])
            if len(cs) == 0:
                break
            k = min(int(np.searchsorted(cs, target)), len(cs) - 1)
            take = cand[pos:pos + k + 1]
            pos += k + 1
            last = np.floor((target - (cs[k - 1] if k else 0.0)) * 100) / 100
            mu = rmu[take].copy()
            if last >= 0.01:
                mu[-1] = min(mu[-1], last)
            start = day_number("2022-04-01" if year == 2022 else f"{year}-01-01")
            end = min(day_number(f"{year}-12-31"), as_of - 10)
            d_r = start + rng.integers(0, end - start + 1, len(take))
            d_i = np.maximum(d_r - rng.integers(90, 421, len(take)), day_number("2022-01-01"))
            d_p = d_i + ((d_r - d_i) * rng.uniform(0.3, 0.7, len(take))).astype("int64")
            room = as_of - d_r
            re = (rng.random(len(take)) < 0.45) & (room > 60)
            d_u = d_r + (60 + (np.maximum(np.minimum(room, 400) - 60, 1)
                               * rng.random(len(take)))).astype("int64")
            reclaim_year[take] = year
            reused[take] = re
            n_reclaimed += len(take)
            for stage, day, val in ((0, d_i, np.nan), (1, d_p, np.nan), (2, d_r, mu)):
                rows.append((take, day, np.full(len(take), stage),
                             np.broadcast_to(val, len(take)).astype(float)))
            n_re = int(re.sum())
            rows.append((take[re], d_u[re], np.full(n_re, 3), np.full(n_re, np.nan)))
        pend = cand[pos:pos + max(3, round(0.6 * n_reclaimed))]
        recent = rng.random(len(pend)) < 0.6
        ago = np.where(recent, rng.integers(30, 300, len(pend)), rng.integers(300, 900, len(pend)))
        d_i = as_of - ago
        d_p = d_i + rng.integers(20, 300, len(pend))
        prog = (rng.random(len(pend)) < 0.6) & (d_p <= as_of)
        rows.append((pend, d_i, np.zeros(len(pend), dtype=int), np.full(len(pend), np.nan)))
        rows.append((pend[prog], d_p[prog], np.ones(int(prog.sum()), dtype=int),
                     np.full(int(prog.sum()), np.nan)))
    idx = np.concatenate([r[0] for r in rows])
    day = np.concatenate([r[1] for r in rows])
    stage = np.concatenate([r[2] for r in rows])
    mu = np.concatenate([r[3] for r in rows])
    stages = np.array(LEDGER_STAGES, dtype=object)
    note = np.empty(len(idx), dtype=object)
    for s, texts in _LEDGER_NOTES.items():
        m = stages[stage] == s
        note[m] = np.array(texts, dtype=object)[rng.integers(0, len(texts), int(m.sum()))]
    is_reclaimed = stages[stage] == "reclaimed"
    note[is_reclaimed] = [_RECLAIMED_NOTES[m] for m in mode[idx][is_reclaimed]]
    events = pd.DataFrame({
        "plot_id": plots["plot_id"].to_numpy()[idx],
        "date": iso_dates(day),
        "stage": stages[stage],
        "mode": mode[idx].astype(object),
        "reclaimed_mu": mu,
        "note": note,
    })
    events = events.iloc[np.lexsort((stage, day, idx))].reset_index(drop=True)
    return events, reclaim_year, reused, np.unique(idx)


