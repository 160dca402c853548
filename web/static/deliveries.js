// deliveries.js: the dispatcher's screen of medicine deliveries: the day's
// requests with their states and where they are (the reconciliation), the
// batches of the cut-offs, each van's route on the map and its progress
// from the drivers' reports; "Cut now" batches and plans at once. Refreshed
// every 15 seconds.
import * as maplibregl from "./vendor/maplibre-gl.mjs";

var el = LL.el;
var t = I18N.t;
var dateIn = document.getElementById("dl-date");
var errorBox = document.getElementById("dl-error");
var statusBox = document.getElementById("dl-status");
var COLOURS = ["#1565c0", "#2e7d32", "#6a1b9a", "#e65100", "#00838f", "#ad1457", "#4e342e", "#283593"];
var STATES = ["received", "batched", "collected", "at_pharmacy", "on_the_way_back", "at_supply_point", "delivered", "failed"];
var facilities = {};
var last = null;

LL.onBusy(function (busy) { document.getElementById("busy").hidden = !busy; });
var langSel = document.getElementById("lang");
langSel.value = I18N.lang();
langSel.addEventListener("change", function () { I18N.setLang(langSel.value); });
I18N.onChange(function () { if (last) draw(last); });
I18N.apply();
dateIn.value = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());

function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }
function fail(err) { errorBox.textContent = LL.describe(err); errorBox.hidden = false; }
function name(id) { return facilities[id] ? facilities[id].name : "#" + id; }

var map = null;
function ensureMap() {
  if (map) return Promise.resolve(map);
  try {
    map = new maplibregl.Map({ container: "dl-map", style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f3" } }] },
      center: [104.07, 30.67], zoom: 12, attributionControl: false, dragRotate: false, maxPitch: 0, fadeDuration: 0 });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
    map.addControl(new maplibregl.AttributionControl({ compact: true }), "bottom-right");
    map.on("error", function () { /* a missing tile */ });
  } catch (e) {
    map = null;
    document.getElementById("dl-map").hidden = true;
    return Promise.resolve(null);
  }
  return new Promise(function (res) {
    map.once("load", function () {
      fetch("/tiles/basemap.json").then(function (r) { return r.ok ? r.json() : null; }).then(function (tj) {
        if (!tj || !Array.isArray(tj.tiles)) return;
        var tiles = tj.tiles.map(function (u) { return /^https?:\/\//.test(u) ? u : location.origin + (u.charAt(0) === "/" ? "" : "/") + u; });
        if (tiles.some(function (u) { return new URL(u.replace(/[{}]/g, "")).host !== location.host; })) return;
        map.addSource("basemap", { type: "vector", tiles: tiles, minzoom: tj.minzoom || 0, maxzoom: tj.maxzoom || 14, attribution: tj.attribution || "© OpenStreetMap contributors" });
        map.addLayer({ id: "bm-roads", type: "line", source: "basemap", "source-layer": "roads", paint: { "line-color": "#ffffff", "line-width": 2 } }, "routes");
      }).catch(function () { /* no basemap */ });
      map.addSource("routes", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "routes", type: "line", source: "routes", layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": ["get", "colour"], "line-width": 4, "line-dasharray": ["case", ["==", ["get", "leg"], 1], ["literal", [2, 1]], ["literal", [1, 0]]] } });
      map.addSource("stops", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "stops", type: "circle", source: "stops", paint: { "circle-radius": 5, "circle-color": ["get", "colour"],
        "circle-stroke-color": "#fff", "circle-stroke-width": 1.5, "circle-opacity": ["case", ["get", "done"], 0.35, 1] } });
      map.addSource("vans", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "vans", type: "circle", source: "vans", paint: { "circle-radius": 9, "circle-color": ["get", "colour"], "circle-stroke-color": "#000", "circle-stroke-width": 2 } });
      res(map);
    });
  });
}

function drawMap(routes) {
  ensureMap().then(function (m) {
    if (!m) return;
    var lines = [], stops = [], vans = [], all = [];
    routes.forEach(function (r, i) {
      var colour = COLOURS[i % COLOURS.length];
      var pts = r.stops.filter(function (s) { return s.point; }).map(function (s) { return s.point; });
      all = all.concat(pts);
      if (pts.length > 1) lines.push({ type: "Feature", geometry: { type: "LineString", coordinates: pts }, properties: { colour: colour, leg: r.leg } });
      r.stops.forEach(function (s) {
        if (s.point && s.kind !== "start" && s.kind !== "end") stops.push({ type: "Feature", geometry: { type: "Point", coordinates: s.point }, properties: { colour: colour, done: s.status === "done" } });
      });
      if (r.position) vans.push({ type: "Feature", geometry: { type: "Point", coordinates: r.position }, properties: { colour: colour } });
    });
    m.getSource("routes").setData({ type: "FeatureCollection", features: lines });
    m.getSource("stops").setData({ type: "FeatureCollection", features: stops });
    m.getSource("vans").setData({ type: "FeatureCollection", features: vans });
    if (all.length && !m._fitted) {
      var b = all.reduce(function (a, p) { return [Math.min(a[0], p[0]), Math.min(a[1], p[1]), Math.max(a[2], p[0]), Math.max(a[3], p[1])]; }, [Infinity, Infinity, -Infinity, -Infinity]);
      m.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30, maxZoom: 15, animate: false });
      m._fitted = true;
    }
  });
}

function draw(d) {
  var rc = d.recon, counts = document.getElementById("dl-counts");
  clear(counts);
  counts.appendChild(el("div", { class: "dl-count in" }, [el("b", { text: String(rc.in) }), " " + t("dl.in")]));
  STATES.forEach(function (s) {
    counts.appendChild(el("div", { class: "dl-count state-" + s }, [el("b", { text: String(rc.by_state[s] || 0) }), " " + t("dl.state." + s)]));
  });
  if (rc.carried) counts.appendChild(el("div", { class: "dl-count carried", id: "dl-carried" }, [el("b", { text: String(rc.carried) }), " " + t("dl.carriedcount")]));
  if (rc.carried_in) counts.appendChild(el("div", { class: "dl-count carried-in" }, [el("b", { text: String(rc.carried_in) }), " " + t("dl.carriedin")]));
  counts.appendChild(el("div", { class: "dl-count " + (rc.balanced ? "ok" : "bad"), id: "dl-balanced" },
    rc.balanced ? t("dl.balanced", { out: rc.out, open: rc.open }) : t("dl.unbalanced", { n: rc.problems.length })));

  var vans = document.getElementById("dl-vans");
  clear(vans);
  d.routes.forEach(function (r, i) {
    var lastRep = r.last_report ? t("dl.status." + r.last_report.status) + " · " + t("dl.stopn", { n: r.last_report.seq }) + (r.last_report.reason ? ": " + r.last_report.reason : "") : "";
    vans.appendChild(el("tr", { class: "dl-van" }, [
      el("td", {}, [el("span", { class: "swatch", style: "background:" + COLOURS[i % COLOURS.length] }), " " + String(r.van)]),
      el("td", { text: t("dl.leg" + r.leg) }),
      el("td", {}, el("a", { href: "driver?id=" + r.route_list, translate: "no", text: r.route_list })),
      el("td", { text: r.driver || "" }),
      el("td", {}, [el("progress", { max: String(r.total), value: String(r.done + r.failed) }), " " + t("dl.done", { done: r.done, total: r.total, failed: r.failed })]),
      el("td", { text: lastRep })
    ]));
  });
  if (!d.routes.length) vans.appendChild(el("tr", {}, el("td", { colspan: "6", class: "muted", text: t("dl.noroutes") })));

  var batches = document.getElementById("dl-batches");
  clear(batches);
  d.batches.forEach(function (b) {
    var legs = (b.stops || []).map(function (s) { return s.leg; });
    var plan = b.carried && b.carried.length ? t("dl.carried", { n: b.carried.length, why: b.unplanned })
      : b.unplanned && legs.indexOf(1) >= 0 && legs.indexOf(2) < 0 ? t("dl.leg2wait", { why: b.unplanned })
      : b.unplanned ? b.unplanned : legs.length ? t("dl.planned", { n: legs.length }) : t("dl.notplanned");
    batches.appendChild(el("tr", { class: b.unplanned ? "dl-unplanned" : "" }, [
      el("td", { text: String(b.id) + (b.urgent ? " ⚑" : "") }),
      el("td", { text: b.cut }),
      el("td", { text: name(b.supply_point_id) }),
      el("td", { text: name(b.pharmacy_id) }),
      el("td", { text: String(b.requests.length) }),
      el("td", { text: plan })
    ]));
  });
  if (!d.batches.length) batches.appendChild(el("tr", {}, el("td", { colspan: "6", class: "muted", text: t("dl.nobatches") })));

  var where = {};
  rc.requests.forEach(function (w) { where[w.id] = w; });
  var reqs = document.getElementById("dl-requests");
  clear(reqs);
  d.requests.forEach(function (r) {
    var w = where[r.id] || {};
    reqs.appendChild(el("tr", { class: "dl-request state-" + r.state }, [
      el("td", { text: String(r.id) + (r.duplicate_of ? " (" + t("dl.dup", { id: r.duplicate_of }) + ")" : "") }),
      el("td", { translate: "no", text: r.name + " · " + r.building + "-" + r.flat }),
      el("td", { text: r.items.map(function (it) { return it.name + " ×" + it.quantity; }).join(", ") }),
      el("td", { text: t("dl.urgency." + r.urgency) }),
      el("td", { class: "dl-state", text: t("dl.state." + r.state) }),
      el("td", { text: (w.place || "") + (w.carried ? " (" + t("dl.carriedn", { n: w.carried }) + ")" : "") + (r.reason || w.reason ? ": " + (r.reason || w.reason) : "") })
    ]));
  });
  drawMap(d.routes);
}

function load() {
  errorBox.hidden = true;
  var q = "?date=" + encodeURIComponent(dateIn.value);
  return Promise.all([
    LL.api("GET", "/v1/deliveries/reconciliation" + q),
    LL.api("GET", "/v1/deliveries/batches" + q),
    LL.api("GET", "/v1/deliveries/routes" + q),
    LL.api("GET", "/v1/deliveries/requests" + q)
  ]).then(function (rs) {
    last = { recon: rs[0], batches: rs[1].batches, routes: rs[2].routes, requests: rs[3].requests };
    draw(last);
  }, fail);
}

document.getElementById("dl-day").addEventListener("submit", function (e) { e.preventDefault(); load(); });
document.getElementById("dl-cut").addEventListener("click", function () {
  var btn = this;
  btn.disabled = true;
  statusBox.textContent = t("dl.cutting");
  LL.api("POST", "/v1/deliveries/batches?time_limit=5s", { date: dateIn.value }).then(function (r) {
    statusBox.textContent = t("dl.cutdone", { batches: r.batches.length, requests: r.requests, unplanned: r.unplanned.length, vans: r.vans_used }) +
      (r.carried || (r.leg2_carried || []).length ? t("dl.cutcarried", { carried: r.carried || 0, resumed: (r.leg2_carried || []).length }) : "");
    return load();
  }, function (err) { statusBox.textContent = ""; fail(err); }).finally(function () { btn.disabled = false; });
});

LL.api("GET", "/v1/facilities", null, { quiet: true }).then(function (r) {
  (r.facilities || []).forEach(function (f) { facilities[f.id] = f; });
}).finally(load);
setInterval(function () { if (!document.hidden) load(); }, 15000);
