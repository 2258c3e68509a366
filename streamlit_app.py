"""geoapp's browser app: a thin shell over :mod:`geoapp.app` and :mod:`geoapp.maps`.

Start it with ``geoapp app [WORKSPACE] [--port N]``, or
``streamlit run streamlit_app.py --server.enableStaticServing true -- --workspace demo.gpkg``
(``GEOAPP_WORKSPACE`` works too). The map page loads Leaflet from ``static/vendor`` (installed
by ``python -m geoapp.offline --install``), never from the internet.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geoapp import comparison, maps, pipeline, scenarios, words
from geoapp.app import (
    areas,
    cards,
    downloads,
    filtering,
    loading,
    login,
    printing,
    progress,
    scenario_view,
    selection,
    stage_results,
    symbology,
    tables,
    viewing,
    yearchange,
)
from geoapp.maps.draw import add_draw
from geoapp.offline import missing_assets
from geoapp.store import is_url

MAP_HEIGHT = 620
MAP_WIDTH = 760  # about what the map's column gets on a laptop: a fitted selection stays in view
DEFAULT_WORKSPACE = "demo.gpkg"
ICON = str(Path(__file__).resolve().parent / "geoapp" / "app" / "icon.png")


def app_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Arguments after ``--``: ``--workspace PATH`` (or ``GEOAPP_WORKSPACE``).

    The operator chooses the workspace when starting the app; a browser never chooses a path.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workspace", default=None)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    args.workspace = args.workspace or os.environ.get("GEOAPP_WORKSPACE") or DEFAULT_WORKSPACE
    return args


@st.cache_data(show_spinner=False, max_entries=8)
def get_years(path: str, mtime: float) -> list[int]:
    """Years with enterprise figures (reads the ``year`` column only)."""
    return loading.workspace_years(path)


@st.cache_data(show_spinner=False, max_entries=16, ttl=3600)
def get_versions(path: str, mtime: float, year: int) -> loading.Versions:
    """Versions of the layers and the year's results and its stale stages (hourly too)."""
    return loading.versions(path, year)


@st.cache_resource(show_spinner=False, max_entries=2)
def get_layers(path: str, version: str) -> loading.WorkspaceLayers:
    """The workspace's layers, read once per version of the layers (whatever the year)."""
    return loading.load_layers(path)


@st.cache_resource(show_spinner=False, max_entries=4)
def get_data(path: str, version: str, year: int) -> loading.AppData:
    """App data for one version of the layers and of the year's results (never mutated).

    ``year`` is always resolved before the call (:func:`loading.resolve_year`), so the load and
    every cache built on it share one key ``(path, version, year)``. A year change reads that
    year's stored results only: the layers come from :func:`get_layers`.
    """
    return loading.load_app_data(path, version, year,
                                 base=get_layers(path, loading.layers_part(version)))


@st.cache_resource(show_spinner=False, max_entries=16)
def get_legend(path: str, version: str, year: int, metric: str,
               scheme: str) -> symbology.Legend:
    """Class breaks on the unfiltered plots: colours keep their meaning when filters change."""
    return symbology.make_legend(get_data(path, version, year).plots, metric, scheme)


@st.cache_data(show_spinner=False, max_entries=4)
def get_quality(path: str, version: str) -> pd.DataFrame:
    """Validate the workspace's layers again (one row per problem), once per their version."""
    from geoapp.intake import workspace_report

    return workspace_report(path)


@st.cache_data(show_spinner=False, max_entries=8)
def get_density(path: str, version: str, year: int, industry: str | None,
                shift: str | None) -> maps.DensityImage | None:
    """Density surface for the map, reprojected and encoded once.

    One industry's surface when exactly one industry is filtered, else all enterprises'.
    Cached per workspace version, year, industry and display shift (GCJ-02 for AMap), so a
    pan or a rerun reuses the PNG instead of warping the raster again.
    """
    tif = stage_results.density_geotiff(get_data(path, version, year), industry)
    return maps.density_overlay(tif, shift=shift) if tif else None


def t(key: str) -> str:
    """Translate a UI word to the chosen language."""
    return words.text(key, st.session_state.get("lang", "zh"))


# -- sidebar -------------------------------------------------------------------------------


def language_ui() -> str:
    """Language switch; returns ``"zh"`` or ``"en"``."""
    names = {lang: words.text("language_choice", lang) for lang in words.LANGS}
    choice = st.sidebar.radio(" / ".join(words.text("language", lang) for lang in words.LANGS),
                              list(names.values()), horizontal=True, key="lang_choice")
    lang = "zh" if choice == names["zh"] else "en"
    st.session_state["lang"] = lang
    return lang


def workspace_ui(path: str) -> str | None:
    """Name the workspace the operator opened (never chosen in the browser); log in to it.

    Returns the workspace to read (a PostGIS URL with this session's credentials), or None
    while nobody is logged in.
    """
    st.sidebar.caption(f"{t('workspace')}: {login.workspace_label(path)}")
    if not login.needs_login(path):
        return path
    state = st.session_state
    if state.get("login_url"):
        st.sidebar.caption(f"{t('login.as')}: {state['login_who']}")
        if st.sidebar.button(t("login.logout"), key="logout"):
            state.pop("login_url")
            st.rerun()
        return state["login_url"]
    with st.form("login"):
        st.subheader(t("login.title"))
        user = st.text_input(t("login.user"), key="login_user")
        password = st.text_input(t("login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("login.submit"))
    if submitted:
        done = login.log_in(path, user, password)
        if done.ok:
            state["login_url"], state["login_who"] = done.url, done.who
            st.rerun()
        st.error(t(f"login.{done.reason}"))
    return None


def layers_ui(data: loading.AppData, lang: str) -> tuple[str, ...]:
    """One checkbox per layer; returns the layers switched on."""
    st.sidebar.subheader(t("layers"))
    on = []
    for key in maps.LAYER_KEYS:
        label = words.layer_name(key, lang)
        if st.sidebar.checkbox(label, value=key in maps.DEFAULT_LAYERS, key=f"layer_{key}"):
            on.append(key)
    return tuple(on)


def basemap_ui(lang: str) -> maps.Basemap:
    """Choose the base map (none by default: works with no network at all)."""
    kinds = list(maps.BASEMAPS)
    kind = st.sidebar.selectbox(t("basemap"), kinds, key="basemap",
                                format_func=lambda k: maps.BASEMAPS[k][0 if lang == "zh" else 1])
    url = ""
    key = ""
    if kind == "xyz":
        url = st.sidebar.text_input("XYZ URL", value="http://127.0.0.1:8080/{z}/{x}/{y}.png",
                                    key="xyz_url")
    if kind == "tianditu":
        try:
            secrets = dict(st.secrets)
        except Exception:
            secrets = None
        key = maps.tianditu_key(secrets)
        if not key:
            st.sidebar.warning(t("no_key"))
    if kind == "amap":
        st.sidebar.info(t("gcj_note"))
    return maps.Basemap(kind=kind, url=url, key=key)


def style_ui(lang: str) -> tuple[str, str]:
    """Metric and classification scheme."""
    metric = st.sidebar.selectbox(t("metric"), list(symbology.METRICS), key="metric",
                                  format_func=lambda k: symbology.METRICS[k].label(lang))
    scheme = st.sidebar.selectbox(
        t("scheme"), list(symbology.SCHEMES), key="scheme",
        format_func=lambda k: symbology.SCHEMES[k][0 if lang == "zh" else 1])
    return metric, scheme


def filters_ui(data: loading.AppData, lang: str) -> filtering.Filters:
    """Multiselects for every filter; returns the selection."""
    options = filtering.filter_options(data)
    chosen = {}
    with st.sidebar.expander(t("filters"), expanded=False):
        for attr, word in (("districts", "district"), ("towns", "town"), ("parks", "park"),
                           ("industries", "industry"), ("grades", "grade"),
                           ("ledger_stages", "ledger_stage")):
            label = t(word) if attr in ("districts", "towns", "parks") else words.name(word, lang)
            chosen[attr] = tuple(st.multiselect(
                label, options[attr], key=f"filter_{attr}",
                format_func=lambda v, a=attr: filtering.option_label(a, v, data, lang)))
    return filtering.Filters(**chosen)


# -- map tab -------------------------------------------------------------------------------


def _handle_click(value: dict | None, data: loading.AppData, mask: np.ndarray) -> None:
    """Turn a new click on the map into a selection (plot or park) or a zoom (grid cell)."""
    if not value:
        return
    clicked = value.get("last_object_clicked")
    if not clicked:
        return
    marker = (round(float(clicked.get("lat", 0)), 7), round(float(clicked.get("lng", 0)), 7))
    if st.session_state.get("handled_click") == marker:
        return
    st.session_state["handled_click"] = marker
    props = ((value.get("last_active_drawing") or {}).get("properties") or {})
    kind, fid = props.get("k"), props.get("id")
    if kind == "cell":
        st.session_state["fly"] = ([marker[0], marker[1]], int(value.get("zoom") or 11) + 2)
        return
    if kind == "plot" and fid:
        st.session_state["selected"] = ("plot", str(fid))
        return
    if kind == "park" and fid:
        st.session_state["selected"] = ("park", str(fid))
        return
    hit = viewing.feature_at(data, marker[1], marker[0], mask)
    if hit:
        st.session_state["selected"] = ("plot", hit)


def select(data: loading.AppData, selected: tuple[str, str] | None) -> None:
    """Select a plot, park or town and fly the map to fit its plots."""
    st.session_state["selected"] = selected
    fly = (selection.selection_view(data, selection.selected_mask(data, selected),
                                    width_px=MAP_WIDTH, height_px=MAP_HEIGHT) if selected else None)
    if fly:
        st.session_state["fly"] = fly


def search_ui(data: loading.AppData, lang: str) -> None:
    """Search box: lists the matches (plots, parks, towns); the one picked is selected.

    The best match is picked first; "not found" clears the previous selection.
    """
    query = st.text_input(t("search"), key="search", placeholder=t("search_hint")).strip()
    # always drawn, so the map below keeps its place in the page and is not remounted
    box = st.container(key="search_matches")
    if not query:
        return
    if st.session_state.get("searched") != query:
        hits = cards.search(data, query)
        st.session_state["searched"], st.session_state["search_hits"] = query, hits
        st.session_state["search_picked"] = None
        if hits.empty:
            st.session_state["search_message"] = f"{t('no_match')}: {query}"
            st.session_state["selected"] = None
            return
        st.session_state["search_message"] = ""
    hits = st.session_state.get("search_hits")
    if hits is None or hits.empty:
        return
    labels = [cards.search_label(h, lang) for _, h in hits.iterrows()]
    pick = box.radio(f"{t('search_matches')} ({len(hits)})", range(len(hits)),
                    format_func=lambda i: labels[i], key=f"search_pick_{query}",
                    horizontal=True)
    if pick is not None and st.session_state.get("search_picked") != pick:
        st.session_state["search_picked"] = pick
        hit = hits.iloc[int(pick)]
        select(data, (str(hit["target"]), str(hit["id"])))


def handle_ranking_pick(data: loading.AppData) -> None:
    """A row clicked in a league table selects its park (or town) and flies the map to it."""
    for scope in ("park", "town"):
        state = st.session_state.get(f"ranking_table_{scope}")
        rows = list(((state or {}).get("selection") or {}).get("rows") or [])
        mark = (scope, rows[0]) if rows else None
        if mark == st.session_state.get(f"ranking_picked_{scope}"):
            continue
        st.session_state[f"ranking_picked_{scope}"] = mark
        if mark is not None:
            select(data, stage_results.ranking_pick(data, scope, int(rows[0])))


def selection_ui(data: loading.AppData, mask: np.ndarray, filters: filtering.Filters,
                 lang: str) -> None:
    """Summary of the filtered plots, or of the selected park or town."""
    sel = st.session_state.get("selected")
    if filters != filtering.Filters():
        title, shown = t("filters"), mask
    elif sel and sel[0] in ("park", "town"):
        title, shown = cards.scope_name(data, sel[0], sel[1]), selection.selected_mask(data, sel)
    else:
        return
    with st.container(border=True, key="selection_summary"):
        st.markdown(f"**{t('selection_summary')}**{t('colon')}{title}")
        facts = selection.selection_facts(data, shown, lang)
        st.markdown("\n".join(["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in facts]))


def legend_ui(legend: symbology.Legend, metric: str, lang: str, view: maps.MapView,
              industry: str | None) -> None:
    """The legend of what the map drew (one group per layer), beside the map."""
    groups = maps.legend_groups(view.drawn, legend=legend, metric=metric, lod=view.lod,
                                density=view.density, density_industry=industry, lang=lang)
    st.markdown(maps.legend_html(groups, title=t("legend")), unsafe_allow_html=True)
    st.caption(f"{t('selected')}: {view.n_selected:,} {t('plots')}")


def card_ui(data: loading.AppData, lang: str) -> None:
    """Show the card of the selected plot or park."""
    sel = st.session_state.get("selected")
    if not sel:
        st.caption(t("click_hint"))
        return
    kind, fid = sel
    card = cards.plot_card(data, fid, lang) if kind == "plot" else cards.park_card(data, fid, lang)
    if card is None:
        st.caption(t("click_hint"))
        return
    with st.container(border=True, key="card"):
        st.markdown(f"**{card['title']}**")
        st.markdown("\n".join(["| | |", "|---|---|"]
                              + [f"| {label} | {value} |" for label, value in card["facts"]]))
        if kind == "plot":
            if card["low_efficiency"]:
                st.error(words.name("reasons", lang) + t("colon")
                         + t("list_sep_values").join(card["reasons"]))
            if len(card["contributions"]):
                st.caption(t("card.contributions"))
                st.dataframe(tables.display_table(card["contributions"], lang), hide_index=True)
            for key in ("enterprises", "ledger", "projects"):
                if len(card[key]):
                    st.caption(t(f"card.{key}"))
                    st.dataframe(tables.display_table(card[key], lang, data=data),
                                 hide_index=True)
        elif card.get("scorecard") is not None:
            st.dataframe(tables.scorecard_view(card["scorecard"], lang), hide_index=True)
        if kind == "park":
            park_trend_ui(data, fid, lang)


def export_ui(data: loading.AppData, mask: np.ndarray, lang: str, filters: filtering.Filters,
              metric: str, scheme: str) -> None:
    """Download the selection as GeoJSON (RFC 7946) and XLSX, written by geoapp.export."""
    chosen = {t("metric"): symbology.METRICS[metric].label(lang),
              t("scheme"): words.value("scheme", scheme, lang)}

    def geojson() -> bytes:
        return downloads.selection_geojson(data, mask, filters=filters, settings=chosen,
                                           lang=lang)

    def xlsx() -> bytes:
        return downloads.selection_xlsx(data, mask, filters=filters, settings=chosen, lang=lang)

    c1, c2 = st.columns(2)
    c1.download_button(t("export_geojson"), data=geojson, file_name="selection.geojson",
                       mime="application/geo+json", on_click="ignore", key="dl_geojson")
    c2.download_button(t("export_xlsx"), data=xlsx, file_name="selection.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", key="dl_xlsx")


def map_ui(data: loading.AppData, key: tuple, layers: tuple[str, ...], basemap: maps.Basemap,
           metric: str, scheme: str, filters: filtering.Filters, lang: str,
           compare: tuple | None = None) -> None:
    """Draw the Map tab: search, map, legend, card, exports, sheet, area summary."""
    missing = missing_assets()
    if missing:
        st.error(t("assets_missing"))
        return
    if basemap.kind == "amap":
        st.info(t("gcj_note"))
    mask = filtering.filter_mask(data.plots, filters)
    legend = get_legend(*key, metric, scheme)
    home = viewing.data_viewport(data, height_px=MAP_HEIGHT)
    value = st.session_state.get("map")
    if st.session_state.get("filters_seen", filtering.Filters()) != filters:
        st.session_state["filters_seen"] = filters  # a new filter: fit the map to it
        fly = selection.selection_view(data, mask, width_px=MAP_WIDTH, height_px=MAP_HEIGHT)
        if fly:
            st.session_state["fly"] = fly
    _handle_click(value, data, mask)
    search_ui(data, lang)
    # always drawn, so the map below keeps its place in the page and is not remounted
    st.caption(st.session_state.get("search_message") or "\u00a0")
    viewport = viewing.Viewport.from_component(value, home)
    density = None
    industry = filters.industries[0] if len(filters.industries) == 1 else None
    if "density" in layers:
        density = get_density(*key, industry, basemap.shift)
    selected = st.session_state.get("selected")
    shown, shown_legend, shown_metric = data, legend, metric
    if compare:
        shown, shown_legend = get_change(*key, *compare)
        shown_metric = shown_legend.metric
    view = maps.overlays(shown, mask, viewport, layers=layers, legend=shown_legend,
                         metric=shown_metric,
                         basemap=basemap, lang=lang, density=density,
                         highlight=selected[1] if selected and selected[0] == "plot" else None)
    base_url = st.get_option("server.baseUrlPath") or ""
    state = st.session_state
    state["map_start"] = maps.start_view(state.get("basemap_seen"), basemap, viewport,
                                         state.get("map_start"), home)
    if state.get("basemap_seen", basemap) != basemap:
        state.pop("fly", None)  # the new map opens where the old one was, not at the last fly
    state["basemap_seen"] = basemap
    m = maps.base_map(state["map_start"], basemap, base_url_path=base_url, lang=lang)
    add_draw(m, base_url_path=base_url)
    fly = st.session_state.get("fly")
    left, right = st.columns([3, 1])
    with left:
        center = fly[0] if fly else None
        if center is not None and basemap.shift:
            lon, lat = maps.ad_shift_point(center[1], center[0])
            center = [lat, lon]
        st_folium(m, key="map", height=MAP_HEIGHT, use_container_width=True,
                  feature_group_to_add=view.groups,
                  returned_objects=["last_object_clicked", "last_active_drawing", "bounds",
                                    "zoom", "all_drawings"],
                  center=center, zoom=fly[1] if fly else None)
        export_ui(data, mask, lang, filters, metric, scheme)
        print_ui(data, filters, metric, scheme, legend, lang)
        if compare:
            moved_ui(*key, compare[0], lang)
    with right:
        if compare:
            change_legend_ui(shown_legend, compare, data.year, lang)
        else:
            legend_ui(legend, metric, lang, view, industry)
        selection_ui(data, mask, filters, lang)
        card_ui(data, lang)
        area_ui(data, st.session_state.get("map"), lang)


# -- other tabs ----------------------------------------------------------------------------


def rankings_ui(data: loading.AppData, lang: str) -> None:
    """Park and town league tables, best first; click a column header to sort."""
    for scope in ("park", "town"):
        raw = stage_results.ranking_table(data, scope)
        table = tables.ranking_view(data, scope, lang)
        st.subheader(t(f"{scope}_ranking"))
        if table is None:
            st.info(t("no_results") + _errors_text(data))
            continue
        met, with_target = tables.targets_met(raw)
        if with_target:
            st.caption(f"{t('targets_met')}{t('colon')}{met}/{with_target}")
        with st.container(key=f"ranking_{scope}"):
            st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row",
                         key=f"ranking_table_{scope}")


def _stage_names(stages, lang: str) -> str:
    return words.text("list_sep", lang).join(words.value("analysis_stage", s, lang)
                                             for s in stages)


def _errors_text(data: loading.AppData) -> str:
    if not data.errors:
        return ""
    lang = st.session_state.get("lang", "zh")
    return " (" + "; ".join(f"{_stage_names([k], lang)}: {v}"
                            for k, v in data.errors.items()) + ")"


def reclamation_ui(data: loading.AppData, lang: str) -> None:
    """Burn-up charts per target, progress against targets, and the stalled plots."""
    images = stage_results.burnup_charts(data)
    outputs = stage_results.reclamation_tables(data)
    if not images and not outputs:
        st.info(t("no_results") + _errors_text(data))
        return
    if images:
        st.subheader(t("burnup"))
        cols = st.columns(2)
        for i, (name, png) in enumerate(sorted(images.items())):
            cols[i % 2].image(png, caption=tables.burnup_caption(name, data, lang))
    if "reclamation_progress" in outputs:
        st.subheader(t("progress"))
        st.dataframe(tables.display_table(outputs["reclamation_progress"], lang, data=data),
                     hide_index=True, key="reclamation_progress")
    stalled = stage_results.stalled_plots(data)
    st.subheader(t("stalled"))
    if stalled is None or stalled.empty:
        st.caption(t("none"))
    else:
        st.dataframe(tables.display_table(stalled, lang, data=data), hide_index=True,
                     key="stalled")


def projects_ui(data: loading.AppData, lang: str) -> None:
    """Projects by stage."""
    proj = data.layer("projects")
    if proj.empty:
        st.info(t("no_results"))
        return
    frame = pd.DataFrame(proj.drop(columns="geometry", errors="ignore"))
    st.dataframe(tables.display_table(stage_results.projects_by_stage(frame), lang, data=data),
                 hide_index=True, key="projects_by_stage")
    st.dataframe(tables.display_table(frame, lang, data=data), hide_index=True,
                 key="projects_table")


def quality_ui(path: str, data: loading.AppData, lang: str) -> None:
    """Show the validation report and the analysis stages that did not run."""
    if data.errors:
        st.warning(t("stage_failed") + _errors_text(data))
    report = get_quality(path, loading.layers_part(data.version))
    if report.empty:
        st.success(t("no_problems"))
    else:
        st.dataframe(tables.display_table(report, lang), hide_index=True, key="quality")


# -- hand-on: print sheet, year comparison, area summary ---------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def get_comparison(path: str, version: str, year: int, base_year: int) -> dict:
    """``plot_change`` and ``park_trend`` of the year shown against ``base_year``."""
    return comparison.comparison_tables(path, year=year, base_year=base_year,
                                        current=get_data(path, version, year).plots)


@st.cache_resource(show_spinner=False, max_entries=8)
def get_change(path: str, version: str, year: int, base_year: int, indicator: str,
               relative: bool, on_target: bool) -> tuple[loading.AppData, symbology.Legend]:
    """The data the change map draws and its diverging legend."""
    change = get_comparison(path, version, year, base_year)["plot_change"]
    shown = yearchange.with_change(get_data(path, version, year), change)
    metric = yearchange.change_metric(indicator, relative)
    legend = yearchange.change_legend(shown.plots[metric], indicator=indicator,
                                      relative=relative, on_target=on_target,
                                      years=year - base_year)
    return shown, legend


@st.cache_data(show_spinner=False, max_entries=4)
def get_trend(path: str, version: str, year: int) -> pd.DataFrame:
    """Every park's per-mu figures in every year of the workspace."""
    data = get_data(path, version, year)
    return comparison.trend(path, data.plots, data.years)


def compare_ui(years: list[int], year: int, lang: str) -> tuple | None:
    """Comparison year and how the change is coloured; None: no comparison."""
    others = [y for y in years if y != year]
    if not others:
        return None
    st.sidebar.subheader(t("compare"))
    base = st.sidebar.selectbox(t("compare_with"), [None, *others], key="compare_year",
                                format_func=lambda y: words.text("compare_none", lang) if y is None
                                else str(y))
    if base is None:
        return None
    indicator = st.sidebar.radio(t("change_indicator"), list(yearchange.INDICATORS),
                                 horizontal=True, key="change_indicator",
                                 format_func=lambda m: words.name(m, lang))
    relative = st.sidebar.radio(t("change_kind"), [False, True], horizontal=True,
                                key="change_kind", format_func=lambda r: words.text(
                                    "change_pct" if r else "change_abs", lang))
    on_target = relative and st.sidebar.radio(
        t("change_centre"), [False, True], horizontal=True, key="change_centre",
        format_func=lambda c: words.text("centre_target" if c else "centre_zero", lang))
    return int(base), indicator, bool(relative), bool(on_target)


def change_legend_ui(legend: symbology.Legend, compare: tuple, year: int, lang: str) -> None:
    """The change map's own legend: diverging classes, red fell, blue rose."""
    title = (f"{t('change_legend')}: {words.label(legend.metric, lang)}, {year} "
             f"{t('change_of')} {compare[0]}")
    st.markdown(maps.legend_html([maps.change_group(legend, lang)], title=title,
                                 extra_class="geoapp-change-legend"), unsafe_allow_html=True)


def moved_ui(path: str, version: str, year: int, base_year: int, lang: str) -> None:
    """The plots that moved class between the two years."""
    moved = yearchange.moved_plots(get_comparison(path, version, year, base_year)["plot_change"])
    with st.expander(f"{t('moved_class')} ({len(moved):,})"):
        st.dataframe(tables.display_table(moved, lang), hide_index=True, key="moved_plots")


def park_trend_ui(data: loading.AppData, park_id: str, lang: str) -> None:
    """A park's tax and output per mu in every year, as a small chart."""
    if len(data.years) < 2:
        return
    series = yearchange.park_series(get_trend(data.path, data.version,
                                              data.year), park_id)
    if series.empty:
        return
    st.caption(t("park_trend"))
    st.line_chart(series.rename(columns=lambda m: words.label(m, lang)), height=180)


def print_ui(data: loading.AppData, filters: filtering.Filters, metric: str, scheme: str,
             legend: symbology.Legend, lang: str) -> None:
    """Print sheet: the view's scope, metric, year and language as a PDF (A3 or A4)."""
    scope = printing.sheet_scope(filters)
    c1, c2 = st.columns([1, 2])
    size = c1.radio(t("paper"), printing.PAPER_SIZES, horizontal=True, key="sheet_size")
    kind, _, code = (scope or "").partition(":")
    c2.caption(f"{t('sheet_scope')}{t('colon')}"
               + (cards.scope_name(data, kind, code) if scope else t("sheet_all")))

    def pdf() -> bytes:
        return printing.sheet_pdf(data, filters=filters, metric=metric, scheme=scheme,
                                  legend=legend, lang=lang, size=size)

    c2.download_button(t("print_sheet"), data=pdf, mime="application/pdf", on_click="ignore",
                       file_name=printing.sheet_file_name(scope, data.year, metric, size),
                       key="dl_sheet")


def area_ui(data: loading.AppData, value: dict | None, lang: str) -> None:
    """Summarise the area drawn on the map, or a town or park; measure what was drawn."""
    drawings = (value or {}).get("all_drawings")
    shapes = areas.drawn_shapes(drawings)
    with st.container(border=True, key="area_summary"):
        st.markdown(f"**{t('area_summary')}**")
        if shapes:
            st.caption(f"{t('measure')}{t('colon')}"
                       f"{areas.measure_text(areas.measure(shapes[-1]), lang)}")
        source = st.radio(t("area_source"), ["drawn", "town", "park"], horizontal=True,
                          key="area_source",
                          format_func=lambda k: words.text("area_drawn" if k == "drawn" else k,
                                                             lang))
        if source == "drawn":
            shape = areas.last_area(drawings)
            if shape is None:
                st.caption(t("area_draw_hint"))
                return
            mask = areas.plots_within(data.plots, shape)
        else:
            attr = f"{source}s"
            code = st.selectbox(t(source), filtering.filter_options(data)[attr],
                                key=f"area_{source}",
                                format_func=lambda v: filtering.option_label(attr, v, data, lang))
            if code is None:
                return
            mask = areas.scope_mask(data.plots, source, code)
        facts = areas.summary_facts(areas.data_summary(data, mask), lang)
        st.markdown("\n".join(["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in facts]))
        c1, c2 = st.columns(2)
        c1.download_button(t("export_area_geojson"), on_click="ignore", key="dl_area_geojson",
                           data=lambda: downloads.selection_geojson(data, mask, lang=lang),
                           file_name="area.geojson", mime="application/geo+json")
        c2.download_button(t("export_area_xlsx"), on_click="ignore", key="dl_area_xlsx",
                           data=lambda: downloads.selection_xlsx(data, mask, lang=lang),
                           file_name="area.xlsx", mime="application/vnd.openxmlformats-"
                           "officedocument.spreadsheetml.sheet")


def guarded(ui, *args) -> None:
    """Draw one tab; an error shows its message there, never a traceback.

    The other tabs still draw.
    """
    try:
        ui(*args)
    except Exception as exc:  # any failure of one tab is shown, not raised
        st.error(f"{t('tab_failed')}{t('colon')}{exc}")
@st.cache_resource(show_spinner=False, max_entries=4)
def get_planner(path: str, version: str, year: int) -> scenarios.PlannerInputs:
    """The scenario planner's inputs for one workspace version and year."""
    return scenario_view.planner_inputs(get_data(path, version, year))


@st.cache_data(show_spinner=False, max_entries=8)
def get_scenario_names(path: str, mtime: float) -> list[str]:
    """Names of the saved scenarios, read once per version of the workspace file."""
    return scenarios.scenario_names(path)


@st.cache_data(show_spinner=False, max_entries=32)
def get_scenario_view(path: str, version: str, year: int, name: str, actions: tuple,
                      lang: str) -> scenario_view.ScenarioView:
    """A scenario simulated and drawn, cached on its actions."""
    return scenario_view.scenario_view(get_planner(path, version, year), name,
                                       scenario_view.actions_from_key(actions), lang)


def scenario_ui(data: loading.AppData, key: tuple, filters: filtering.Filters, lang: str) -> None:
    """
    Scenario tab: pick or create a scenario by name, add or remove plots.

    Shows its burn-up against the targets and its 亩均税收 effect; saves and reloads by name.
    """
    state, path = st.session_state, data.path
    inputs = get_planner(*key)
    c = st.columns([3, 1])
    new = c[0].text_input(t("scenario.new"), key="scenario_new").strip()
    if c[1].button(t("scenario.create"), key="scenario_create") and new:
        if new not in get_scenario_names(path, loading.workspace_mtime(path)):
            scenarios.new_scenario(path, new)
        state["scenario_pick"] = new
    names = get_scenario_names(path, loading.workspace_mtime(path))
    if not names:
        st.info(t("scenario.none"))
        return
    name = c[0].selectbox(t("scenario.pick"), names, key="scenario_pick")
    reload = c[1].button(t("scenario.reload"), key="scenario_reload")
    if reload or state.get("scenario_loaded") != name:
        state["scenario_actions"] = scenarios.read_scenario(path, name)
        state["scenario_loaded"], state["scenario_dirty"] = name, False
    c = st.columns(4)
    source = c[0].radio(t("scenario.source"), scenario_view.SOURCES,
                        format_func=lambda s: t(f"scenario.{s}"),
                        key="scenario_source")
    mask = filtering.filter_mask(data.plots, filters)
    options = scenario_view.source_plots(inputs, data.plots, source, mask, state.get("selected"))
    if source == "from_map":
        c[1].caption(options[0] if options else t("scenario.no_click"))
        picked = options
    else:
        picked = c[1].multiselect(t("scenario.plots"), options, key=f"scenario_{source}")
    pasted = scenario_view.parse_ids(c[1].text_area(t("scenario.paste"), key="scenario_paste"))
    mode = c[2].selectbox(t("scenario.mode"), scenarios.MODES, key="scenario_mode",
                          format_func=lambda m: words.value("mode", m, lang))
    year = c[3].number_input(t("scenario.start_year"), min_value=data.year,
                             max_value=data.year + 20, value=data.year + 1, key="scenario_year")
    actions = state["scenario_actions"]
    drop = c[2].multiselect(t("scenario.remove"), actions["plot_id"].tolist(),
                            key="scenario_drop")
    try:
        if c[3].button(t("scenario.add"), key="scenario_add") and (picked or pasted):
            actions = scenarios.add_actions(inputs, actions, [*picked, *pasted], mode=mode,
                                            year=int(year))
        if c[2].button(t("scenario.remove"), key="scenario_remove") and drop:
            actions = scenarios.remove_actions(actions, drop)
    except scenarios.ScenarioError as exc:
        st.error(str(exc))
    if actions is not state["scenario_actions"]:
        state["scenario_actions"], state["scenario_dirty"] = actions, True
    if st.button(t("scenario.save"), key="scenario_save", type="primary"):
        scenarios.save_scenario(path, name, actions)
        state["scenario_dirty"] = False
        st.success(f"{t('scenario.saved')}: {name}")
    view = get_scenario_view(*key, name, scenario_view.actions_key(actions), lang)
    st.markdown(f"**{name}** · {view.summary}"
                + (f" · *{t('scenario.unsaved')}*" if state["scenario_dirty"] else ""))
    cols = st.container(key="scenario_charts").columns(2)
    for i, (chart, png) in enumerate(view.burnups.items()):
        cols[i % 2].image(png, caption=view.captions[chart])
    st.subheader(t("scenario.effect"))
    st.dataframe(tables.display_table(view.effect, lang, data=data), hide_index=True,
                 key="scenario_effect")
    st.subheader(t("scenario.actions"))
    st.dataframe(tables.display_table(view.plots, lang, data=data), hide_index=True,
                 key="scenario_table")
    for note in view.notes:
        st.caption(note)


def load_ui(path: str, mtime: float, year: int, lang: str) -> loading.AppData:
    """The year's data; a wait says which step runs and how far along it is.

    Steps: read the layers (once per version of them), re-run the stages whose stored results
    are stale (stored, so only once), read the year's results (once per version).
    """
    v, state = get_versions(path, mtime, year), st.session_state
    steps = progress.wait_steps(read_layers=state.get("layers_seen") != (path, v.layers),
                                stale=v.stale,
                                read_results=state.get("data_seen") != (path, v.key, year))
    slot = st.empty()
    bar = progress.Progress(steps, lambda text, done: slot.progress(done, text=text),
                            year=year, lang=lang)
    if "layers" in steps:
        bar("layers")
    base = get_layers(path, v.layers)
    if v.stale:  # computed and stored first, so the cached load below reads fresh results
        pipeline.analyse_workspace(path, year=year, stages=v.stale, load=False,
                                   collect_errors=True, layers=base.layers, progress=bar)
        v = get_versions(path, loading.workspace_mtime(path), year)
    if "results" in steps:
        bar("results")
    data = get_data(path, v.key, year)
    slot.empty()
    state["layers_seen"], state["data_seen"] = (path, v.layers), (path, v.key, year)
    return data


def main() -> None:
    """Run the app."""
    st.set_page_config(page_title=t("page_title") + " · geoapp", page_icon=ICON,
                       layout="wide")
    lang = language_ui()
    args = app_args()
    path = workspace_ui(args.workspace)
    if path is None:  # the login form is showing
        return
    if not is_url(path) and not Path(path).exists():
        st.error(f"{t('workspace')}: {path} ?")
        return
    mtime = loading.workspace_mtime(path)
    years = get_years(path, mtime)
    if st.session_state.get("year_choice") not in years:
        st.session_state.pop("year_choice", None)  # another workspace: its latest year
    year = loading.resolve_year(years)
    if years:
        year = st.sidebar.selectbox(t("year"), years, index=years.index(year), key="year_choice")
    data = load_ui(path, mtime, year, lang)
    key = (path, data.version, year)
    basemap = basemap_ui(lang)
    metric, scheme = style_ui(lang)
    layers = layers_ui(data, lang)
    filters = filters_ui(data, lang)
    compare = compare_ui(years, year, lang)
    st.title(t("title"))
    if data.synthetic:
        st.caption("⚠ " + t("synthetic"))
    handle_ranking_pick(data)
    tabs = st.tabs([t("tab_map"), t("tab_rankings"), t("tab_reclamation"), t("tab_projects"),
                    t("tab_quality"), t("tab_scenario")])
    with tabs[0]:
        guarded(map_ui, data, key, layers, basemap, metric, scheme, filters, lang, compare)
    with tabs[1]:
        guarded(rankings_ui, data, lang)
    with tabs[2]:
        guarded(reclamation_ui, data, lang)
    with tabs[3]:
        guarded(projects_ui, data, lang)
    with tabs[4]:
        guarded(quality_ui, path, data, lang)
    with tabs[5]:
        guarded(scenario_ui, data, key, filters, lang)


main()
