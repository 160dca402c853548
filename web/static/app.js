// app.js: the planner map on MapLibre GL JS (vendored, no CDN). Zones by
// day, compounds, facilities, sampling-site plans and van routes are GeoJSON
// layers above the basemap (vector tiles from /tiles/basemap.json when the
// server has them). Every string comes from i18n.js; every time is in the
// district's zone (LL.TZ).
import * as maplibregl from "./vendor/maplibre-gl.mjs";

var el = LL.el;
var t = I18N.t;

var KIND_RANK = { sealed: 3, controlled: 2, prevention: 1 };
// Zone colours (fills are light and patterned; outlines carry the colour).
var KIND_COLOR = { sealed: "#b71c1c", controlled: "#c25400", prevention: "#8a6d00" };
var FACILITY_KINDS = ["hospital", "pharmacy", "health_centre", "depot", "candidate_site", "supply_point"];
var ROUTE_COLORS = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];
var CLASS_COLOURS = ["green", "yellow", "orange", "red"]; // colour class n+1

var S = {
  asOf: new Date(),
  zonesActive: [],
  zonesAll: [],
  compounds: [],
  facilities: [],
  plan: null,
  vanRoutes: [], // [{color, lines, stops:[{loc, n, label}]}]
  route: { from: null, to: null, geometry: null, summary: null },
  draw: null, // [[lon, lat], ...] while drawing
  pendingRing: null,
  edit: null, // {zone, ring, markers}
  pick: null, // {text, cb}
  pin: null,
  layers: { basemap: true, zones: true, compounds: true, facilities: true, sites: true, routes: true },
  basemap: false,
  mapReady: false
};

// ---- toast, busy, language ----

var toast = document.getElementById("toast");
var toastTimer = null;
function showError(prefix, err) {
  document.getElementById("toast-text").textContent = prefix + ": " + LL.describe(err);
  toast.className = "toast error";
  toast.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
}
function showInfo(text) {
  document.getElementById("toast-text").textContent = text;
  toast.className = "toast info";
  toast.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(function () { toast.hidden = true; }, 4000);
}
document.getElementById("toast-close").addEventListener("click", function () { toast.hidden = true; });
LL.onBusy(function (busy) { document.getElementById("busy").hidden = !busy; });

var langSel = document.getElementById("lang");
langSel.value = I18N.lang();
langSel.addEventListener("change", function () { I18N.setLang(langSel.value); });
I18N.onChange(function () {
  renderDay();
  renderZoneList();
  renderLegend();
  renderVanForm();
  if (S.pick) showPickbar();
  if (S.draw || S.edit) showDrawbar();
});

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
function props(f) { return (f && f.properties) || {}; }
function fid(f) { var p = props(f); return p.id !== undefined ? p.id : f.id; }
function features(fc) {
  if (!fc) return [];
  if (Array.isArray(fc)) return fc;
  if (fc.type === "FeatureCollection" && Array.isArray(fc.features)) return fc.features;
  return [];
}
function fc(list) { return { type: "FeatureCollection", features: list }; }
function kindName(k) { return k ? t("kind." + k) : t("zones.zone"); }
function facilityName(k) { return FACILITY_KINDS.indexOf(k) >= 0 ? t("fac." + k) : String(k || ""); }

// ---- geometry helpers ----

function polygonsOf(g) {
  if (!g) return [];
  if (g.type === "Polygon") return [g.coordinates];
  if (g.type === "MultiPolygon") return g.coordinates;
  if (g.type === "GeometryCollection") {
    var out = [];
    (g.geometries || []).forEach(function (x) { out = out.concat(polygonsOf(x)); });
    return out;
  }
  return [];
}
function inRing(ring, p) {
  var inside = false;
  for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    var a = ring[i], b = ring[j];
    if ((a[1] > p[1]) !== (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]) inside = !inside;
  }
  return inside;
}
function inGeometry(g, p) {
  var polys = polygonsOf(g);
  for (var i = 0; i < polys.length; i++) {
    var poly = polys[i];
    if (!poly.length || !inRing(poly[0], p)) continue;
    var inHole = false;
    for (var h = 1; h < poly.length; h++) if (inRing(poly[h], p)) inHole = true;
    if (!inHole) return true;
  }
  return false;
}
function centroid(g) {
  var polys = polygonsOf(g);
  if (!polys.length || !polys[0].length) return null;
  var r = polys[0][0], n = r.length > 1 && r[0][0] === r[r.length - 1][0] && r[0][1] === r[r.length - 1][1] ? r.length - 1 : r.length;
  var x = 0, y = 0;
  for (var i = 0; i < n; i++) { x += r[i][0]; y += r[i][1]; }
  return n ? [x / n, y / n] : null;
}
function signedArea(ring) {
  var s = 0;
  for (var i = 0; i + 1 < ring.length; i++) s += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return s / 2;
}
function closedCCW(pts) {
  var r = pts.slice();
  r.push(r[0]);
  if (signedArea(r) < 0) r.reverse();
  return r;
}
function metres(a, b) {
  var k = 111319.49, c = Math.cos((a[1] + b[1]) / 2 * Math.PI / 180);
  var dx = (a[0] - b[0]) * k * c, dy = (a[1] - b[1]) * k;
  return Math.sqrt(dx * dx + dy * dy);
}
function round7(p) { return [Math.round(p[0] * 1e7) / 1e7, Math.round(p[1] * 1e7) / 1e7]; }
function strictestAt(p) {
  var best = null;
  S.zonesActive.forEach(function (z) {
    var k = props(z).kind;
    if ((KIND_RANK[k] || 0) > (best ? KIND_RANK[props(best).kind] : 0) && inGeometry(z.geometry, p)) best = z;
  });
  return best;
}
// placeNear names the facility or compound gate nearest to p (within
// 200 m), for the description of a stop picked on the map.
function placeNear(p) {
  var best = null, bestD = 200;
  S.facilities.forEach(function (f) {
    if (!f.geometry || f.geometry.type !== "Point") return;
    var d = metres(p, f.geometry.coordinates);
    if (d < bestD) { bestD = d; best = props(f).name; }
  });
  S.compounds.forEach(function (c) {
    var gates = props(c).gates || [];
    gates.forEach(function (g, i) {
      var d = metres(p, g);
      if (d < bestD) { bestD = d; best = (props(c).name || "") + (gates.length > 1 ? " · " + t("vans.gate", { n: i + 1 }) : ""); }
    });
    var ctr = centroid(c.geometry);
    if (ctr && inGeometry(c.geometry, p) && !best) best = props(c).name;
  });
  return best;
}

// ---- the map ----

var map = null;
try {
  map = new maplibregl.Map({
    container: "map",
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f3" } }]
    },
    center: [104.066, 30.65],
    zoom: 13,
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
    locale: I18N.mapLocale(),
    fadeDuration: 0
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  addControls();
  map.on("error", function (e) {
    // Missing tiles or a failed basemap are not the user's problem: note
    // them once in the debug log instead of the console's error level.
    if (window.lifeline) window.lifeline.mapErrors.push(String(e && e.error && e.error.message || e));
  });
} catch (e) {
  map = null;
  document.getElementById("nomap").hidden = false;
}

// addControls (re-)adds MapLibre's controls: on a language switch their
// labels are rebuilt from the map's locale table (as MapLibre's
// locale-switching example does).
var controls; // set by the first call, which runs before this line
function addControls() {
  (controls || []).forEach(function (c) { map.removeControl(c); });
  if (map._locale) Object.assign(map._locale, I18N.mapLocale());
  controls = [
    [new maplibregl.NavigationControl({ showCompass: false }), "top-left"],
    [new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right"],
    [new maplibregl.AttributionControl({ compact: true }), "bottom-right"]
  ].map(function (c) { map.addControl(c[0], c[1]); return c[0]; });
}
if (map) I18N.onChange(addControls);

// hatch draws a repeating pattern tile for a zone kind: sealed is
// cross-hatched, controlled diagonal, prevention dotted, so the kinds differ
// by pattern as well as by colour.
function patternImage(kind) {
  var n = 16, c = document.createElement("canvas");
  c.width = c.height = n;
  var g = c.getContext("2d");
  g.strokeStyle = KIND_COLOR[kind];
  g.fillStyle = KIND_COLOR[kind];
  g.globalAlpha = 0.55;
  g.lineWidth = 1.5;
  if (kind === "prevention") {
    g.beginPath(); g.arc(4, 4, 1.6, 0, 7); g.fill();
    g.beginPath(); g.arc(12, 12, 1.6, 0, 7); g.fill();
  } else {
    g.beginPath();
    g.moveTo(-2, n + 2); g.lineTo(n + 2, -2);
    g.moveTo(-2, 2); g.lineTo(2, -2);
    g.moveTo(n - 2, n + 2); g.lineTo(n + 2, n - 2);
    if (kind === "sealed") {
      g.moveTo(-2, -2); g.lineTo(n + 2, n + 2);
      g.moveTo(n - 2, -2); g.lineTo(n + 2, 2);
      g.moveTo(-2, n - 2); g.lineTo(2, n + 2);
    }
    g.stroke();
  }
  return g.getImageData(0, 0, n, n);
}

// facilityIcon draws the symbol of a facility kind on a canvas of size px.
function facilityCanvas(kind, px) {
  var c = document.createElement("canvas");
  c.width = c.height = px;
  var g = c.getContext("2d"), m = px / 2, s = px / 20;
  g.lineWidth = 1.5 * s;
  g.strokeStyle = "#fff";
  function cross(r, w, color) {
    g.fillStyle = color;
    g.fillRect(m - w / 2, m - r, w, 2 * r);
    g.fillRect(m - r, m - w / 2, 2 * r, w);
  }
  switch (kind) {
    case "hospital":
      g.fillStyle = "#fff"; g.strokeStyle = "#b71c1c"; g.lineWidth = 2 * s;
      g.fillRect(2 * s, 2 * s, 16 * s, 16 * s); g.strokeRect(2 * s, 2 * s, 16 * s, 16 * s);
      cross(6 * s, 4 * s, "#b71c1c");
      break;
    case "pharmacy":
      g.fillStyle = "#2e7d32"; g.beginPath(); g.arc(m, m, 8 * s, 0, 7); g.fill(); g.stroke();
      cross(5 * s, 3 * s, "#fff");
      break;
    case "health_centre":
      g.fillStyle = "#1565c0"; g.beginPath(); g.arc(m, m, 8 * s, 0, 7); g.fill(); g.stroke();
      g.strokeStyle = "#fff"; g.lineWidth = 2 * s; g.beginPath();
      g.moveTo(m - 4 * s, m - 4 * s); g.lineTo(m - 4 * s, m + 4 * s);
      g.moveTo(m + 4 * s, m - 4 * s); g.lineTo(m + 4 * s, m + 4 * s);
      g.moveTo(m - 4 * s, m); g.lineTo(m + 4 * s, m); g.stroke();
      break;
    case "depot":
      g.fillStyle = "#263238"; g.beginPath(); g.moveTo(m, 1 * s); g.lineTo(19 * s, 17 * s); g.lineTo(1 * s, 17 * s); g.closePath(); g.fill(); g.stroke();
      break;
    case "candidate_site":
      g.fillStyle = "#7b1fa2"; g.beginPath(); g.moveTo(m, 3 * s); g.lineTo(17 * s, m); g.lineTo(m, 17 * s); g.lineTo(3 * s, m); g.closePath(); g.fill(); g.stroke();
      break;
    case "supply_point":
      g.fillStyle = "#6d4c41"; g.fillRect(6 * s, 6 * s, 8 * s, 8 * s); g.strokeRect(6 * s, 6 * s, 8 * s, 8 * s);
      break;
    default:
      g.fillStyle = "#455a64"; g.beginPath(); g.arc(m, m, 5 * s, 0, 7); g.fill(); g.stroke();
  }
  return c;
}

var OVERLAY_LAYERS = {
  zones: ["zones-fill", "zones-pattern", "zones-line", "zones-line-dash"],
  compounds: ["compounds-fill", "compounds-line", "compound-names"],
  facilities: ["facilities", "facility-names"],
  sites: ["plan-area", "plan-lines", "plan-demand", "pinned-sites", "plan-sites"],
  routes: ["routes-casing", "routes-line"]
};

function setupLayers() {
  ["sealed", "controlled", "prevention"].forEach(function (k) { map.addImage("pat-" + k, patternImage(k), { pixelRatio: 1 }); });
  FACILITY_KINDS.concat(["other"]).forEach(function (k) {
    var c = facilityCanvas(k, 40);
    map.addImage("fac-" + k, c.getContext("2d").getImageData(0, 0, 40, 40), { pixelRatio: 2 });
  });
  var empty = fc([]);
  ["zones", "compounds", "facilities", "plan", "pinned", "routes", "aroute", "draw"].forEach(function (id) {
    map.addSource(id, { type: "geojson", data: empty, tolerance: 0.3 });
  });
  var kindColor = ["match", ["get", "kind"], "sealed", KIND_COLOR.sealed, "controlled", KIND_COLOR.controlled, KIND_COLOR.prevention];
  // Features are drawn in source order, which renderZones sorts by kind
  // (prevention under controlled under sealed): no per-tile sort key.
  map.addLayer({ id: "zones-fill", type: "fill", source: "zones", paint: { "fill-color": kindColor, "fill-opacity": 0.1 } });
  map.addLayer({ id: "zones-pattern", type: "fill", source: "zones",
    paint: { "fill-pattern": ["match", ["get", "kind"], "sealed", "pat-sealed", "controlled", "pat-controlled", "pat-prevention"] } });
  map.addLayer({ id: "zones-line", type: "line", source: "zones", filter: ["!=", ["get", "kind"], "prevention"],
    paint: { "line-color": kindColor, "line-width": ["match", ["get", "kind"], "sealed", 3, 2] } });
  map.addLayer({ id: "zones-line-dash", type: "line", source: "zones", filter: ["==", ["get", "kind"], "prevention"],
    paint: { "line-color": KIND_COLOR.prevention, "line-width": 2, "line-dasharray": [3, 2] } });
  map.addLayer({ id: "compounds-fill", type: "fill", source: "compounds",
    paint: { "fill-color": ["match", ["get", "zk"], "sealed", KIND_COLOR.sealed, "controlled", KIND_COLOR.controlled, "prevention", "#c79a00", "#5b8a5e"], "fill-opacity": 0.45 } });
  map.addLayer({ id: "compounds-line", type: "line", source: "compounds", paint: { "line-color": "#ffffff", "line-width": 1 } });
  map.addLayer({ id: "plan-area", type: "fill", source: "plan", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#5e35b1", "fill-opacity": 0.08 } });
  map.addLayer({ id: "plan-lines", type: "line", source: "plan", filter: ["==", ["geometry-type"], "LineString"],
    paint: { "line-color": "#37474f", "line-opacity": 0.7, "line-width": 1, "line-dasharray": [2, 2] } });
  map.addLayer({ id: "plan-demand", type: "circle", source: "plan", filter: ["all", ["==", ["geometry-type"], "Point"], ["!", ["get", "_site"]]],
    paint: { "circle-radius": 3, "circle-color": "#37474f", "circle-opacity": 0.6, "circle-stroke-color": "#fff", "circle-stroke-width": 0.8 } });
  map.addLayer({ id: "pinned-sites", type: "circle", source: "pinned",
    paint: { "circle-radius": 14, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#5e35b1", "circle-stroke-width": 3 } });
  map.addLayer({ id: "plan-sites", type: "circle", source: "plan", filter: ["all", ["==", ["geometry-type"], "Point"], ["==", ["get", "_site"], true]],
    paint: { "circle-radius": 11, "circle-color": "#ffd54f", "circle-stroke-color": "#263238", "circle-stroke-width": 2 } });
  map.addLayer({ id: "routes-casing", type: "line", source: "routes", layout: { "line-join": "round", "line-cap": "round" }, paint: { "line-color": "#fff", "line-width": 7 } });
  map.addLayer({ id: "routes-line", type: "line", source: "routes", layout: { "line-join": "round", "line-cap": "round" }, paint: { "line-color": ["get", "color"], "line-width": 4 } });
  map.addLayer({ id: "aroute-casing", type: "line", source: "aroute", layout: { "line-join": "round", "line-cap": "round" }, paint: { "line-color": "#fff", "line-width": 8 } });
  map.addLayer({ id: "aroute-line", type: "line", source: "aroute", layout: { "line-join": "round", "line-cap": "round" }, paint: { "line-color": "#0d47a1", "line-width": 5 } });
  map.addLayer({ id: "facilities", type: "symbol", source: "facilities",
    layout: { "icon-image": ["coalesce", ["image", ["concat", "fac-", ["get", "kind"]]], ["image", "fac-other"]], "icon-allow-overlap": true,
      "symbol-sort-key": ["match", ["get", "kind"], "hospital", 6, "depot", 5, "health_centre", 4, "pharmacy", 3, "candidate_site", 2, 1] } });
  map.addLayer({ id: "compound-names", type: "symbol", source: "compounds", minzoom: 15,
    layout: { "text-field": ["get", "name"], "text-size": 12, "text-font": ["sans-serif"], "text-max-width": 8 },
    paint: { "text-color": "#1d2327", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } });
  map.addLayer({ id: "facility-names", type: "symbol", source: "facilities", minzoom: 16,
    layout: { "text-field": ["get", "name"], "text-size": 11, "text-font": ["sans-serif"], "text-offset": [0, 1.3], "text-anchor": "top", "text-max-width": 10, "text-optional": true },
    paint: { "text-color": "#1d2327", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } });
  map.addLayer({ id: "draw-fill", type: "fill", source: "draw", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#1565c0", "fill-opacity": 0.15 } });
  map.addLayer({ id: "draw-line", type: "line", source: "draw", filter: ["!=", ["geometry-type"], "Point"], paint: { "line-color": "#1565c0", "line-width": 2, "line-dasharray": [3, 1.5] } });
  map.addLayer({ id: "draw-pts", type: "circle", source: "draw", filter: ["==", ["geometry-type"], "Point"],
    paint: { "circle-radius": 5, "circle-color": "#fff", "circle-stroke-color": "#1565c0", "circle-stroke-width": 2 } });
  map.on("mouseenter", "facilities", function () { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "facilities", function () { map.getCanvas().style.cursor = ""; });
}

function roadName() {
  return I18N.lang() === "zh" ? ["get", "name"] : ["coalesce", ["get", "name_en"], ["get", "name"]];
}
if (map) I18N.onChange(function () { if (map.getLayer("bm-road-names")) map.setLayoutProperty("bm-road-names", "text-field", roadName()); });

// The basemap is optional: the page asks for the TileJSON first and adds
// the vector source only when the server has one (no failed tile requests,
// no console errors on a server without tiles).
var BASEMAP_LAYERS = [];
function loadBasemap() {
  return fetch("/tiles/basemap.json", { headers: { Accept: "application/json" } }).then(function (r) {
    if (!r.ok || !/json/.test(r.headers.get("Content-Type") || "")) return null;
    return r.json();
  }).then(function (tj) {
    if (!tj || !Array.isArray(tj.tiles) || !tj.tiles.length || !map) return;
    // Keep the {z}/{x}/{y} template as it is (URL() would escape the braces);
    // a relative template is made absolute, and another host is never asked.
    var tiles = tj.tiles.map(function (u) { return /^https?:\/\//.test(u) ? u : location.origin + (u.charAt(0) === "/" ? "" : "/") + u; });
    if (tiles.some(function (u) { return new URL(u.replace(/[{}]/g, "")).host !== location.host; })) return; // never another host
    map.addSource("basemap", { type: "vector", tiles: tiles, minzoom: tj.minzoom || 0, maxzoom: tj.maxzoom || 14,
      bounds: tj.bounds, attribution: tj.attribution || "© OpenStreetMap contributors" });
    var before = "zones-fill";
    function add(l) { l.source = "basemap"; map.addLayer(l, before); BASEMAP_LAYERS.push(l.id); }
    add({ id: "bm-green", type: "fill", "source-layer": "green", paint: { "fill-color": "#d3e8c8" } });
    add({ id: "bm-water", type: "fill", "source-layer": "water", paint: { "fill-color": "#aad3ee" } });
    add({ id: "bm-buildings", type: "fill", "source-layer": "buildings", minzoom: 14, paint: { "fill-color": "#dcd6ce", "fill-outline-color": "#c9c1b6" } });
    var cls = ["get", "class"];
    var width = ["interpolate", ["linear"], ["zoom"], 12,
      ["match", cls, ["motorway", "trunk"], 3, "primary", 2.5, "secondary", 2, "tertiary", 1.5, ["residential", "service"], 0.7, 0.5], 17,
      ["match", cls, ["motorway", "trunk"], 16, "primary", 14, "secondary", 12, "tertiary", 10, "residential", 7, "service", 4, 2]];
    add({ id: "bm-roads-casing", type: "line", "source-layer": "roads", filter: ["!=", cls, "path"], layout: { "line-join": "round", "line-cap": "round" },
      paint: { "line-color": "#c3c9ce", "line-width": ["+", width, 1.5] } });
    add({ id: "bm-paths", type: "line", "source-layer": "roads", filter: ["==", cls, "path"], paint: { "line-color": "#9aa5ad", "line-width": 1, "line-dasharray": [2, 2] } });
    add({ id: "bm-roads", type: "line", "source-layer": "roads", filter: ["!=", cls, "path"], layout: { "line-join": "round", "line-cap": "round" },
      paint: { "line-color": ["match", cls, ["motorway", "trunk"], "#f6c779", "primary", "#fbe3a3", "#ffffff"], "line-width": width } });
    add({ id: "bm-places", type: "circle", "source-layer": "places", filter: ["==", ["get", "kind"], "hospital"], minzoom: 13,
      paint: { "circle-radius": 3, "circle-color": "#b71c1c", "circle-opacity": 0.5 } });
    // Street names: MapLibre draws the letters with the browser's own fonts
    // (no glyph server); English names where the map has them in English.
    before = "facilities";
    add({ id: "bm-road-names", type: "symbol", "source-layer": "roads", minzoom: 14, filter: ["has", "name"],
      layout: { "text-field": roadName(), "symbol-placement": "line", "text-size": 12, "text-font": ["sans-serif"], "text-max-angle": 40 },
      paint: { "text-color": "#37474f", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } });
    S.basemap = true;
    document.getElementById("basemap-layer").hidden = false;
  }).catch(function () { /* no basemap: the overlays still draw */ });
}

function setVisible(ids, on) {
  if (!map || !S.mapReady) return;
  ids.forEach(function (id) { if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none"); });
}
function applyLayerToggles() {
  for (var k in OVERLAY_LAYERS) setVisible(OVERLAY_LAYERS[k], S.layers[k]);
  setVisible(BASEMAP_LAYERS, S.layers.basemap);
  markersVisible(S.layers.sites, siteMarkers);
  markersVisible(S.layers.routes, stopMarkers);
}
function markersVisible(on, list) { list.forEach(function (m) { m.getElement().hidden = !on; }); }
Array.prototype.forEach.call(document.querySelectorAll("[data-layer]"), function (cb) {
  cb.addEventListener("change", function () {
    S.layers[cb.getAttribute("data-layer")] = cb.checked;
    applyLayerToggles();
  });
});

function setData(id, data) {
  if (!map || !S.mapReady) return;
  var src = map.getSource(id);
  if (src) src.setData(data);
}

function renderZones() {
  var list = S.zonesActive.filter(function (z) { return z.geometry; }).map(function (z) {
    return { type: "Feature", id: fid(z), geometry: z.geometry, properties: { id: fid(z), kind: props(z).kind, name: props(z).name || "" } };
  });
  list.sort(function (a, b) { return (KIND_RANK[a.properties.kind] || 0) - (KIND_RANK[b.properties.kind] || 0); });
  setData("zones", fc(list));
  renderCompounds();
}
function renderCompounds() {
  setData("compounds", fc(S.compounds.filter(function (c) { return c.geometry; }).map(function (c) {
    var ctr = centroid(c.geometry), z = ctr ? strictestAt(ctr) : null;
    return { type: "Feature", geometry: c.geometry, properties: { id: fid(c), name: props(c).name || "", zk: z ? props(z).kind : "none" } };
  })));
}
function renderFacilities() {
  setData("facilities", fc(S.facilities.filter(function (f) { return f.geometry && f.geometry.type === "Point"; }).map(function (f) {
    return { type: "Feature", geometry: f.geometry, properties: { id: fid(f), kind: props(f).kind || "other", name: props(f).name || "" } };
  })));
}
function renderDrawing() {
  var ring = S.draw || S.pendingRing || (S.edit && S.edit.ring);
  var out = [];
  if (ring && ring.length) {
    if (ring.length > 2) out.push({ type: "Feature", geometry: { type: "Polygon", coordinates: [ring.concat([ring[0]])] }, properties: {} });
    else if (ring.length === 2) out.push({ type: "Feature", geometry: { type: "LineString", coordinates: ring }, properties: {} });
    if (!S.edit) ring.forEach(function (p) { out.push({ type: "Feature", geometry: { type: "Point", coordinates: p }, properties: {} }); });
  }
  setData("draw", fc(out));
}

var pinMarker = null;
function renderPin() {
  if (!map) return;
  if (pinMarker) { pinMarker.remove(); pinMarker = null; }
  if (S.pin) pinMarker = new maplibregl.Marker({ color: "#1565c0" }).setLngLat(S.pin).addTo(map);
}

function numberedMarker(lngLat, text, cls, color, title) {
  var e = el("div", { class: "nummark " + (cls || ""), style: color ? "background:" + color : null, title: title || null, "aria-hidden": "true", translate: "no" }, String(text));
  return new maplibregl.Marker({ element: e }).setLngLat(lngLat).addTo(map);
}

function dataBounds() {
  var b = null;
  function add(p) {
    if (!p || p.length < 2 || !isFinite(p[0]) || !isFinite(p[1])) return;
    if (!b) b = [p[0], p[1], p[0], p[1]];
    b[0] = Math.min(b[0], p[0]); b[1] = Math.min(b[1], p[1]); b[2] = Math.max(b[2], p[0]); b[3] = Math.max(b[3], p[1]);
  }
  function addGeom(g) {
    if (!g) return;
    if (g.type === "Point") add(g.coordinates);
    polygonsOf(g).forEach(function (poly) { (poly[0] || []).forEach(add); });
  }
  S.compounds.forEach(function (f) { addGeom(f.geometry); });
  S.facilities.forEach(function (f) { addGeom(f.geometry); });
  (S.zonesAll.length ? S.zonesAll : S.zonesActive).forEach(function (f) { addGeom(f.geometry); });
  return b;
}
function fit() {
  var b = dataBounds();
  if (!b || !map) return;
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: fitPadding(30), animate: false });
}
// fitPadding keeps fitted data clear of the phone's bottom sheet.
function fitPadding(px) {
  var pad = { top: px, bottom: px, left: px, right: px };
  var legend = document.getElementById("legend");
  if (legend.open && !isPhone()) pad.left += legend.getBoundingClientRect().width + 10;
  if (isPhone()) {
    var panel = document.getElementById("panel");
    if (!panel.classList.contains("collapsed")) pad.bottom += panel.getBoundingClientRect().height;
  }
  return pad;
}
function zoomToGeometry(g) {
  if (!map) return;
  var b = null;
  polygonsOf(g).forEach(function (poly) {
    (poly[0] || []).forEach(function (p) {
      if (!b) b = [p[0], p[1], p[0], p[1]];
      b[0] = Math.min(b[0], p[0]); b[1] = Math.min(b[1], p[1]); b[2] = Math.max(b[2], p[0]); b[3] = Math.max(b[3], p[1]);
    });
  });
  if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: fitPadding(60), maxZoom: 17, duration: 300 });
}

// ---- map clicks: drawing, picking, look-ups ----

function clickAt(p) {
  p = round7(p);
  if (S.pick) {
    var pk = S.pick;
    stopPick();
    pk.cb(p);
    return;
  }
  if (S.draw) {
    S.draw.push(p);
    showDrawbar();
    renderDrawing();
    return;
  }
  if (S.edit) return;
  lookup(p);
}
if (map) {
  map.on("click", function (e) {
    if (!S.pick && !S.draw && !S.edit) {
      var hit = map.queryRenderedFeatures(e.point, { layers: ["facilities"] });
      if (hit.length) { showFacility(String(props(hit[0]).id)); return; }
    }
    clickAt([e.lngLat.lng, e.lngLat.lat]);
  });
}
function mapCentre() { var c = map.getCenter(); return [c.lng, c.lat]; }

// ---- drawing and editing bar ----

var drawBar = document.getElementById("drawbar");
function showDrawbar() {
  drawBar.hidden = false;
  var txt = document.getElementById("drawbar-text");
  clear(txt);
  var centreBtn = el("button", { type: "button", id: "draw-centre", text: t("draw.centre"), onclick: function () { if (map) clickAt(mapCentre()); } });
  if (S.draw) {
    txt.appendChild(document.createTextNode(t("draw.help", { n: S.draw.length }) + " "));
    txt.appendChild(centreBtn);
    document.getElementById("draw-undo").hidden = false;
    document.getElementById("draw-finish").textContent = t("draw.finish");
  } else if (S.edit) {
    txt.appendChild(document.createTextNode(t("edit.help")));
    document.getElementById("draw-undo").hidden = true;
    document.getElementById("draw-finish").textContent = t("edit.save");
  }
}
function hideDrawbar() { drawBar.hidden = true; }

function startDraw() {
  stopEdit();
  S.draw = [];
  S.pendingRing = null;
  zoneForm.hidden = true;
  if (map) map.getCanvas().style.cursor = "crosshair";
  showDrawbar();
  renderDrawing();
}
function stopDraw() {
  S.draw = null;
  hideDrawbar();
  if (map) map.getCanvas().style.cursor = "";
  renderDrawing();
}

// Vertex editing: each corner of the zone's outer ring is a draggable
// marker (also moved with the arrow keys when focused); Save sends the new
// shape with PUT /v1/zones/{id}.
function startEdit(z) {
  if (!map) return;
  stopDraw();
  stopEdit();
  var polys = polygonsOf(z.geometry);
  if (!polys.length) return;
  var ring = polys[0][0].slice(0, -1).map(function (p) { return p.slice(0, 2); });
  S.edit = { zone: z, ring: ring, markers: [] };
  ring.forEach(function (p, i) {
    var e = el("div", { class: "vertex", tabindex: "0", role: "button", "aria-label": t("edit.vertex", { n: i + 1 }) });
    var m = new maplibregl.Marker({ element: e, draggable: true }).setLngLat(p).addTo(map);
    m.on("drag", function () { var ll = m.getLngLat(); S.edit.ring[i] = round7([ll.lng, ll.lat]); renderDrawing(); });
    e.addEventListener("keydown", function (ev) {
      var d = { ArrowLeft: [-6, 0], ArrowRight: [6, 0], ArrowUp: [0, -6], ArrowDown: [0, 6] }[ev.key];
      if (!d) return;
      ev.preventDefault();
      ev.stopPropagation();
      var pt = map.project(m.getLngLat());
      var ll = map.unproject([pt.x + d[0], pt.y + d[1]]);
      m.setLngLat(ll);
      S.edit.ring[i] = round7([ll.lng, ll.lat]);
      renderDrawing();
    });
    S.edit.markers.push(m);
  });
  zoomToGeometry(z.geometry);
  showDrawbar();
  renderDrawing();
  S.edit.markers[0].getElement().focus();
}
function stopEdit() {
  if (!S.edit) return;
  S.edit.markers.forEach(function (m) { m.remove(); });
  S.edit = null;
  hideDrawbar();
  renderDrawing();
}
function saveEdit() {
  var z = S.edit.zone, p = props(z);
  var polys = polygonsOf(z.geometry).slice();
  var first = polys[0].slice();
  first[0] = closedCCW(S.edit.ring);
  polys[0] = first;
  var feature = {
    type: "Feature",
    geometry: polys.length === 1 ? { type: "Polygon", coordinates: polys[0] } : { type: "MultiPolygon", coordinates: polys },
    // no effective_from: the new shape is a new version in force from now
    // (the server keeps every earlier version, so the past stays as it was)
    properties: { kind: p.kind, name: p.name, reason: p.reason || "" }
  };
  if (p.external_key) feature.properties.external_key = p.external_key;
  LL.api("PUT", "/v1/zones/" + encodeURIComponent(fid(z)), feature, { contentType: "application/geo+json" }).then(function () {
    stopEdit();
    showInfo(t("edit.saved", { name: p.name || fid(z) }));
    return zonesChanged();
  }, function (err) { showError(t("edit.failed"), err); });
}

document.getElementById("draw-undo").addEventListener("click", function () {
  if (S.draw && S.draw.length) S.draw.pop();
  showDrawbar();
  renderDrawing();
});
document.getElementById("draw-cancel").addEventListener("click", function () {
  if (S.edit) { stopEdit(); return; }
  S.pendingRing = null;
  stopDraw();
});
document.getElementById("draw-finish").addEventListener("click", function () {
  if (S.edit) { saveEdit(); return; }
  if (!S.draw || S.draw.length < 3) {
    showError(t("draw.title"), new Error(t("draw.need3")));
    return;
  }
  S.pendingRing = S.draw.slice();
  stopDraw();
  zoneForm.hidden = false;
  zoneForm.elements.from.value = LL.localInput(new Date());
  zoneForm.elements.name.focus();
});
document.addEventListener("keydown", function (e) {
  if (e.key !== "Escape") return;
  if (S.pick) stopPick();
  else if (S.edit) stopEdit();
  else if (S.draw) { S.pendingRing = null; stopDraw(); }
});

// ---- picking a place on the map (vans form, route tool) ----

var pickBar = document.getElementById("pickbar");
function showPickbar() {
  pickBar.hidden = false;
  var txt = document.getElementById("pickbar-text");
  clear(txt);
  txt.appendChild(document.createTextNode(S.pick.text + " "));
  txt.appendChild(el("button", { type: "button", id: "pick-centre", text: t("draw.centre"), onclick: function () { if (map) clickAt(mapCentre()); } }));
}
function startPick(text, cb) {
  if (S.draw) stopDraw();
  S.pick = { text: text, cb: cb };
  if (map) map.getCanvas().style.cursor = "crosshair";
  showPickbar();
  if (isPhone()) setSheet(false);
}
function stopPick() {
  S.pick = null;
  pickBar.hidden = true;
  if (map) map.getCanvas().style.cursor = "";
  if (isPhone()) setSheet(true);
}
document.getElementById("pick-cancel").addEventListener("click", stopPick);

// ---- data loading ----

function asOfParam() { return encodeURIComponent(LL.rfc3339(S.asOf)); }
function loadActiveZones() {
  return LL.api("GET", "/v1/zones?active_at=" + asOfParam() + "&format=geojson").then(function (r) {
    S.zonesActive = features(r);
    renderZones();
  }, function (err) { showError(t("err.zonemap"), err); });
}
function loadAllZones() {
  return LL.api("GET", "/v1/zones?format=geojson").then(function (r) {
    S.zonesAll = features(r);
    renderZoneList();
  }, function (err) { showError(t("err.zonelist"), err); });
}
function loadPlaces() {
  var a = LL.api("GET", "/v1/compounds?format=geojson").then(function (r) { S.compounds = features(r); renderCompounds(); },
    function (err) { showError(t("err.compounds"), err); });
  var b = LL.api("GET", "/v1/facilities?format=geojson").then(function (r) { S.facilities = features(r); renderFacilities(); },
    function (err) { showError(t("err.facilities"), err); });
  return Promise.all([a, b]);
}
function reloadZones() { return Promise.all([loadActiveZones(), loadAllZones()]); }
// zonesChanged reloads the zones and re-asks for the route of the route
// tool, which the new zones may have changed (sealed roads are avoided).
function zonesChanged() {
  return reloadZones().then(function () {
    // The server re-seals its roads in the background: ask again shortly.
    if (S.route.from && S.route.to) {
      setTimeout(fetchRoute, 2500);
      return new Promise(function (res) { setTimeout(res, 500); }).then(fetchRoute);
    }
  });
}

// ---- day slider and date picker ----

var asOfInput = document.getElementById("asof");
var daySlider = document.getElementById("day");
function todayNoon() { return LL.parseLocal(LL.localInput(new Date()).slice(0, 10) + "T12:00"); }
function dayOffset(d) {
  var a = LL.parseLocal(LL.localInput(d).slice(0, 10) + "T12:00"), b = todayNoon();
  return Math.round((a.getTime() - b.getTime()) / 86400000);
}
function renderDay() {
  var off = dayOffset(S.asOf);
  daySlider.value = String(Math.max(-14, Math.min(14, off)));
  var label = I18N.formatDate(S.asOf) + (off === 0 ? " · " + t("zones.today") : "");
  document.getElementById("day-out").textContent = label;
  daySlider.setAttribute("aria-valuetext", label);
  asOfInput.value = LL.localInput(S.asOf);
}
function setAsOf(d) {
  S.asOf = d;
  renderDay();
  renderZoneList();
  return loadActiveZones();
}
daySlider.addEventListener("input", function () {
  var time = LL.localInput(S.asOf).slice(11);
  var day = new Date(todayNoon().getTime() + parseInt(daySlider.value, 10) * 86400000);
  var d = LL.parseLocal(LL.localInput(day).slice(0, 10) + "T" + time);
  if (d) setAsOf(d);
});
asOfInput.addEventListener("change", function () {
  var d = LL.parseLocal(asOfInput.value);
  if (d) setAsOf(d);
});
document.getElementById("asof-now").addEventListener("click", function () { setAsOf(new Date()); });

// ---- tabs (ARIA tablist, arrow keys) and the phone's bottom sheet ----

var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
function visibleTabs() { return tabs.filter(function (b) { return !b.hidden; }); }
function showTab(name, focus) {
  tabs.forEach(function (b) {
    var on = b.getAttribute("data-tab") === name;
    b.setAttribute("aria-selected", on ? "true" : "false");
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  });
  Array.prototype.forEach.call(document.querySelectorAll("[role=tabpanel]"), function (s) {
    s.hidden = s.id !== "tab-" + name || s.hasAttribute("data-role-hidden");
  });
  if (isPhone()) setSheet(true);
}
tabs.forEach(function (b) {
  b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); });
  b.addEventListener("keydown", function (e) {
    var vis = visibleTabs(), i = vis.indexOf(b), j = -1;
    if (e.key === "ArrowRight" || e.key === "ArrowDown") j = (i + 1) % vis.length;
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") j = (i - 1 + vis.length) % vis.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = vis.length - 1;
    if (j < 0) return;
    e.preventDefault();
    showTab(vis[j].getAttribute("data-tab"), true);
  });
});
var phoneQuery = window.matchMedia("(max-width: 760px)");
function isPhone() { return phoneQuery.matches; }
var sheetBtn = document.getElementById("sheet-toggle");
function setSheet(open) {
  document.getElementById("panel").classList.toggle("collapsed", !open);
  sheetBtn.setAttribute("aria-expanded", open ? "true" : "false");
}
sheetBtn.addEventListener("click", function () { setSheet(sheetBtn.getAttribute("aria-expanded") !== "true"); });
// The legend starts open only where it leaves room (a tall desktop window);
// fitted views keep the data clear of it while it is open.
document.getElementById("legend").open = !isPhone() && window.innerHeight >= 900;

// ---- legend ----

function renderLegend() {
  var zk = document.getElementById("zone-keys");
  clear(zk);
  ["sealed", "controlled", "prevention"].forEach(function (k) {
    var c = document.createElement("canvas");
    c.width = c.height = 16;
    c.className = "keyswatch";
    c.setAttribute("aria-hidden", "true");
    var g = c.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, 16, 16);
    g.putImageData(patternImage(k), 0, 0);
    g.strokeStyle = KIND_COLOR[k]; g.lineWidth = 2;
    if (k === "prevention") g.setLineDash([3, 2]);
    g.strokeRect(1, 1, 14, 14);
    zk.appendChild(el("span", { class: "keyrow" }, [c, kindName(k)]));
  });
  var fk = document.getElementById("facility-keys");
  clear(fk);
  FACILITY_KINDS.forEach(function (k) {
    var c = facilityCanvas(k, 20);
    c.className = "keyswatch";
    c.setAttribute("aria-hidden", "true");
    fk.appendChild(el("span", { class: "keyrow" }, [c, facilityName(k)]));
  });
}

// ---- point look-up, facility details ----

function table(rows) {
  var tb = el("table", { class: "kv" });
  rows.forEach(function (r) {
    if (r[1] === undefined || r[1] === null || r[1] === "") return;
    tb.appendChild(el("tr", null, [el("th", { text: r[0], translate: r[2] ? "no" : null }), el("td", { text: String(r[1]), translate: "no" })]));
  });
  return tb;
}
function zoneCard(z) {
  var p = z && z.properties ? z.properties : z || {};
  var id = p.id !== undefined ? p.id : z.id;
  return el("div", { class: "card zonecard " + (p.kind || "") }, [
    el("div", null, [el("span", { class: "badge " + (p.kind || ""), text: kindName(p.kind) }), " ", el("b", { text: p.name || "#" + id, translate: "no" })]),
    p.reason ? el("div", { class: "muted", text: p.reason, translate: "no" }) : null,
    el("div", { class: "small", text: t("zones.span", { from: I18N.formatDateTime(p.effective_from), until: p.effective_until ? I18N.formatDateTime(p.effective_until) : t("zones.open") }) })
  ]);
}
function lookup(p) {
  S.pin = p;
  renderPin();
  showTab("point");
  var out = document.getElementById("point-result");
  clear(out);
  out.appendChild(el("p", { class: "muted", text: t("point.looking") }));
  LL.api("GET", "/v1/lookup?lon=" + p[0] + "&lat=" + p[1] + "&at=" + asOfParam()).then(function (r) {
    clear(out);
    out.appendChild(el("p", { class: "small" }, [t("point.at", { when: I18N.formatDateTime(S.asOf) }) + " ", el("span", { translate: "no", text: p[1].toFixed(5) + ", " + p[0].toFixed(5) })]));
    if (!r || !r.strictest) {
      out.appendChild(el("div", { class: "card none" }, [el("b", { text: t("point.nozone") }), el("div", { class: "muted", text: t("point.normal") })]));
    } else {
      out.appendChild(el("h3", { text: t("point.strictest") }));
      out.appendChild(zoneCard(r.strictest));
    }
    var matches = (r && r.matches) || [];
    if (matches.length > 1) {
      out.appendChild(el("h3", { text: t("point.all", { n: matches.length }) }));
      matches.forEach(function (m) { out.appendChild(zoneCard(m)); });
    }
  }, function (err) {
    clear(out);
    out.appendChild(el("div", { class: "card error", text: LL.describe(err) }));
    showError(t("point.failed"), err);
  });
}
function compoundName(id) {
  var n = "#" + id;
  S.compounds.forEach(function (c) { if (String(fid(c)) === String(id)) n = props(c).name || n; });
  return n;
}
function showFacility(id) {
  var f = null;
  S.facilities.forEach(function (x) { if (String(fid(x)) === id) f = x; });
  if (!f) return;
  var p = props(f);
  showTab("point");
  var out = document.getElementById("point-result");
  clear(out);
  out.appendChild(el("div", { class: "card" }, [el("h3", { text: p.name || "#" + id, translate: "no" }), table([
    [t("fac.kind"), facilityName(p.kind)],
    [t("fac.capacity"), p.capacity],
    [t("fac.hours"), p.opening_hours],
    [t("fac.accepts"), Array.isArray(p.accepts) ? p.accepts.map(function (c) { return t("colour." + c); }).join(", ") : p.accepts],
    [t("fac.compound"), p.compound_id ? compoundName(p.compound_id) : null],
    [t("fac.position"), f.geometry.coordinates[1].toFixed(5) + ", " + f.geometry.coordinates[0].toFixed(5)]
  ])]));
  var z = strictestAt(f.geometry.coordinates);
  out.appendChild(el("p", { class: "small", text: t("fac.zone", { zone: z ? kindName(props(z).kind) + " (" + (props(z).name || "") + ")" : t("zones.none") }) }));
}

// ---- the route tool: the road engine's route between two picked points ----

var routeMarkers = [];
function fetchRoute() {
  var out = document.getElementById("route-result");
  var a = S.route.from, b = S.route.to;
  routeMarkers.forEach(function (m) { m.remove(); });
  routeMarkers = [];
  if (map && a) routeMarkers.push(numberedMarker(a, "A", "routeend"));
  if (map && b) routeMarkers.push(numberedMarker(b, "B", "routeend"));
  if (!a || !b) { setData("aroute", fc([])); return Promise.resolve(); }
  return LL.api("GET", "/v1/route?from=" + a[0] + "," + a[1] + "&to=" + b[0] + "," + b[1]).then(function (r) {
    S.route.geometry = r && r.geometry ? r.geometry : null;
    S.route.summary = r;
    S.route.version = (S.route.version || 0) + 1;
    setData("aroute", fc(S.route.geometry ? [{ type: "Feature", geometry: S.route.geometry, properties: {} }] : []));
    clear(out);
    var rp = r && r.type === "Feature" && r.properties ? r.properties : r || {}; // GeoJSON Feature or plain JSON
    var dist = rp.distance_m, dur = rp.time_s;
    out.appendChild(el("div", { class: "card", id: "route-card", "data-version": String(S.route.version), "data-coords": S.route.geometry ? String(S.route.geometry.coordinates.length) : "0" }, [
      el("b", { text: t("route.title") }),
      el("div", { class: "small", text: t("route.summary", { km: dist !== undefined ? (dist / 1000).toFixed(2) : "?", min: dur !== undefined ? Math.round(dur / 60) : "?" }) })
    ]));
  }, function (err) {
    setData("aroute", fc([]));
    clear(out);
    out.appendChild(el("div", { class: "card error", text: LL.describe(err) }));
  });
}
document.getElementById("route-from").addEventListener("click", function () {
  startPick(t("route.pickfrom"), function (p) { S.route.from = p; fetchRoute(); });
});
document.getElementById("route-to").addEventListener("click", function () {
  startPick(t("route.pickto"), function (p) { S.route.to = p; fetchRoute(); });
});
document.getElementById("route-clear").addEventListener("click", function () {
  S.route = { from: null, to: null, geometry: null };
  clear(document.getElementById("route-result"));
  fetchRoute();
});

// ---- zones list, lift, create, edit, import, export ----

function zoneStatus(p) {
  var now = S.asOf.getTime();
  var from = new Date(p.effective_from).getTime();
  var until = p.effective_until ? new Date(p.effective_until).getTime() : Infinity;
  if (now < from) return "scheduled";
  if (now >= until) return "lifted";
  return "active";
}
function renderZoneList() {
  var list = document.getElementById("zone-list");
  clear(list);
  var zs = S.zonesAll.slice();
  var order = { active: 0, scheduled: 1, lifted: 2 };
  zs.sort(function (a, b) {
    var pa = props(a), pb = props(b), sa = order[zoneStatus(pa)], sb = order[zoneStatus(pb)];
    if (sa !== sb) return sa - sb;
    var ra = KIND_RANK[pa.kind] || 0, rb = KIND_RANK[pb.kind] || 0;
    if (ra !== rb) return rb - ra;
    return (fid(a) || 0) - (fid(b) || 0);
  });
  var counts = { active: 0, scheduled: 0, lifted: 0 };
  zs.forEach(function (z) {
    var p = props(z), st = zoneStatus(p), id = fid(z);
    counts[st]++;
    var li = el("li", { class: "zoneitem " + st, "data-zone": String(id) }, [
      el("div", null, [el("span", { class: "badge " + (p.kind || ""), text: kindName(p.kind) }), " ", el("b", { text: p.name || "#" + id, translate: "no" }), " ",
        el("span", { class: "status " + st, text: t("status." + st) })]),
      p.reason ? el("div", { class: "muted", text: p.reason, translate: "no" }) : null,
      el("div", { class: "small", text: t("zones.span", { from: I18N.formatDateTime(p.effective_from), until: p.effective_until ? I18N.formatDateTime(p.effective_until) : t("zones.open") }) })
    ]);
    var people = el("div", { class: "small pop", hidden: "hidden" });
    li.appendChild(people);
    var buttons = el("div", { class: "row" }, [el("button", { type: "button", text: t("zones.show"), onclick: function () { zoomToGeometry(z.geometry); } }),
      el("button", { type: "button", class: "pop-btn", "aria-expanded": "false", text: t("pop.show"), onclick: function (e) { togglePopulation(id, people, e.currentTarget); } })]);
    var planner = el("span", { class: "row inline", "data-roles": "planner" }, [
      el("button", { type: "button", class: "edit", text: t("zones.edit"), onclick: function () { startEdit(z); } }),
      !p.effective_until ? el("button", { type: "button", class: "danger", text: t("zones.lift"), onclick: function () { liftForm(li, z); } }) : null
    ]);
    buttons.appendChild(planner);
    li.appendChild(buttons);
    list.appendChild(li);
  });
  if (ME) LL.applyRoles(ME, list);
  document.getElementById("zone-summary").textContent = zs.length ?
    t("zones.counts", { when: I18N.formatDateTime(S.asOf), active: counts.active, scheduled: counts.scheduled, lifted: counts.lifted }) : t("zones.empty");
}
// togglePopulation shows (or hides) a zone's people: the residents
// estimated from the compounds it covers, and the key-population registry's
// counts by category (counts only: no one's name reaches this page).
function togglePopulation(id, box, btn) {
  if (!box.hidden) { box.hidden = true; btn.setAttribute("aria-expanded", "false"); return; }
  box.hidden = false;
  btn.setAttribute("aria-expanded", "true");
  clear(box);
  box.appendChild(el("span", { class: "muted", text: t("busy") }));
  LL.api("GET", "/v1/zones/" + encodeURIComponent(id) + "/population").then(function (r) {
    clear(box);
    var nf = new Intl.NumberFormat(I18N.locale(), { maximumFractionDigits: 0 });
    var est = r.estimate || {};
    box.appendChild(el("div", { text: t("pop.line", { people: nf.format(est.population || 0), aged: nf.format(est.aged_60_plus || 0) }) }));
    var key = r.key_population;
    if (key && key.total > 0) {
      var parts = [];
      ["dialysis", "prenatal", "labour", "chemotherapy", "other"].forEach(function (c) {
        if (key[c]) parts.push(t("cat." + c) + " " + key[c]);
      });
      box.appendChild(el("div", { text: t("pop.key", { total: key.total, detail: parts.join(", ") }) }));
    } else if (key) {
      box.appendChild(el("div", { class: "muted", text: t("pop.nokey") }));
    }
  }, function (err) {
    clear(box);
    box.appendChild(el("div", { class: "error", text: LL.describe(err) }));
    showError(t("pop.failed"), err);
  });
}
function liftForm(li, z) {
  if (li.querySelector("form")) return;
  var input = el("input", { type: "datetime-local", step: "60", required: "required", value: LL.localInput(new Date()) });
  var form = el("form", { class: "form inline" }, [
    el("label", null, [t("zones.liftat") + " ", input]),
    el("button", { type: "submit", class: "danger", text: t("zones.liftgo") }),
    el("button", { type: "button", text: t("common.cancel"), onclick: function () { li.removeChild(form); } })
  ]);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var at = LL.parseLocal(input.value);
    if (!at) { showError(t("zones.liftgo"), new Error(t("zones.pickdate"))); return; }
    // the field holds whole minutes: "this minute" (or the one the form
    // was opened in) means now, not its start, which may fall before a
    // version saved seconds ago; now is the server's: no body (our times
    // are whole seconds, the server's to the microsecond)
    var now = new Date();
    var body = at <= now && now - at < 120000 ? undefined : { at: LL.rfc3339(at) };
    var btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    LL.api("POST", "/v1/zones/" + encodeURIComponent(fid(z)) + "/lift", body).then(function () {
      showInfo(t("zones.lifted", { name: props(z).name || fid(z) }));
      return zonesChanged();
    }, function (err) {
      btn.disabled = false;
      showError(t("zones.liftfailed"), err);
    });
  });
  li.appendChild(form);
  input.focus();
}

var zoneForm = document.getElementById("zone-form");
document.getElementById("draw-start").addEventListener("click", function () { showTab("zones"); startDraw(); });
document.getElementById("zone-form-cancel").addEventListener("click", function () {
  zoneForm.hidden = true;
  S.pendingRing = null;
  renderDrawing();
});
document.getElementById("zones-reload").addEventListener("click", function () { reloadZones(); });
zoneForm.addEventListener("submit", function (e) {
  e.preventDefault();
  if (!S.pendingRing) { showError(t("zones.new"), new Error(t("zones.drawfirst"))); return; }
  var from = LL.parseLocal(zoneForm.elements.from.value);
  if (!from) { showError(t("zones.new"), new Error(t("zones.pickdate"))); return; }
  var feature = {
    type: "Feature",
    geometry: { type: "Polygon", coordinates: [closedCCW(S.pendingRing)] },
    properties: {
      kind: zoneForm.elements.kind.value,
      name: zoneForm.elements.name.value.trim(),
      reason: zoneForm.elements.reason.value.trim(),
      effective_from: LL.rfc3339(from)
    }
  };
  var btn = zoneForm.querySelector("button[type=submit]");
  btn.disabled = true;
  LL.api("POST", "/v1/zones", feature, { contentType: "application/geo+json" }).then(function (z) {
    btn.disabled = false;
    zoneForm.hidden = true;
    zoneForm.reset();
    S.pendingRing = null;
    renderDrawing();
    showInfo(t("zones.created", { id: z && (z.id || (z.properties && z.properties.id)) || "" }));
    return zonesChanged();
  }, function (err) {
    btn.disabled = false;
    showError(t("zones.createfailed"), err);
  });
});
document.getElementById("zones-import").addEventListener("change", function (e) {
  var file = e.target.files && e.target.files[0];
  if (!file) return;
  file.text().then(function (text) {
    return LL.api("POST", "/v1/zones/import", text, { contentType: "application/geo+json" });
  }).then(function (r) {
    showInfo(t("zones.imported", { n: r && r.created !== undefined ? r.created : "?" }));
    return zonesChanged();
  }, function (err) { showError(t("zones.importfailed"), err); }).finally(function () { e.target.value = ""; });
});

// ---- sampling sites ----

var sitesForm = document.getElementById("sites-form");
function numberOrNull(v) { var n = parseFloat(v); return isFinite(n) ? n : null; }
function syncSitesForm() {
  var cap = sitesForm.elements.model.value === "capacitated";
  var cover = /cover/.test(sitesForm.elements.model.value);
  sitesForm.elements.deadline.required = cap;
  sitesForm.elements.throughput.required = cap;
  document.getElementById("sites-round").classList.toggle("needed", cap);
  sitesForm.querySelector(".covermin").hidden = !cover;
  sitesForm.elements.p.disabled = sitesForm.elements.model.value === "set-cover";
}
function sitesBody() {
  var body = {};
  try {
    body = JSON.parse(sitesForm.elements.body.value || "{}");
    if (!body || typeof body !== "object" || Array.isArray(body)) body = {};
  } catch (e) {
    throw new Error(t("sites.badjson", { why: e.message }));
  }
  body.model = sitesForm.elements.model.value;
  delete body.sites;
  if (body.model !== "set-cover") {
    var p = parseInt(sitesForm.elements.p.value, 10);
    if (!(p >= 1)) throw new Error(t("sites.badp"));
    body.sites = p;
  }
  var round = Object.assign({}, body.round || {});
  var dl = numberOrNull(sitesForm.elements.deadline.value), th = numberOrNull(sitesForm.elements.throughput.value), md = numberOrNull(sitesForm.elements.maxdesks.value);
  if (dl !== null) round.deadline_hours = dl; else delete round.deadline_hours;
  if (th !== null) round.people_per_desk_hour = th; else delete round.people_per_desk_hour;
  if (md !== null) round.max_desks_per_site = md; else delete round.max_desks_per_site;
  if (Object.keys(round).length) body.round = round; else delete body.round;
  var cm = numberOrNull(sitesForm.elements.cover.value);
  if (cm !== null && /cover/.test(body.model)) body.cover_minutes = cm; else delete body.cover_minutes;
  return body;
}
function syncSitesBody() {
  syncSitesForm();
  try { sitesForm.elements.body.value = JSON.stringify(sitesBody(), null, 1); } catch (e) { /* leave the user's text until it parses */ }
}
["model", "p", "deadline", "throughput", "maxdesks", "cover"].forEach(function (n) {
  sitesForm.elements[n].addEventListener("input", syncSitesBody);
  sitesForm.elements[n].addEventListener("change", syncSitesBody);
});
sitesForm.elements.body.value = JSON.stringify({ model: "p-median", sites: 8 }, null, 1);
syncSitesForm();

var siteMarkers = [];
function isSite(f) {
  var p = props(f), role = p.kind || p.role || p.type || p.layer;
  return typeof role !== "string" || /site|facility|open/i.test(role);
}
function findCollection(r) {
  if (!r || typeof r !== "object") return null;
  if (r.type === "FeatureCollection") return r;
  if (r.geojson && r.geojson.type === "FeatureCollection") return r.geojson;
  for (var k in r) if (r[k] && typeof r[k] === "object" && r[k].type === "FeatureCollection") return r[k];
  return null;
}
function renderPlanLayers() {
  siteMarkers.forEach(function (m) { m.remove(); });
  siteMarkers = [];
  var feats = features(S.plan).map(function (f) {
    var g = f.geometry;
    if (g && g.type === "MultiLineString") g = g; // drawn as is
    var p = Object.assign({}, props(f));
    p._site = !!(g && g.type === "Point" && isSite(f));
    return { type: "Feature", geometry: g, properties: p };
  }).filter(function (f) { return f.geometry; });
  setData("plan", fc(feats));
  if (!map) return;
  var n = 0;
  feats.forEach(function (f) {
    if (!f.properties._site) return;
    n++;
    var m = numberedMarker(f.geometry.coordinates, n, "sitenum", null, f.properties.name || "");
    m.getElement().hidden = !S.layers.sites;
    siteMarkers.push(m);
  });
}
// planFigures are the planner's figures of a /v1/sites/plan answer, in the
// order they are shown; each is [key, value, format].
function planFigures(r) {
  var s = (r && r.summary) || {}, d = (r && r.door_to_door) || {};
  var rows = [
    ["people", s.people, "n"], ["people_at_sites", s.people_at_sites, "n"],
    ["shared_sites", s.shared_sites, "n"], ["dedicated_sites", s.dedicated_sites, "n"],
    ["within_5_min", s.within_5_min, "%"], ["within_10_min", s.within_10_min, "%"], ["within_15_min", s.within_15_min, "%"],
    ["mean_walk_min", s.mean_walk_min, "min"], ["max_walk_min", s.max_walk_min, "min"], ["unreachable", s.unreachable, "n"],
    ["desks", s.desks, "n"], ["finish_min", s.finish_min, "h"],
    ["door_people", d.people, "n"], ["door_teams", d.teams, "n"], ["door_team_hours", d.team_hours, "h1"]
  ];
  return rows.filter(function (x) { return typeof x[1] === "number"; });
}
function formatFigure(v, f) {
  var nf = function (d) { return new Intl.NumberFormat(I18N.locale(), { maximumFractionDigits: d }); };
  if (f === "%") return nf(1).format(v * 100) + " %";
  if (f === "min") return t("sites.minutes", { n: nf(1).format(v) });
  if (f === "h") return t("sites.hhmm", { h: Math.floor(v / 60), m: ("0" + Math.round(v % 60)).slice(-2) });
  if (f === "h1") return t("sites.hours", { n: nf(1).format(v) });
  return nf(0).format(v);
}
// figuresTable shows one plan's figures, or two side by side (the pinned
// plan first) with the change.
function figuresTable(r, pinned) {
  var tb = el("table", { class: "kv figures" });
  if (pinned) {
    tb.appendChild(el("tr", null, [el("th", { text: "" }), el("th", { text: t("sites.planA") }), el("th", { text: t("sites.planB") })]));
  }
  var before = {};
  if (pinned) planFigures(pinned).forEach(function (x) { before[x[0]] = x; });
  planFigures(r).forEach(function (x) {
    var cells = [el("th", { text: t("fig." + x[0]) })];
    if (pinned) cells.push(el("td", { translate: "no", text: before[x[0]] ? formatFigure(before[x[0]][1], x[2]) : "–" }));
    cells.push(el("td", { translate: "no", text: formatFigure(x[1], x[2]) }));
    tb.appendChild(el("tr", { "data-fig": x[0] }, cells));
  });
  return tb;
}
function renderPlan(r) {
  var out = document.getElementById("sites-result");
  clear(out);
  S.plan = findCollection(r);
  S.planResult = r;
  renderPlanLayers();
  var card = el("div", { class: "card", id: "plan-card" }, [el("h3", { text: S.pinnedPlan ? t("sites.compare") : t("sites.plan") })]);
  if (r && r.method) card.appendChild(el("p", { class: "small muted", translate: "no", text: r.method }));
  card.appendChild(figuresTable(r, S.pinnedPlan));
  var pinBar = el("div", { class: "row" });
  if (S.pinnedPlan) {
    pinBar.appendChild(el("button", { type: "button", id: "plan-unpin", text: t("sites.unpin"), onclick: function () { S.pinnedPlan = null; renderPinned(); renderPlan(r); } }));
  }
  pinBar.appendChild(el("button", { type: "button", id: "plan-pin", text: t("sites.pin"), onclick: function () { S.pinnedPlan = r; renderPinned(); renderPlan(r); showInfo(t("sites.pinned")); } }));
  card.appendChild(pinBar);
  (r && r.warnings || []).forEach(function (w) { card.appendChild(el("div", { class: "small warn", translate: "no", text: w })); });
  out.appendChild(card);
  var sites = (r && r.sites) || [];
  var lines = features(S.plan).filter(function (f) { return f.geometry && /LineString/.test(f.geometry.type); });
  if (!S.plan) {
    out.appendChild(el("p", { class: "muted", text: t("sites.nogeo") }));
  } else {
    out.appendChild(el("p", { class: "small", id: "plan-count", text: t("sites.count", { sites: features(S.plan).filter(function (f) { return f.geometry && f.geometry.type === "Point" && isSite(f); }).length, lines: lines.length }) }));
  }
  var ol = el("ol", { class: "list sites" });
  sites.forEach(function (s) {
    var facts = [t("sites.people", { n: formatFigure(s.people, "n") }), t("sites.walk", { mean: formatFigure(s.mean_walk_min, "min"), max: formatFigure(s.max_walk_min, "min") })];
    if (s.desks) facts.push(t("sites.desks", { n: s.desks }));
    if (s.finish_min) facts.push(t("sites.finish", { at: formatFigure(s.finish_min, "h") }));
    if (s.late_by_min) facts.push(t("sites.late", { n: Math.round(s.late_by_min) }));
    ol.appendChild(el("li", { class: s.dedicated ? "dedicated" : "shared" }, [
      el("span", { class: "badge " + (s.dedicated ? "controlled" : "prevention"), text: s.dedicated ? t("sites.dedicated") : t("sites.shared") }), " ",
      el("b", { text: s.name || s.id, translate: "no" }),
      el("div", { class: "small", text: facts.join(" · ") })]));
  });
  out.appendChild(ol);
  var d = r && r.door_to_door;
  if (d && d.groups && d.groups.length) {
    out.appendChild(el("h4", { text: t("sites.door", { teams: d.teams, hours: formatFigure(d.team_hours, "h1") }) }));
    var ul = el("ul", { class: "list small" });
    d.groups.forEach(function (g) {
      ul.appendChild(el("li", { translate: "no", text: (g.name || g.demand) + ": " + t("sites.people", { n: formatFigure(g.people, "n") }) + " · " + t("sites.teams", { n: g.teams, hours: formatFigure(g.team_hours, "h1") }) }));
    });
    out.appendChild(ul);
  }
  S.layers.sites = true;
  document.querySelector("[data-layer=sites]").checked = true;
  applyLayerToggles();
  out.scrollIntoView({ block: "start" });
}
// renderPinned draws the pinned plan's sites as hollow rings, so two plans
// can be told apart on the map.
function renderPinned() {
  var pts = [];
  ((S.pinnedPlan && S.pinnedPlan.sites) || []).forEach(function (s) {
    pts.push({ type: "Feature", geometry: { type: "Point", coordinates: s.point }, properties: { name: s.name || s.id } });
  });
  setData("pinned", fc(pts));
}
sitesForm.addEventListener("submit", function (e) {
  e.preventDefault();
  var body;
  try { body = sitesBody(); } catch (x) { showError(t("sites.title"), x); return; }
  sitesForm.elements.body.value = JSON.stringify(body, null, 1);
  var btn = document.getElementById("sites-run");
  var out = document.getElementById("sites-result");
  btn.disabled = true;
  clear(out);
  out.appendChild(el("p", { class: "muted" }, [el("span", { class: "spinner" }), " " + t("sites.running")]));
  LL.api("POST", "/v1/sites/plan", body, { timeoutMs: 660000 }).then(function (r) {
    btn.disabled = false;
    renderPlan(r);
  }, function (err) {
    btn.disabled = false;
    clear(out);
    out.appendChild(el("div", { class: "card error", id: "sites-error", role: "alert", text: LL.describe(err) }));
    showError(t("sites.failed"), err);
  });
});
document.getElementById("sites-clear").addEventListener("click", function () {
  S.plan = null;
  S.pinnedPlan = null;
  renderPinned();
  clear(document.getElementById("sites-result"));
  renderPlanLayers();
});

// ---- vans: the dispatcher's form, writing VROOM JSON ----

var vansForm = document.getElementById("vans-form");
var V = { vehicles: [], shipments: [], jobs: [], cleaning: 15 };
function secOf(v) { var m = /^(\d{1,2}):(\d{2})/.exec(v || ""); return m ? +m[1] * 3600 + +m[2] * 60 : null; }
function facilitiesOf(kind) { return S.facilities.filter(function (f) { return props(f).kind === kind && f.geometry && f.geometry.type === "Point"; }); }
function ptOf(f) { return [f.geometry.coordinates[0], f.geometry.coordinates[1]]; }

// exampleForm fills the form with a small day on the district's own
// places: two vans from the depot, deliveries to supply points, and two
// dialysis rides of different colour classes that must not share a van.
function exampleForm() {
  var depot = facilitiesOf("depot")[0] || facilitiesOf("health_centre")[0] || S.facilities[0];
  var d = depot ? ptOf(depot) : mapCentre();
  var dn = depot ? props(depot).name : "";
  V.vehicles = [1, 2].map(function (i) { return { desc: t("vans.van", { n: i }), start: d, startName: dn, people: 2, boxes: 12, from: "07:00", until: "18:00" }; });
  V.jobs = facilitiesOf("supply_point").slice(0, 6).map(function (f) {
    return { desc: props(f).name || "", loc: ptOf(f), boxes: 3, from: "09:00", until: "12:00" };
  });
  var hospitals = facilitiesOf("hospital");
  function hospitalFor(colour, word) {
    var ok = hospitals.filter(function (h) { return (props(h).accepts || []).indexOf(colour) >= 0; });
    return ok.filter(function (h) { return (props(h).name || "").toLowerCase().indexOf(word) >= 0; })[0] || ok[0] || hospitals[0];
  }
  var gates = S.compounds.filter(function (c) { return (props(c).gates || []).length; }).slice(0, 2);
  var rides = [{ colour: "green", word: "dialysis" }, { colour: "red", word: "designated" }];
  V.shipments = [];
  gates.forEach(function (c, i) {
    var h = hospitalFor(rides[i].colour, rides[i].word);
    if (!h) return;
    V.shipments.push({ pdesc: (props(c).name || "") + " · " + t("vans.gate", { n: 1 }), ploc: props(c).gates[0], ddesc: props(h).name || "", dloc: ptOf(h),
      colour: rides[i].colour, from: "08:00", until: "08:30", ride: 30 });
  });
  renderVanForm();
  writeVansJSON();
}

function vroomProblem() {
  var body = { vehicles: [], jobs: [], shipments: [] };
  V.vehicles.forEach(function (v, i) {
    if (!v.start) throw new Error(t("vans.needstart", { n: i + 1 }));
    var tw = [secOf(v.from), secOf(v.until)];
    var veh = { id: i + 1, description: v.desc || t("vans.van", { n: i + 1 }), start: v.start, end: v.start, capacity: [Math.max(0, v.boxes | 0), Math.max(0, v.people | 0)] };
    if (tw[0] !== null && tw[1] !== null) veh.time_window = tw;
    body.vehicles.push(veh);
  });
  V.jobs.forEach(function (j, i) {
    if (!j.loc) throw new Error(t("vans.needjob", { n: i + 1 }));
    var job = { id: i + 1, description: j.desc || t("vans.delivery", { n: i + 1 }), location: j.loc, service: 180, delivery: [Math.max(0, j.boxes | 0), 0] };
    var a = secOf(j.from), b = secOf(j.until);
    if (a !== null && b !== null) job.time_windows = [[a, b]];
    body.jobs.push(job);
  });
  var classes = {};
  V.shipments.forEach(function (s, i) {
    if (!s.ploc || !s.dloc) throw new Error(t("vans.needride", { n: i + 1 }));
    var cls = CLASS_COLOURS.indexOf(s.colour) + 1;
    classes[cls] = true;
    var sh = { amount: [0, 1], class: cls,
      pickup: { id: 1001 + 2 * i, description: s.pdesc || t("vans.pickup"), location: s.ploc, service: 300 },
      delivery: { id: 1002 + 2 * i, description: s.ddesc || t("vans.dropoff"), location: s.dloc, service: 120 } };
    if (s.ride) sh.max_ride_time = Math.round(s.ride * 60);
    var a = secOf(s.from), b = secOf(s.until);
    if (a !== null && b !== null) sh.delivery.time_windows = [[a, b]];
    body.shipments.push(sh);
  });
  var used = Object.keys(classes).map(Number).sort();
  if (vansForm.elements.separate.checked && used.length > 1) {
    body.incompatible = [];
    for (var x = 0; x < used.length; x++) for (var y = x + 1; y < used.length; y++) body.incompatible.push([used[x], used[y]]);
    body.cleaning_time = 900;
  }
  return body;
}
function writeVansJSON() {
  try { vansForm.elements.body.value = JSON.stringify(vroomProblem(), null, 1); } catch (e) { /* incomplete form: keep the last JSON */ }
}

function placeButton(label, current, name, onPick) {
  var txt = current ? (name || current[1].toFixed(5) + ", " + current[0].toFixed(5)) : t("vans.notpicked");
  return el("button", { type: "button", class: "pick" + (current ? "" : " missing"), "aria-label": label + ": " + txt, onclick: function () {
    startPick(label, function (p) { onPick(p, placeNear(p)); renderVanForm(); writeVansJSON(); });
  } }, [el("span", { class: "picklabel", text: label }), " ", el("span", { class: "pickval", text: txt, translate: "no" })]);
}
function field(label, input) { return el("label", { class: "f" }, [el("span", { text: label }), input]); }
function bindInput(obj, key, attrs) {
  var a = Object.assign({ value: obj[key] === undefined || obj[key] === null ? "" : String(obj[key]) }, attrs || {});
  var i = el("input", a);
  i.addEventListener("input", function () { obj[key] = attrs && attrs.type === "number" ? parseFloat(i.value) : i.value; writeVansJSON(); });
  return i;
}
function removeButton(list, idx, label) {
  return el("button", { type: "button", class: "danger small-btn", "aria-label": label, title: label, text: "×", onclick: function () { list.splice(idx, 1); renderVanForm(); writeVansJSON(); } });
}
function renderVanForm() {
  var vr = document.getElementById("van-rows");
  clear(vr);
  V.vehicles.forEach(function (v, i) {
    vr.appendChild(el("fieldset", { class: "rowcard" }, [
      el("legend", { text: t("vans.van", { n: i + 1 }) }),
      field(t("vans.name"), bindInput(v, "desc", { maxlength: "100" })),
      placeButton(t("vans.start"), v.start, v.startName, function (p, n) { v.start = p; v.startName = n; }),
      el("div", { class: "frow" }, [
        field(t("vans.boxes"), bindInput(v, "boxes", { type: "number", min: "0", max: "1000" })),
        field(t("vans.seats"), bindInput(v, "people", { type: "number", min: "0", max: "20" }))
      ]),
      el("div", { class: "frow" }, [
        field(t("vans.from"), bindInput(v, "from", { type: "time" })),
        field(t("vans.until"), bindInput(v, "until", { type: "time" }))
      ]),
      removeButton(V.vehicles, i, t("vans.remove"))
    ]));
  });
  var sr = document.getElementById("ship-rows");
  clear(sr);
  V.shipments.forEach(function (s, i) {
    var sel = el("select", null, CLASS_COLOURS.map(function (c) { return el("option", { value: c, text: t("colour." + c) }); }));
    sel.value = s.colour || "green";
    sel.addEventListener("change", function () { s.colour = sel.value; writeVansJSON(); });
    sr.appendChild(el("fieldset", { class: "rowcard ride " + (s.colour || "") }, [
      el("legend", { text: t("vans.ride", { n: i + 1 }) }),
      placeButton(t("vans.pickup"), s.ploc, s.pdesc, function (p, n) { s.ploc = p; s.pdesc = n || s.pdesc; }),
      field(t("vans.pickupname"), bindInput(s, "pdesc", { maxlength: "200" })),
      placeButton(t("vans.dropoff"), s.dloc, s.ddesc, function (p, n) { s.dloc = p; s.ddesc = n || s.ddesc; }),
      field(t("vans.dropoffname"), bindInput(s, "ddesc", { maxlength: "200" })),
      field(t("vans.class"), sel),
      el("div", { class: "frow" }, [
        field(t("vans.arrivefrom"), bindInput(s, "from", { type: "time" })),
        field(t("vans.arriveuntil"), bindInput(s, "until", { type: "time" })),
        field(t("vans.maxride"), bindInput(s, "ride", { type: "number", min: "1", max: "600" }))
      ]),
      removeButton(V.shipments, i, t("vans.remove"))
    ]));
  });
  var jr = document.getElementById("job-rows");
  clear(jr);
  V.jobs.forEach(function (j, i) {
    jr.appendChild(el("fieldset", { class: "rowcard" }, [
      el("legend", { text: t("vans.delivery", { n: i + 1 }) }),
      placeButton(t("vans.place"), j.loc, j.desc, function (p, n) { j.loc = p; j.desc = n || j.desc; }),
      field(t("vans.name"), bindInput(j, "desc", { maxlength: "200" })),
      el("div", { class: "frow" }, [
        field(t("vans.boxes"), bindInput(j, "boxes", { type: "number", min: "0", max: "1000" })),
        field(t("vans.from"), bindInput(j, "from", { type: "time" })),
        field(t("vans.until"), bindInput(j, "until", { type: "time" }))
      ]),
      removeButton(V.jobs, i, t("vans.remove"))
    ]));
  });
}
document.getElementById("van-add").addEventListener("click", function () {
  var depot = facilitiesOf("depot")[0];
  V.vehicles.push({ desc: t("vans.van", { n: V.vehicles.length + 1 }), start: depot ? ptOf(depot) : null, startName: depot ? props(depot).name : "", people: 2, boxes: 12, from: "07:00", until: "18:00" });
  renderVanForm(); writeVansJSON();
});
document.getElementById("ship-add").addEventListener("click", function () {
  V.shipments.push({ pdesc: "", ploc: null, ddesc: "", dloc: null, colour: "green", from: "", until: "", ride: 30 });
  renderVanForm(); writeVansJSON();
});
document.getElementById("job-add").addEventListener("click", function () {
  V.jobs.push({ desc: "", loc: null, boxes: 1, from: "", until: "" });
  renderVanForm(); writeVansJSON();
});
vansForm.elements.separate.addEventListener("change", writeVansJSON);
document.getElementById("vans-example").addEventListener("click", exampleForm);

var stopMarkers = [];
function legLines(stops) {
  var legs = [];
  for (var i = 0; i + 1 < stops.length; i++) {
    (function (a, b) {
      legs.push(LL.api("GET", "/v1/route?from=" + a[0] + "," + a[1] + "&to=" + b[0] + "," + b[1]).then(function (r) {
        return r && r.geometry && r.geometry.coordinates ? r.geometry.coordinates : [a, b];
      }, function () { return [a, b]; }));
    })(stops[i], stops[i + 1]);
  }
  return Promise.all(legs);
}
function renderRouteLayers() {
  var feats = [];
  S.vanRoutes.forEach(function (r) {
    r.lines.forEach(function (line) { if (line.length > 1) feats.push({ type: "Feature", geometry: { type: "LineString", coordinates: line }, properties: { color: r.color } }); });
  });
  setData("routes", fc(feats));
  stopMarkers.forEach(function (m) { m.remove(); });
  stopMarkers = [];
  if (!map) return;
  S.vanRoutes.forEach(function (r) {
    r.stops.forEach(function (s) {
      var m = numberedMarker(s.loc, s.n, "vanstop", r.color, s.label);
      m.getElement().hidden = !S.layers.routes;
      stopMarkers.push(m);
    });
  });
}
function stepName(s) {
  if (s.type === "start") return t("step.start");
  if (s.type === "end") return t("step.end");
  return s.description || t("step." + s.type) + " " + (s.id !== undefined ? s.id : "");
}
function renderSolution(sol) {
  var out = document.getElementById("vans-result");
  clear(out);
  var sum = sol.summary || {};
  out.appendChild(el("div", { class: "card", id: "vans-summary" }, [
    el("h3", { text: t("vans.plan") }),
    table([[t("vans.routes"), sum.routes], [t("vans.unassigned"), sum.unassigned], [t("vans.travel"), t("unit.min", { n: Math.round((sum.duration || 0) / 60) })],
      [t("vans.distance"), sum.distance !== undefined ? t("unit.km", { n: (sum.distance / 1000).toFixed(1) }) : "–"], [t("vans.waiting"), t("unit.min", { n: Math.round((sum.waiting_time || 0) / 60) })]])
  ]));
  S.vanRoutes = [];
  var pending = [];
  (sol.routes || []).forEach(function (r, i) {
    var color = ROUTE_COLORS[i % ROUTE_COLORS.length];
    var steps = (r.steps || []).filter(function (s) { return s.location; });
    var locs = steps.map(function (s) { return s.location; });
    var n = 0;
    var vr = { color: color, lines: [locs], stops: steps.filter(function (s) { return s.type !== "start" && s.type !== "end"; }).map(function (s) { n++; return { loc: s.location, n: n, label: stepName(s) }; }) };
    S.vanRoutes.push(vr);
    pending.push(legLines(locs).then(function (lines) { vr.lines = lines; }));
    var ol = el("ol", { class: "steps" });
    var k = 0;
    (r.steps || []).forEach(function (s) {
      var numbered = s.type !== "start" && s.type !== "end";
      if (numbered) k++;
      ol.appendChild(el("li", { class: numbered ? "" : "depot" }, [
        el("span", { class: "stepnum", style: numbered ? "background:" + color : null, text: numbered ? String(k) : "·", "aria-hidden": "true" }),
        el("span", { class: "steptime", text: LL.clock(s.arrival), translate: "no" }), " ",
        el("span", { text: numbered ? t("step." + s.type) + ": " : "" }),
        el("span", { text: stepName(s), translate: "no" }),
        s.waiting_time ? el("span", { class: "small", text: " · " + t("vans.wait", { n: Math.round(s.waiting_time / 60) }) }) : null
      ]));
    });
    var link = r.route_list ? el("a", { href: "driver?id=" + encodeURIComponent(r.route_list), target: "_blank", class: "routelist", text: r.route_list, translate: "no" }) : null;
    out.appendChild(el("div", { class: "card routecard" }, [
      el("div", null, [el("span", { class: "swatch", style: "background:" + color }), el("b", { text: r.description || t("vans.van", { n: r.vehicle }), translate: "no" }),
        " · " + t("vans.driving", { n: Math.round((r.duration || 0) / 60) })]),
      link ? el("div", { class: "small" }, [t("vans.list") + " ", link]) : null,
      ol
    ]));
  });
  if ((sol.unassigned || []).length) {
    out.appendChild(el("div", { class: "card error" }, [el("b", { text: t("vans.notserved") }),
      el("ul", null, sol.unassigned.map(function (u) { return el("li", { text: t("step." + u.type) + " " + u.id + ": " + (u.reason || t("vans.noroom")) }); }))]));
  }
  renderRouteLayers();
  S.layers.routes = true;
  document.querySelector("[data-layer=routes]").checked = true;
  Promise.all(pending).then(renderRouteLayers);
  out.scrollIntoView({ block: "start" });
}

var currentJob = null;
vansForm.addEventListener("submit", function (e) {
  e.preventDefault();
  var body;
  try {
    body = JSON.parse(vansForm.elements.body.value);
  } catch (x) {
    showError(t("vans.title"), new Error(t("vans.badjson", { why: x.message })));
    return;
  }
  var limit = parseInt(vansForm.elements.limit.value, 10) || 5;
  var btn = document.getElementById("vans-run");
  var cancel = document.getElementById("vans-cancel");
  var bar = document.getElementById("vans-progress");
  var out = document.getElementById("vans-result");
  btn.disabled = true;
  clear(out);
  var status = el("p", { class: "muted", id: "vans-status" }, [el("span", { class: "spinner" }), el("span", { text: " " + t("vans.running", { n: limit }) })]);
  out.appendChild(status);
  function done() { btn.disabled = false; cancel.hidden = true; bar.hidden = true; currentJob = null; }
  function failed(err) {
    done();
    clear(out);
    out.appendChild(el("div", { class: "card error", role: "alert", text: LL.describe(err) }));
    showError(t("vans.failed"), err);
  }
  LL.api("POST", "/v1/optimize?async=true&time_limit=" + limit + "s", body).then(function (j) {
    currentJob = j.id;
    cancel.hidden = false;
    bar.hidden = false;
    bar.value = 0;
    function poll() {
      LL.api("GET", "/v1/jobs/" + encodeURIComponent(j.id), null, { quiet: true }).then(function (st) {
        if (cancelled[j.id]) return; // the cancel button has answered already
        if (st.state === "running") {
          var p = st.progress;
          if (p) {
            bar.value = Math.min(100, 100 * p.elapsed_s / limit);
            status.lastChild.textContent = " " + t("vans.progress", { s: p.elapsed_s.toFixed(1), vans: p.vehicles, cost: Math.round(p.cost), it: p.iteration });
          }
          setTimeout(poll, 400);
          return;
        }
        if (st.state === "done") { done(); renderSolution(st.result); }
        else if (st.state === "cancelled") { done(); clear(out); out.appendChild(el("p", { class: "muted", id: "vans-cancelled", text: t("vans.cancelled") })); }
        else failed(st.error ? new LL.ApiError(st.error.status || 422, st.error.code, st.error.message, st.error.details) : new Error(st.state));
      }, failed);
    }
    poll();
  }, failed);
});
// Cancel asks the server to stop the solve (DELETE /v1/jobs/{id}); the
// page stops polling and says so at once.
var cancelled = {};
document.getElementById("vans-cancel").addEventListener("click", function () {
  var id = currentJob;
  if (!id) return;
  LL.api("DELETE", "/v1/jobs/" + encodeURIComponent(id)).then(function () {
    cancelled[id] = true;
    document.getElementById("vans-run").disabled = false;
    document.getElementById("vans-cancel").hidden = true;
    document.getElementById("vans-progress").hidden = true;
    currentJob = null;
    var out = document.getElementById("vans-result");
    clear(out);
    out.appendChild(el("p", { class: "muted", id: "vans-cancelled", text: t("vans.cancelled") }));
  }, function (err) { showError(t("vans.cancel"), err); });
});
document.getElementById("vans-clear").addEventListener("click", function () {
  S.vanRoutes = [];
  clear(document.getElementById("vans-result"));
  renderRouteLayers();
});

// showVanRoutes draws vans' days given by another screen (shuttles.js) on
// the same layers: [{color, lines: [[lon, lat], ...][], stops: [{loc, n, label}]}].
function showVanRoutes(routes) {
  S.vanRoutes = routes || [];
  S.layers.routes = true;
  document.querySelector("[data-layer=routes]").checked = true;
  renderRouteLayers();
  applyLayerToggles();
}

// ---- roles ----

var ME = null;
function applyMe(me) {
  if (me.signedOut) { location.assign("/signin.html?next=" + encodeURIComponent(location.pathname + location.search)); return; }
  ME = me;
  LL.applyRoles(me);
  document.getElementById("whoami").textContent = me.username ? me.username + " · " + t("role." + me.role) : "";
  var sel = tabs.filter(function (b) { return b.getAttribute("aria-selected") === "true" && !b.hidden; })[0] || visibleTabs()[0];
  if (sel) showTab(sel.getAttribute("data-tab"));
}

// ---- start ----

renderDay();
renderLegend();
I18N.apply();
var mapLoaded = new Promise(function (res) {
  if (!map) { res(); return; }
  map.on("load", function () {
    setupLayers();
    S.mapReady = true;
    loadBasemap().then(res, res);
  });
});
var meLoaded = LL.me().then(applyMe, function (err) { applyMe({ username: "", role: "*" }); showError(t("err.me"), err); });
var dataLoaded = Promise.all([loadPlaces(), loadAllZones(), loadActiveZones()]);
Promise.all([mapLoaded, dataLoaded, meLoaded]).then(function () {
  renderZones();
  renderFacilities();
  applyLayerToggles();
  fit();
  exampleForm();
  document.body.setAttribute("data-ready", "true");
});

// A handle for the browser tests and the console.
window.lifeline = {
  map: map, S: S, mapErrors: [],
  setZones: function (list) { S.zonesActive = list; renderZones(); },
  applyMe: applyMe
};
window.lifeline.showVanRoutes = showVanRoutes;
