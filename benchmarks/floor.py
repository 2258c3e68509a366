"""The floor of ``geoapp analyze`` (issue 14): the least any analysis of a workspace must do.

Reads the plots and the enterprises, joins the firms' tax to their plots, measures the plots'
areas in mu (UTM 51N), and writes one GeoJSON of the plots with tax per mu. Run as its own
process by ``bench_scale.py``, imports included, as ``geoapp analyze`` is.

Run: ``python benchmarks/floor.py WORKSPACE.gpkg OUT.geojson``
"""

from __future__ import annotations

import sys

import pandas as pd
import pyogrio

M2_PER_MU = 10_000 / 15


def main(workspace: str, out: str) -> None:
    """Read, join, measure, write (see the module docstring)."""
    plots = pyogrio.read_dataframe(workspace, layer="plots", columns=["plot_id"],
                                   use_arrow=True)
    firms = pyogrio.read_dataframe(workspace, layer="enterprises", read_geometry=False,
                                   columns=["plot_id", "year", "tax_wan"], use_arrow=True)
    firms = firms[firms["year"] == firms["year"].max()]
    tax = firms.groupby("plot_id")["tax_wan"].sum()
    plots["area_mu"] = plots.geometry.to_crs("EPSG:32651").area / M2_PER_MU
    plots["tax_wan"] = plots["plot_id"].map(tax)
    plots["tax_per_mu"] = plots["tax_wan"] / plots["area_mu"]
    pyogrio.write_dataframe(plots, out, driver="GeoJSON")
    print(len(plots), float(pd.to_numeric(plots["tax_per_mu"]).median()))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
