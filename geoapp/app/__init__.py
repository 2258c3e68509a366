"""What the map app shows, as pure functions the app (and its tests) call.

- :mod:`~geoapp.app.loading`: :class:`AppData`, :func:`load_app_data`, the years, the plot table.
- :mod:`~geoapp.app.symbology`: metrics, colour schemes and legends.
- :mod:`~geoapp.app.filtering`: which plots are selected.
- :mod:`~geoapp.app.viewing`: viewport, zoom, level of detail, grid cells, what a click hits.
- :mod:`~geoapp.app.cards`: plot and park cards, search.
- :mod:`~geoapp.app.stage_results`: league tables, stalled plots, stage tables and images.
- :mod:`~geoapp.app.downloads`: the plot selection as GeoJSON and XLSX.

Nothing here imports Streamlit or folium.
"""
