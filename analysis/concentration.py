"""Industrial concentration of parks: lead-industry share, location quotients, Herfindahl index.

The plans ask for featured parks whose lead industries are concentrated and visible
(产业集中度和显示度). For every park and industry this module computes

- the industry's **share** of the park's output (``s_i = e_park,i / e_park``) and its rank in
  the park; the park's **lead share** (Σ s_i over its lead industries, ``parks.lead_industries``
  "biomed;ic") and whether each lead industry is among the park's top industries;
- the **location quotient** ``LQ = (e_park,i / e_park) / (e_ref,i / e_ref)`` against the park's
  district and, when the data span more than one district, against the city (all data);
  LQ > 1 means the industry is more concentrated in the park than in the reference region;
- the **Herfindahl index** of the park's industry mix, ``HHI = Σ s_i²`` (1 = a single
  industry; 1/n = n industries of equal size);

and lists the enterprises of a lead industry that sit outside every park drawn for that
industry, with the nearest such park and the distance to it.

``e`` is output (``output_wan``, 万元) by default; tax or the enterprise count may be used
instead (``measure=``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.density import enterprise_points
from analysis.industries import lead_industry_list
from analysis.keys import isin
from analysis.overlay import locate_points
from layers.crs import WORK_CRS


def location_quotient(
    local: pd.Series, local_total: pd.Series, reference: pd.Series, reference_total: pd.Series
) -> pd.Series:
    """
    Location quotient ``(local / local_total) / (reference / reference_total)``.

    Parameters
    ----------
    local
        Amount of an industry in the unit (e.g. a park's biomed output, 万元).
    local_total
        Amount of all industries in the unit, indexed like ``local``.
    reference
        Amount of the same industry in the reference region (the district, the city).
    reference_total
        Amount of all industries in the reference region.

    Returns
    -------
    Series
        ``location_quotient``, indexed like ``local``; NaN where any denominator is zero or
        missing (never inf).
    """
    local_share = local / local_total.where(local_total > 0)
    reference_share = reference / reference_total.where(reference_total > 0)
    return (local_share / reference_share.where(reference_share > 0)).rename("location_quotient")


def herfindahl_index(amounts: pd.DataFrame) -> pd.Series:
    """
    Herfindahl index ``Σ s_i²`` of each row's shares across the columns.

    Parameters
    ----------
    amounts
        One row per unit (park), one column per industry, non-negative amounts (万元 or
        counts); missing values count as zero.

    Returns
    -------
    Series
        ``hhi`` in [1/n, 1], indexed like ``amounts``; NaN for a row whose total is zero.
    """
    values = amounts.fillna(0.0).astype("float64")
    total = values.sum(axis=1)
    shares = values.div(total.where(total > 0), axis=0)
    hhi = (shares**2).sum(axis=1, min_count=1).where(total > 0)
    return hhi.rename("hhi")


def assign_parks(
    enterprises: pd.DataFrame | gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    plots: gpd.GeoDataFrame | None = None,
    points: gpd.GeoSeries | None = None,
) -> pd.Series:
    """
    Find the park each enterprise-year is in.

    When ``plots`` carries a ``park_id`` column (the plot → park overlay by largest share), an
    enterprise whose ``plot_id`` is among those plots takes its plot's park (possibly none).
    Every other enterprise is placed by its point (its own, else its plot's representative
    point) in the park polygons; overlapping parks go to the smallest ``park_id``.
    ``points`` (:func:`analysis.density.enterprise_points` of ``enterprises``) saves locating
    them again when the caller has them.

    Returns
    -------
    Series
        ``park_id`` (string dtype) indexed like ``enterprises``; missing outside every park.
    """
    points = _points(enterprises, plots, points)
    by_point = locate_points(points, parks, "park_id").astype("string")
    if plots is None or "park_id" not in plots or "plot_id" not in enterprises:
        return by_point.rename("park_id")
    plot_park = pd.Series(
        plots["park_id"].astype("string").to_numpy(),
        index=plots["plot_id"].astype("string").to_numpy(),
    )
    plot_park = plot_park[~plot_park.index.duplicated()]
    plot_ids = enterprises["plot_id"].astype("string")
    known = isin(plot_ids, plot_park.index)
    via_plot = pd.Series(
        plot_park.reindex(plot_ids.to_numpy()).to_numpy(), index=enterprises.index, dtype="string"
    )
    return via_plot.where(known, by_point).rename("park_id")


def assign_districts(
    enterprises: pd.DataFrame | gpd.GeoDataFrame,
    *,
    districts: gpd.GeoDataFrame | None = None,
    parks: gpd.GeoDataFrame | None = None,
    plots: gpd.GeoDataFrame | None = None,
    points: gpd.GeoSeries | None = None,
) -> pd.Series:
    """
    Find the district code of each enterprise-year.

    In order: a ``district_code`` column on ``enterprises``; else the district polygon its
    point lies in (``districts`` with ``code``); else, when every park is in one district, that
    district for all (the data are one district's); else missing. ``points`` as for
    :func:`assign_parks`.

    Returns
    -------
    Series
        ``district_code`` (string dtype) indexed like ``enterprises``.
    """
    if "district_code" in enterprises:
        return enterprises["district_code"].astype("string").rename("district_code")
    if districts is not None and len(districts) and "code" in districts:
        points = _points(enterprises, plots, points)
        found = locate_points(points, districts, "code")
        return found.astype("string").rename("district_code")
    codes = set()
    if parks is not None and "district_code" in parks:
        codes = set(parks["district_code"].dropna().astype(str))
    value = codes.pop() if len(codes) == 1 else pd.NA
    return pd.Series(value, index=enterprises.index, dtype="string", name="district_code")


def _points(
    enterprises: pd.DataFrame, plots: gpd.GeoDataFrame | None, points: gpd.GeoSeries | None
) -> gpd.GeoSeries:
    """``points`` checked against ``enterprises``, or the enterprises located now."""
    if points is None:
        return enterprise_points(enterprises, plots)
    if not points.index.equals(enterprises.index):
        raise ValueError("points must be indexed like enterprises")
    return points


def _amounts(enterprises: pd.DataFrame, measure: str) -> pd.Series:
    if measure == "count":
        return pd.Series(1.0, index=enterprises.index, name="count")
    if measure not in enterprises:
        raise ValueError(f"enterprises have no '{measure}' column to measure concentration by")
    return pd.to_numeric(enterprises[measure], errors="raise").astype("float64").fillna(0.0)


def _park_leads(parks: pd.DataFrame) -> pd.DataFrame:
    """Long table ``park_id, industry`` of every park's lead industries."""
    rows = [
        (str(pid), industry)
        for pid, text in zip(parks["park_id"], parks["lead_industries"], strict=True)
        for industry in lead_industry_list(text)
    ]
    return pd.DataFrame(rows, columns=["park_id", "industry"]).astype("string")


def park_industry_concentration(
    enterprises: pd.DataFrame | gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    plots: gpd.GeoDataFrame | None = None,
    districts: gpd.GeoDataFrame | None = None,
    measure: str = "output_wan",
    top_n: int = 3,
    points: gpd.GeoSeries | None = None,
    park_of: pd.Series | None = None,
    district_of: pd.Series | None = None,
) -> pd.DataFrame:
    """
    Concentration of each park's industries: shares, rank, LQ against district and city, HHI.

    Parameters
    ----------
    enterprises
        Enterprise-years of one year with ``ent_id``, ``industry``, the ``measure`` column and
        a point or ``plot_id``.
    parks
        Parks with ``park_id``, ``name``, ``district_code``, ``lead_industries`` and polygons.
    plots
        Plots (to place enterprises by ``plot_id``), optionally with a ``park_id`` column.
    districts
        District polygons with ``code``, to place enterprises in districts; see
        :func:`assign_districts` for the fall-backs.
    measure
        ``"output_wan"`` (default), ``"tax_wan"`` or ``"count"``.
    top_n
        A lead industry is "in the top" when its rank in the park is at most this.
    points
        :func:`analysis.density.enterprise_points` of ``enterprises``, when the caller has
        them; default: located here (once).
    park_of
        :func:`assign_parks` of ``enterprises``, when the caller has it; default: found here.
    district_of
        :func:`assign_districts` of ``enterprises``, when the caller has it; default: found
        here.

    Returns
    -------
    DataFrame
        One row per park and industry present in the park, plus a row for each lead industry
        the park has none of. Columns: ``park_id``, ``park_name``, ``district_code``,
        ``industry``, ``is_lead``, ``n_enterprises``, ``amount`` (the measure in the park's
        industry), ``park_amount`` (all industries), ``share`` (fraction), ``rank`` (1 = the
        park's largest industry; missing when the park has none of it), ``in_top``,
        ``lq_district``, ``lq_city`` (filled only when enterprises lie in more than one
        district), and the park-level ``lead_share`` and ``hhi``. ``measure`` names the unit of
        ``amount`` and ``park_amount`` (万元 unless ``"count"``). Sorted by park, then rank.
    """
    amount = _amounts(enterprises, measure)
    points = _points(enterprises, plots, points)
    frame = pd.DataFrame(
        {
            "park_id": park_of if park_of is not None
            else assign_parks(enterprises, parks, plots=plots, points=points),
            "district_code": district_of if district_of is not None else assign_districts(
                enterprises, districts=districts, parks=parks, plots=plots, points=points
            ),
            "industry": enterprises["industry"].astype("string"),
            "amount": amount,
        },
        index=enterprises.index,
    )
    in_park = frame[frame["park_id"].notna()]
    per_pi = in_park.groupby(["park_id", "industry"], observed=True)["amount"].agg(
        amount="sum", n_enterprises="size"
    )
    leads = _park_leads(parks)
    lead_keys = pd.MultiIndex.from_frame(leads) if len(leads) else per_pi.index[:0]
    table = per_pi.reindex(per_pi.index.union(lead_keys)).reset_index()
    table["amount"] = table["amount"].fillna(0.0)
    table["n_enterprises"] = table["n_enterprises"].fillna(0).astype("int64")
    lead_set = set(zip(leads["park_id"], leads["industry"], strict=True))
    table["is_lead"] = [
        (p, i) in lead_set for p, i in zip(table["park_id"], table["industry"], strict=True)
    ]

    info = parks.assign(park_id=parks["park_id"].astype("string")).drop_duplicates("park_id")
    info = info.set_index("park_id")
    table["park_name"] = table["park_id"].map(info["name"]).astype("string")
    table["district_code"] = table["park_id"].map(info["district_code"].astype("string"))
    park_amount = in_park.groupby("park_id")["amount"].sum()
    table["park_amount"] = table["park_id"].map(park_amount).fillna(0.0).astype("float64")
    table["share"] = table["amount"] / table["park_amount"].where(table["park_amount"] > 0)

    present = table["amount"] > 0
    rank = table["amount"].where(present).groupby(table["park_id"]).rank(
        ascending=False, method="min"
    )
    table["rank"] = rank.astype("Int64")
    table["in_top"] = (table["rank"] <= top_n).fillna(False).astype(bool)

    located = frame[frame["district_code"].notna()]
    by_di = located.groupby(["district_code", "industry"])["amount"].sum()
    by_d = located.groupby("district_code")["amount"].sum()
    keys = pd.MultiIndex.from_arrays([table["district_code"], table["industry"]])
    table["lq_district"] = location_quotient(
        table["amount"],
        table["park_amount"],
        pd.Series(by_di.reindex(keys).to_numpy(), index=table.index),
        table["district_code"].map(by_d).astype("float64"),
    )
    if located["district_code"].nunique() > 1:
        by_ci = frame.groupby("industry")["amount"].sum()
        table["lq_city"] = location_quotient(
            table["amount"],
            table["park_amount"],
            table["industry"].map(by_ci).astype("float64"),
            pd.Series(float(frame["amount"].sum()), index=table.index),
        )
    else:
        table["lq_city"] = np.nan

    wide = table.pivot_table(
        index="park_id", columns="industry", values="amount", aggfunc="sum", fill_value=0.0
    )
    hhi = herfindahl_index(wide)
    lead_share = table["share"].where(table["is_lead"], 0.0).groupby(table["park_id"]).sum()
    lead_share = lead_share.where(park_amount.reindex(lead_share.index).fillna(0) > 0)
    table["lead_share"] = table["park_id"].map(lead_share).astype("float64")
    table["hhi"] = table["park_id"].map(hhi).astype("float64")
    columns = [
        "park_id", "park_name", "district_code", "industry", "is_lead", "n_enterprises",
        "amount", "park_amount", "share", "rank", "in_top", "lq_district", "lq_city",
        "lead_share", "hhi",
    ]
    table = table.sort_values(["park_id", "rank", "industry"], na_position="last", kind="stable")
    return table[columns].reset_index(drop=True)


def park_concentration_summary(table: pd.DataFrame) -> pd.DataFrame:
    """
    One row per park from :func:`park_industry_concentration`.

    Returns
    -------
    DataFrame
        Indexed by ``park_id``: ``park_name``, ``park_amount``, ``top_industry`` (largest by the
        measure), ``lead_industries`` (as listed), ``lead_share``, ``hhi``, ``leads_in_top``
        (every lead industry is within the top-n) and ``lead_ranks`` (e.g. ``"biomed:1;ic:4"``,
        ``-`` for a lead industry the park has none of).
    """
    rows = []
    for park_id, group in table.groupby("park_id", sort=True):
        lead = group[group["is_lead"]]
        top = group[group["rank"] == 1]["industry"]
        rows.append(
            {
                "park_id": park_id,
                "park_name": group["park_name"].iloc[0],
                "park_amount": float(group["park_amount"].iloc[0]),
                "top_industry": ";".join(sorted(top)) if len(top) else pd.NA,
                "lead_industries": ";".join(lead["industry"]),
                "lead_share": float(group["lead_share"].iloc[0]),
                "hhi": float(group["hhi"].iloc[0]),
                "leads_in_top": bool(len(lead)) and bool(lead["in_top"].all()),
                "lead_ranks": ";".join(
                    f"{i}:{'-' if pd.isna(r) else int(r)}"
                    for i, r in zip(lead["industry"], lead["rank"], strict=True)
                ),
            }
        )
    columns = [
        "park_id", "park_name", "park_amount", "top_industry", "lead_industries", "lead_share",
        "hhi", "leads_in_top", "lead_ranks",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("park_id")


def lead_industry_outside_parks(
    enterprises: pd.DataFrame | gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    plots: gpd.GeoDataFrame | None = None,
    points: gpd.GeoSeries | None = None,
    park_of: pd.Series | None = None,
) -> pd.DataFrame:
    """
    Enterprises of a lead industry sitting outside every park drawn for that industry.

    For each industry that is a lead industry of at least one park, the enterprises of that
    industry that are not in any such park (they may be in another park, or in none), with
    the nearest park that lists the industry and the distance to its boundary, measured in
    :data:`layers.crs.WORK_CRS`. Enterprises that cannot be located (no point, no known plot)
    are left out: whether they are inside is unknown. ``points`` as for :func:`assign_parks`;
    ``park_of`` is :func:`assign_parks` of ``enterprises`` when the caller has it.

    Returns
    -------
    DataFrame
        ``ent_id``, ``name``, ``industry``, ``park_id`` (the park it is in, if any),
        ``nearest_park_id``, ``nearest_park_name``, ``distance_m``; sorted by industry, then
        distance. No money column: the table may travel further than the figures should.
    """
    columns = [
        "ent_id", "name", "industry", "park_id", "nearest_park_id", "nearest_park_name",
        "distance_m",
    ]
    leads = _park_leads(parks)
    if enterprises.empty or leads.empty:
        return pd.DataFrame(columns=columns)
    points = _points(enterprises, plots, points)
    if park_of is None:
        park_of = assign_parks(enterprises, parks, plots=plots, points=points)
    industry = enterprises["industry"].astype("string")
    located = (points.notna() & ~points.is_empty).to_numpy()
    xy = points[located].to_crs(WORK_CRS)
    work_pts = pd.Series(np.asarray(xy.array, dtype=object), index=xy.index)
    park_geoms = parks.geometry.to_crs(WORK_CRS)
    park_geoms = pd.Series(np.asarray(park_geoms.array, dtype=object), index=parks.index)
    park_ids = parks["park_id"].astype("string")
    names = pd.Series(parks["name"].astype("string").to_numpy(), index=park_ids.to_numpy())
    pieces = []
    for lead, group in leads.groupby("industry", sort=True):
        drawn = set(group["park_id"])
        candidates = parks.index[park_ids.isin(drawn).to_numpy()]
        outside = (
            (industry == lead).fillna(False).to_numpy()
            & located
            & ~park_of.isin(drawn).fillna(False).to_numpy()
        )
        if not outside.any():
            continue
        idx = enterprises.index[outside]
        geoms = park_geoms.loc[candidates].to_numpy()
        tree = shapely.STRtree(geoms)
        left, right, dist = _nearest(tree, work_pts.loc[idx].to_numpy())
        nearest = park_ids.loc[candidates].to_numpy()[right]
        piece = pd.DataFrame(
            {
                "ent_id": enterprises.loc[idx, "ent_id"].to_numpy()[left],
                "name": (
                    enterprises.loc[idx, "name"].to_numpy()[left]
                    if "name" in enterprises
                    else pd.NA
                ),
                "industry": lead,
                "park_id": park_of.loc[idx].to_numpy()[left],
                "nearest_park_id": nearest,
                "nearest_park_name": names.reindex(nearest).to_numpy(),
                "distance_m": dist,
            }
        )
        pieces.append(piece)
    if not pieces:
        return pd.DataFrame(columns=columns)
    out = pd.concat(pieces, ignore_index=True)
    out = out.sort_values(["industry", "distance_m", "ent_id"], kind="stable")
    return out[columns].reset_index(drop=True)


def _nearest(tree: shapely.STRtree, points: np.ndarray):
    """(point position, tree position, distance) of each point's nearest geometry (first tie)."""
    (left, right), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    return left, right, dist
