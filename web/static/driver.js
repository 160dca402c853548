// driver.js: the driver's phone page for GET /v1/route-lists/{code}: the
// route on a map, the stops in order with their place names, planned
// arrival, waits and time windows, a geo: navigation link per stop, big
// buttons, and a print view. Reports on a stop (arrived, done, failed with
// a reason) go to the server; made without a connection they wait in an
// outbox in localStorage and are sent when the phone is back online (the
// server takes a repeated report as the same one).
import * as maplibregl from "./vendor/maplibre-gl.mjs";

var el = LL.el;
var t = I18N.t;
var form = document.getElementById("lookup");
var input = document.getElementById("list-id");
var errorBox = document.getElementById("error");
var summary = document.getElementById("summary");
var list = document.getElementById("stops");
var mapDiv = document.getElementById("drivermap");
var current = null; // {id, r}

LL.onBusy(function (busy) { document.getElementById("busy").hidden = !busy; });
var langSel = document.getElementById("lang");
langSel.value = I18N.lang();
langSel.addEventListener("change", function () { I18N.setLang(langSel.value); });
I18N.onChange(function () { if (current) render(current.id, current.r); });
I18N.apply();
document.getElementById("print").addEventListener("click", function () { window.print(); });

function pick(o, names) {
  for (var i = 0; i < names.length; i++) if (o && o[names[i]] !== undefined && o[names[i]] !== null && o[names[i]] !== "") return o[names[i]];
  return undefined;
}

// clock shows a time: numbers are seconds after midnight (the plan's clock),
// strings RFC 3339 instants shown in the district's zone.
function clock(v) {
  if (v === undefined || v === null || v === "") return "";
  if (typeof v === "number") return LL.clock(v);
  var d = new Date(v);
  if (isNaN(d.getTime())) return String(v);
  return I18N.formatTime(d);
}
function windowText(w) {
  if (!w) return "";
  if (Array.isArray(w) && w.length && Array.isArray(w[0])) return w.map(windowText).filter(Boolean).join(", ");
  if (Array.isArray(w) && w.length === 2) return clock(w[0]) + "–" + clock(w[1]);
  var a = pick(w, ["start", "from", "earliest", "open"]), b = pick(w, ["end", "until", "latest", "close"]);
  return a !== undefined || b !== undefined ? clock(a) + "–" + clock(b) : "";
}
function pointOf(s) {
  var p = pick(s, ["point", "location", "position", "coordinates"]);
  if (Array.isArray(p) && p.length >= 2) return [Number(p[0]), Number(p[1])];
  if (p && typeof p === "object" && p.lon !== undefined) return [Number(p.lon), Number(p.lat)];
  return null;
}
function stopsOf(r) {
  if (Array.isArray(r)) return r;
  if (!r || typeof r !== "object") return [];
  if (r.type === "FeatureCollection" && Array.isArray(r.features)) {
    return r.features.map(function (f) {
      var s = Object.assign({}, f.properties || {});
      if (f.geometry && f.geometry.type === "Point" && !s.point) s.point = f.geometry.coordinates;
      return s;
    });
  }
  if (Array.isArray(r.stops)) return r.stops;
  if (r.route_list) return stopsOf(r.route_list);
  if (r.route) return stopsOf(r.route);
  return [];
}

// The outbox: reports not yet acknowledged by the server, oldest first, at
// most one per stop (the latest).
var OUTBOX = "lifeline.outbox";
function loadOutbox() {
  try { var q = JSON.parse(localStorage.getItem(OUTBOX) || "[]"); return Array.isArray(q) ? q : []; } catch (e) { return []; }
}
function saveOutbox(q) {
  try { localStorage.setItem(OUTBOX, JSON.stringify(q)); } catch (e) { /* private mode: reports are sent at once or lost */ }
}
function pendingFor(id, seq) {
  var q = loadOutbox();
  for (var i = q.length - 1; i >= 0; i--) if (q[i].id === id && q[i].seq === seq) return q[i];
  return null;
}
function report(id, seq, status, reason) {
  var q = loadOutbox().filter(function (x) { return !(x.id === id && x.seq === seq); });
  q.push({ id: id, seq: seq, status: status, reason: reason || "" });
  saveOutbox(q);
  showOutbox();
  flush();
}
var flushing = false;
function flush() {
  var q = loadOutbox();
  showOutbox();
  if (flushing || !q.length) return;
  flushing = true;
  var r = q[0];
  var body = { status: r.status };
  if (r.reason) body.reason = r.reason;
  LL.api("PUT", "/v1/route-lists/" + encodeURIComponent(r.id) + "/stops/" + r.seq + "/status", body, { quiet: true }).then(function (res) {
    drop(r);
    flushing = false;
    if (current && current.id === r.id && res && Array.isArray(res.stops)) {
      current.r = res;
      render(current.id, current.r, true);
    }
    flush();
  }, function (err) {
    flushing = false;
    if (!err || !err.status || err.status >= 500 || err.status === 408 || err.status === 429) { showOutbox(); return; } // offline or busy: kept, sent later
    drop(r); // refused: say why, do not send it again
    errorBox.textContent = LL.describe(err);
    errorBox.hidden = false;
    flush();
  });
}
function drop(r) {
  saveOutbox(loadOutbox().filter(function (x) { return !(x.id === r.id && x.seq === r.seq && x.status === r.status && x.reason === r.reason); }));
}
function showOutbox() {
  var n = loadOutbox().length, box = document.getElementById("outbox");
  if (!box) return;
  box.hidden = n === 0;
  box.textContent = n ? t("driver.outbox", { n: n }) : "";
}
window.addEventListener("online", flush);
setInterval(flush, 15000);

// kindText says what the driver does at a stop.
function kindText(kind) {
  switch (kind) {
    case "start": return t("stop.start");
    case "end": return t("stop.end");
    case "pickup": return t("stop.pickup");
    case "delivery": case "job": return t("stop.delivery");
    case "break": return t("stop.break");
  }
  return kind || t("stop.stop");
}

// geoLink is an RFC 5870 geo: URI that phones open in their map app.
function geoLink(p, name) {
  var lat = p[1].toFixed(6), lon = p[0].toFixed(6);
  return "geo:" + lat + "," + lon + "?q=" + lat + "," + lon + (name ? "(" + encodeURIComponent(name) + ")" : "");
}

var map = null, markers = [];
function drawMap(stops) {
  var pts = stops.map(pointOf).filter(Boolean);
  if (!pts.length) { mapDiv.hidden = true; return; }
  mapDiv.hidden = false;
  if (!map) {
    try {
      map = new maplibregl.Map({
        container: mapDiv,
        style: { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f3" } }] },
        center: pts[0], zoom: 13, attributionControl: false, dragRotate: false, pitchWithRotate: false, maxPitch: 0,
        locale: I18N.mapLocale(), fadeDuration: 0, cooperativeGestures: false
      });
      map.touchZoomRotate.disableRotation();
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
      map.addControl(new maplibregl.AttributionControl({ compact: true }), "bottom-right");
      map.on("error", function () { /* a missing basemap tile is not the driver's problem */ });
    } catch (e) {
      map = null;
      mapDiv.hidden = true;
      return;
    }
  }
  var ready = map.loaded() ? Promise.resolve() : new Promise(function (res) { map.once("load", res); });
  ready.then(function () {
    if (!map.getSource("route")) {
      addBasemap();
      map.addSource("route", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "route-casing", type: "line", source: "route", layout: { "line-join": "round", "line-cap": "round" }, paint: { "line-color": "#fff", "line-width": 8 } });
      map.addLayer({ id: "route-line", type: "line", source: "route", layout: { "line-join": "round", "line-cap": "round" }, paint: { "line-color": "#1565c0", "line-width": 5 } });
    }
    map.getSource("route").setData({ type: "FeatureCollection", features: [{ type: "Feature", geometry: { type: "LineString", coordinates: pts }, properties: {} }] });
    legs(pts).then(function (lines) {
      var coords = [];
      lines.forEach(function (l) { coords = coords.concat(l); });
      if (map.getSource("route")) map.getSource("route").setData({ type: "FeatureCollection", features: [{ type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: {} }] });
      fitTo(coords.concat(pts));
    });
    markers.forEach(function (m) { m.remove(); });
    markers = [];
    var n = 0;
    stops.forEach(function (s, i) {
      var p = pointOf(s);
      if (!p) return;
      var k = String(pick(s, ["kind", "type"]) || "");
      var label = k === "start" || k === "end" ? "◆" : String(++n);
      var e = el("div", { class: "nummark vanstop " + k, "aria-hidden": "true", translate: "no" }, label);
      markers.push(new maplibregl.Marker({ element: e }).setLngLat(p).addTo(map));
      void i;
    });
    map.resize();
    fitTo(pts);
  });
}
function fitTo(pts) {
  var b = pts.reduce(function (a, p) { return [Math.min(a[0], p[0]), Math.min(a[1], p[1]), Math.max(a[2], p[0]), Math.max(a[3], p[1])]; }, [Infinity, Infinity, -Infinity, -Infinity]);
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: { top: 30, bottom: 40, left: 56, right: 30 }, maxZoom: 16, animate: false });
}
function addBasemap() {
  fetch("/tiles/basemap.json").then(function (r) {
    return r.ok && /json/.test(r.headers.get("Content-Type") || "") ? r.json() : null;
  }).then(function (tj) {
    if (!tj || !Array.isArray(tj.tiles) || !tj.tiles.length) return;
    // Keep the {z}/{x}/{y} template as it is (URL() would escape the braces);
    // a relative template is made absolute, and another host is never asked.
    var tiles = tj.tiles.map(function (u) { return /^https?:\/\//.test(u) ? u : location.origin + (u.charAt(0) === "/" ? "" : "/") + u; });
    if (tiles.some(function (u) { return new URL(u.replace(/[{}]/g, "")).host !== location.host; })) return; // never another host
    map.addSource("basemap", { type: "vector", tiles: tiles, minzoom: tj.minzoom || 0, maxzoom: tj.maxzoom || 14, bounds: tj.bounds,
      attribution: tj.attribution || "© OpenStreetMap contributors" });
    map.addLayer({ id: "bm-water", type: "fill", source: "basemap", "source-layer": "water", paint: { "fill-color": "#aad3ee" } }, "route-casing");
    map.addLayer({ id: "bm-roads", type: "line", source: "basemap", "source-layer": "roads", paint: { "line-color": "#ffffff",
      "line-width": ["match", ["get", "class"], ["motorway", "trunk", "primary"], 5, ["secondary", "tertiary"], 3.5, 2] } }, "route-casing");
    // street names in the browser's own fonts (no glyph server)
    map.addLayer({ id: "bm-road-names", type: "symbol", source: "basemap", "source-layer": "roads", minzoom: 14, filter: ["has", "name"],
      layout: { "text-field": I18N.lang() === "zh" ? ["get", "name"] : ["coalesce", ["get", "name_en"], ["get", "name"]],
        "symbol-placement": "line", "text-size": 13, "text-font": ["sans-serif"] },
      paint: { "text-color": "#263238", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } });
  }).catch(function () { /* no basemap */ });
}
function legs(pts) {
  var out = [];
  for (var i = 0; i + 1 < pts.length; i++) {
    (function (a, b) {
      out.push(LL.api("GET", "/v1/route?from=" + a[0] + "," + a[1] + "&to=" + b[0] + "," + b[1], null, { quiet: true }).then(function (r) {
        return r && r.geometry && r.geometry.coordinates ? r.geometry.coordinates : [a, b];
      }, function () { return [a, b]; }));
    })(pts[i], pts[i + 1]);
  }
  return Promise.all(out);
}

// render shows list r; keepMap leaves the map as drawn (a report changed
// only a stop's state).
function render(id, r, keepMap) {
  list.textContent = "";
  var stops = stopsOf(r);
  var meta = r && !Array.isArray(r) ? r : {};
  clear(summary);
  var vehicle = pick(meta, ["vehicle_name", "vehicle"]);
  summary.appendChild(el("h2", { class: "listtitle" }, [t("driver.list", { id: "" }), el("span", { translate: "no", text: id })]));
  var facts = [];
  if (vehicle !== undefined) facts.push(t("driver.vehicle", { v: String(vehicle) }));
  var created = pick(meta, ["created_at", "date"]);
  if (created) facts.push(t("driver.planned", { when: I18N.formatDateTime(created) }));
  var n = stops.filter(function (s) { var k = pick(s, ["kind", "type"]); return k !== "start" && k !== "end"; }).length;
  facts.push(t("driver.stops", { n: n }));
  if (typeof meta.duration_s === "number") facts.push(t("driver.driving", { n: Math.round(meta.duration_s / 60) }));
  if (typeof meta.distance_m === "number") facts.push(t("unit.km", { n: (meta.distance_m / 1000).toFixed(1) }));
  summary.appendChild(el("p", { class: "muted", text: facts.join(" · ") }));
  document.getElementById("list-actions").hidden = false;
  if (!stops.length) {
    list.appendChild(el("li", { class: "muted", text: t("driver.nostops") }));
    mapDiv.hidden = true;
    return;
  }
  var k = 0;
  stops.forEach(function (s, i) {
    var key = String(pick(s, ["seq", "id"]) !== undefined ? pick(s, ["seq", "id"]) : i);
    var kind = String(pick(s, ["kind", "type", "action"]) || "");
    var isEnd = kind === "start" || kind === "end";
    if (!isEnd) k++;
    var name = pick(s, ["name", "description", "label", "title", "address", "place"]);
    var p = pointOf(s);
    var title = name || (isEnd ? t("stop.depot") : kindText(kind));
    var facts = [];
    var eta = pick(s, ["arrival", "eta", "arrive_at"]);
    if (eta !== undefined) facts.push(el("span", { class: "fact eta" }, [t("driver.arrive") + " ", el("b", { text: clock(eta), translate: "no" })]));
    var win = windowText(pick(s, ["time_windows", "time_window", "window"]));
    if (win) facts.push(el("span", { class: "fact" }, [t("driver.window") + " ", el("b", { text: win, translate: "no" })]));
    var wait = pick(s, ["waiting_s", "waiting_time", "waiting"]);
    if (typeof wait === "number" && wait > 0) facts.push(el("span", { class: "fact wait" }, t("driver.wait", { n: Math.round(wait / 60) })));
    var service = pick(s, ["service_s", "service"]);
    if (typeof service === "number" && service > 0 && !isEnd) facts.push(el("span", { class: "fact" }, t("driver.service", { n: Math.round(service / 60) })));
    var items = pick(s, ["items", "amount", "quantity"]);
    if (Array.isArray(items) && items.some(function (q) { return q; })) {
      var up = items.some(function (q) { return q > 0; }), down = items.some(function (q) { return q < 0; });
      var boxes = Math.abs(items[0] || 0), people = Math.abs(items[1] || 0);
      // medicine deliveries (plain lists) count boxes and millilitres, shuttles seats
      var second = people ? (meta.plain ? t("driver.litres", { n: (people / 1000).toFixed(1) }) : t("driver.people", { n: people })) : null;
      var what = [boxes ? t("driver.boxes", { n: boxes }) : null, second].filter(Boolean).join(", ");
      facts.push(el("span", { class: "fact" }, (up && !down ? t("driver.load") : down && !up ? t("driver.handover") : t("driver.items")) + " " + what));
    }
    var zone = pick(s, ["zone", "zone_kind"]);
    var zoneKind = zone && typeof zone === "object" ? zone.kind : zone;
    var seq = Number(pick(s, ["seq"]) || i + 1);
    var pend = pendingFor(id, seq);
    var status = pend ? pend.status : s.status || "";
    var reasonText = pend ? pend.reason : s.reason || "";
    var isDone = status === "done";
    var btn = el("button", { type: "button", class: "big donebtn", "aria-pressed": isDone ? "true" : "false" }, isDone ? t("driver.undo") : t("driver.done"));
    var arrived = el("button", { type: "button", class: "big arrivedbtn", "aria-pressed": status === "arrived" ? "true" : "false" }, t("driver.arrived"));
    var failed = el("button", { type: "button", class: "big failbtn", "aria-pressed": status === "failed" ? "true" : "false" }, t("driver.failed"));
    var reason = el("input", { type: "text", class: "reason", maxlength: "200", value: reasonText, "aria-label": t("driver.reason"), placeholder: t("driver.reason") });
    var sendFail = el("button", { type: "button", class: "big sendfail" }, t("driver.sendfail"));
    var failForm = el("div", { class: "failform noprint", hidden: status === "failed" ? null : "" }, [reason, sendFail]);
    var state = el("div", { class: "reportstate", role: "status", text: status ? t("driver.status." + status) + (status === "failed" && reasonText ? ": " + reasonText : "") + (pend ? " · " + t("driver.queued") : "") : "" });
    var li = el("li", { class: "stop " + kind + (isDone ? " done" : "") + (status === "failed" ? " failed" : "") }, [
      el("div", { class: "seq", "aria-hidden": "true", text: isEnd ? "◆" : String(k) }),
      el("div", { class: "body" }, [
        el("div", { class: "kind", text: kindText(kind) + (isEnd ? "" : " · " + t("driver.stopn", { n: k })) }),
        el("div", { class: "title", text: String(title), translate: name ? "no" : null }),
        el("div", { class: "facts" }, facts),
        zoneKind === "sealed" || zoneKind === "controlled" ? el("div", { class: "zonewarn", text: t("driver.zonewarn", { kind: t("kind." + zoneKind) }) }) : null,
        isEnd ? null : state,
        el("div", { class: "actions noprint" }, [
          p ? el("a", { class: "button big nav", href: geoLink(p, name), text: t("driver.navigate") }) : null,
          isEnd ? null : arrived,
          isEnd ? null : btn,
          isEnd ? null : failed
        ]),
        isEnd ? null : failForm,
        p ? el("div", { class: "small printonly", translate: "no", text: p[1].toFixed(5) + ", " + p[0].toFixed(5) }) : null
      ])
    ]);
    var again = function () { if (current) render(current.id, current.r, true); };
    btn.addEventListener("click", function () {
      report(id, seq, btn.getAttribute("aria-pressed") === "true" ? "pending" : "done", "");
      again();
    });
    arrived.addEventListener("click", function () { report(id, seq, "arrived", ""); again(); });
    failed.addEventListener("click", function () { failForm.hidden = !failForm.hidden; if (!failForm.hidden) reason.focus(); });
    sendFail.addEventListener("click", function () {
      var why = reason.value.trim();
      if (!why) { reason.focus(); reason.setAttribute("aria-invalid", "true"); return; }
      report(id, seq, "failed", why);
      again();
    });
    list.appendChild(li);
  });
  if (!keepMap) drawMap(stops);
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

function open(id) {
  id = String(id).trim();
  if (!id) return;
  errorBox.hidden = true;
  clear(summary);
  list.textContent = "";
  current = null;
  LL.api("GET", "/v1/route-lists/" + encodeURIComponent(id)).then(function (r) {
    current = { id: id, r: r };
    render(id, r);
  }, function (err) {
    // The server's own message, word for word (e.g. no such code).
    errorBox.textContent = LL.describe(err);
    errorBox.hidden = false;
    mapDiv.hidden = true;
    document.getElementById("list-actions").hidden = true;
  });
}

form.addEventListener("submit", function (e) {
  e.preventDefault();
  var id = input.value.trim();
  if (!id) return;
  try { history.replaceState(null, "", "?id=" + encodeURIComponent(id)); } catch (x) { /* file: URLs */ }
  open(id);
});

// A share link (/driver.html#share=TOKEN) opens one list without an
// account; the token stays in the fragment, which browsers never send.
var share = /(?:^#|&)share=([A-Za-z0-9_-]+)/.exec(location.hash);
var q = new URLSearchParams(location.search).get("id");
if (share) {
  LL.api("GET", "/v1/route-lists/shared", null, { headers: { "X-Share-Token": share[1] } }).then(function (r) {
    current = { id: r.id, r: r };
    render(r.id, r);
  }, function (err) {
    errorBox.textContent = LL.describe(err);
    errorBox.hidden = false;
  });
} else if (q) {
  input.value = q;
  open(q);
} else {
  // a signed-in driver: open the newest list assigned to them (servers
  // without accounts have no such list: nothing to open)
  LL.api("GET", "/v1/route-lists", null, { quiet: true }).then(function (r) {
    var ls = r && r.route_lists;
    if (ls && ls.length) { input.value = ls[ls.length - 1].id; open(ls[ls.length - 1].id); }
  }, function () { /* no list for this phone: the driver types the code */ });
}
