// app.js: the planner map. Draws zones, compounds, facilities and planned
// sampling sites on SVG with an equirectangular projection around the data,
// with pan (drag), zoom (wheel, buttons) and click look-ups. No libraries.
"use strict";

(function () {
  var el = LL.el;
  var SVGNS = "http://www.w3.org/2000/svg";
  var M_PER_DEG = 111319.49; // metres per degree of latitude (and of longitude at the equator)

  var KIND_RANK = { sealed: 3, controlled: 2, prevention: 1 };
  var FACILITY_LABEL = {
    hospital: "hospital",
    pharmacy: "pharmacy",
    health_centre: "health centre",
    supply_point: "supply point",
    depot: "depot",
    candidate_site: "candidate site"
  };

  var S = {
    asOf: new Date(),
    zonesActive: [], // GeoJSON features of zones active at asOf
    zonesAll: [], // every zone, for the list and history
    compounds: [],
    facilities: [],
    streets: [], // optional GeoJSON street lines (GET /v1/streets?format=geojson, when the server has it)
    plan: null, // FeatureCollection of the last site plan
    vanRoutes: [], // [{color, lines: [[[lon, lat], ...], ...], stops: [[lon, lat], ...]}] of the last optimization
    origin: null, // {lon, lat, cos}
    view: { cx: 0, cy: 0, k: 0.25 }, // world centre (m) and pixels per metre
    draw: null, // [[lon, lat], ...] while drawing a zone
    pendingRing: null, // finished drawing, waiting for the form
    pin: null, // [lon, lat] of the last look-up
    layers: { zones: true, compounds: true, facilities: true, labels: true, sites: true, streets: true, routes: true },
    fitted: false
  };

  var svg = document.getElementById("map");
  var gWorld = svgEl("g");
  var gStreets = svgEl("g", { class: "streets" });
  var gZones = svgEl("g", { class: "zones" });
  var gCompounds = svgEl("g", { class: "compounds" });
  var gPlanLines = svgEl("g", { class: "planlines" });
  var gDraw = svgEl("g", { class: "drawing" });
  var gMarks = svgEl("g", { class: "marks" });
  gWorld.appendChild(gStreets);
  gWorld.appendChild(gZones);
  gWorld.appendChild(gCompounds);
  gWorld.appendChild(gPlanLines);
  svg.appendChild(gWorld);
  svg.appendChild(gDraw);
  svg.appendChild(gMarks);

  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    return e;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // ---- toast and busy indicator ----

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

  // ---- geometry ----

  function setOrigin(lon, lat) {
    S.origin = { lon: lon, lat: lat, cos: Math.cos(lat * Math.PI / 180) };
  }

  // project maps [lon, lat] to world metres (x east, y down the screen).
  function project(p) {
    return [(p[0] - S.origin.lon) * S.origin.cos * M_PER_DEG, -(p[1] - S.origin.lat) * M_PER_DEG];
  }
  function unproject(x, y) {
    return [x / (S.origin.cos * M_PER_DEG) + S.origin.lon, -y / M_PER_DEG + S.origin.lat];
  }
  function size() {
    var r = svg.getBoundingClientRect();
    return { w: r.width || 800, h: r.height || 600 };
  }
  function toScreen(p) {
    var w = project(p), sz = size();
    return [(w[0] - S.view.cx) * S.view.k + sz.w / 2, (w[1] - S.view.cy) * S.view.k + sz.h / 2];
  }
  function fromScreen(sx, sy) {
    var sz = size();
    return unproject((sx - sz.w / 2) / S.view.k + S.view.cx, (sy - sz.h / 2) / S.view.k + S.view.cy);
  }

  // polygonsOf returns the polygons (arrays of rings) of a GeoJSON geometry.
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

  function ringPath(ring, close) {
    var d = "";
    for (var i = 0; i < ring.length; i++) {
      var w = project(ring[i]);
      d += (i === 0 ? "M" : "L") + w[0].toFixed(1) + " " + w[1].toFixed(1);
    }
    return close ? d + "Z" : d;
  }

  function geometryPath(g) {
    if (!g) return "";
    switch (g.type) {
      case "Polygon":
      case "MultiPolygon":
        return polygonsOf(g).map(function (poly) { return poly.map(function (r) { return ringPath(r, true); }).join(""); }).join("");
      case "LineString":
        return ringPath(g.coordinates, false);
      case "MultiLineString":
        return g.coordinates.map(function (l) { return ringPath(l, false); }).join("");
      case "GeometryCollection":
        return (g.geometries || []).map(geometryPath).join("");
    }
    return "";
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

  // ---- data access ----

  function props(f) { return (f && f.properties) || {}; }
  function fid(f) {
    var p = props(f);
    return p.id !== undefined ? p.id : f.id;
  }
  function features(fc) {
    if (!fc) return [];
    if (Array.isArray(fc)) return fc;
    if (fc.type === "FeatureCollection" && Array.isArray(fc.features)) return fc.features;
    return [];
  }
  function mentionsOSM(fc) {
    if (!fc) return false;
    var re = /openstreetmap|\bosm\b/i;
    if (typeof fc.attribution === "string" && re.test(fc.attribution)) return true;
    return features(fc).some(function (f) {
      var p = props(f);
      return (typeof p.source === "string" && re.test(p.source)) || (typeof p.attribution === "string" && re.test(p.attribution));
    });
  }
  var osmSources = {};
  function noteAttribution(name, fc) {
    osmSources[name] = mentionsOSM(fc);
    var any = false;
    for (var k in osmSources) if (osmSources[k]) any = true;
    document.getElementById("attribution").hidden = !any;
  }

  function asOfParam() { return encodeURIComponent(LL.rfc3339(S.asOf)); }

  function loadActiveZones() {
    return LL.api("GET", "/v1/zones?active_at=" + asOfParam() + "&format=geojson").then(function (fc) {
      S.zonesActive = features(fc);
      noteAttribution("zones", fc);
      render();
    }, function (err) { showError("Could not load the zone map", err); });
  }
  function loadAllZones() {
    return LL.api("GET", "/v1/zones?format=geojson").then(function (fc) {
      S.zonesAll = features(fc);
      renderZoneList();
    }, function (err) { showError("Could not load the list of zones", err); });
  }
  function loadPlaces() {
    var a = LL.api("GET", "/v1/compounds?format=geojson").then(function (fc) {
      S.compounds = features(fc);
      noteAttribution("compounds", fc);
    }, function (err) { showError("Could not load compounds", err); });
    var b = LL.api("GET", "/v1/facilities?format=geojson").then(function (fc) {
      S.facilities = features(fc);
      noteAttribution("facilities", fc);
    }, function (err) { showError("Could not load facilities", err); });
    // Streets are optional: no endpoint is planned, so a 404 is silent.
    var c = LL.api("GET", "/v1/streets?format=geojson").then(function (fc) {
      S.streets = features(fc);
      noteAttribution("streets", fc);
      document.getElementById("streets-layer").hidden = S.streets.length === 0;
    }, function (err) {
      if (!(err instanceof LL.ApiError) || (err.status !== 404 && err.status !== 405)) showError("Could not load streets", err);
    });
    return Promise.all([a, b, c]);
  }
  function reloadZones() { return Promise.all([loadActiveZones(), loadAllZones()]); }

  // ---- view ----

  function dataBounds() {
    var minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
    function add(p) {
      if (!p || p.length < 2 || !isFinite(p[0]) || !isFinite(p[1])) return;
      if (p[0] < minx) minx = p[0];
      if (p[0] > maxx) maxx = p[0];
      if (p[1] < miny) miny = p[1];
      if (p[1] > maxy) maxy = p[1];
    }
    function addGeom(g) {
      if (!g) return;
      if (g.type === "Point") add(g.coordinates);
      polygonsOf(g).forEach(function (poly) { (poly[0] || []).forEach(add); });
    }
    S.compounds.forEach(function (f) { addGeom(f.geometry); });
    S.facilities.forEach(function (f) { addGeom(f.geometry); });
    (S.zonesAll.length ? S.zonesAll : S.zonesActive).forEach(function (f) { addGeom(f.geometry); });
    if (minx === Infinity) return null;
    return [minx, miny, maxx, maxy];
  }

  function fit() {
    var b = dataBounds();
    if (!b) {
      if (!S.origin) setOrigin(104.07, 30.65);
      return;
    }
    if (!S.origin) setOrigin((b[0] + b[2]) / 2, (b[1] + b[3]) / 2);
    var p0 = project([b[0], b[3]]), p1 = project([b[2], b[1]]);
    var sz = size();
    var wm = Math.max(p1[0] - p0[0], 50), hm = Math.max(p1[1] - p0[1], 50);
    S.view.cx = (p0[0] + p1[0]) / 2;
    S.view.cy = (p0[1] + p1[1]) / 2;
    S.view.k = Math.min((sz.w - 40) / wm, (sz.h - 40) / hm);
    S.fitted = true;
    render();
  }

  function zoomAt(factor, sx, sy) {
    var sz = size();
    if (sx === undefined) { sx = sz.w / 2; sy = sz.h / 2; }
    var k = Math.max(0.005, Math.min(50, S.view.k * factor));
    // keep the world point under (sx, sy) fixed
    var wx = (sx - sz.w / 2) / S.view.k + S.view.cx, wy = (sy - sz.h / 2) / S.view.k + S.view.cy;
    S.view.k = k;
    S.view.cx = wx - (sx - sz.w / 2) / k;
    S.view.cy = wy - (sy - sz.h / 2) / k;
    renderView();
  }

  // ---- rendering ----

  var rafPending = false;
  function renderView() {
    if (rafPending) return;
    rafPending = true;
    requestAnimationFrame(function () {
      rafPending = false;
      applyTransform();
      renderMarks();
    });
  }

  function applyTransform() {
    var sz = size();
    var tx = sz.w / 2 - S.view.cx * S.view.k, ty = sz.h / 2 - S.view.cy * S.view.k;
    gWorld.setAttribute("transform", "translate(" + tx.toFixed(2) + " " + ty.toFixed(2) + ") scale(" + S.view.k + ")");
    renderScale();
  }

  function renderScale() {
    // a bar of a round number of metres about 100 px long
    var target = 100 / S.view.k, steps = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
    var m = steps[0];
    for (var i = 0; i < steps.length; i++) if (steps[i] <= target) m = steps[i];
    var px = m * S.view.k;
    var s = document.getElementById("scale");
    s.style.width = px.toFixed(0) + "px";
    s.textContent = m >= 1000 ? m / 1000 + " km" : m + " m";
  }

  function strictestAt(p) {
    var best = null;
    S.zonesActive.forEach(function (z) {
      var k = props(z).kind;
      if ((KIND_RANK[k] || 0) > (best ? KIND_RANK[props(best).kind] : 0) && inGeometry(z.geometry, p)) best = z;
    });
    return best;
  }

  function render() {
    if (!S.origin) return;
    clear(gStreets);
    clear(gZones);
    clear(gCompounds);
    if (S.layers.streets) {
      S.streets.forEach(function (f) {
        if (!f.geometry || !/LineString/.test(f.geometry.type)) return;
        var p = props(f);
        var path = svgEl("path", { d: geometryPath(f.geometry), class: "street " + (p.highway || ""), "vector-effect": "non-scaling-stroke" });
        if (p.name) {
          var t = svgEl("title");
          t.textContent = p.name + (p.highway ? " (" + p.highway + ")" : "") + (p.oneway === true || p.oneway === "yes" ? ", one-way" : "");
          path.appendChild(t);
        }
        gStreets.appendChild(path);
      });
    }
    clear(gPlanLines);
    if (S.layers.zones) {
      S.zonesActive.slice().sort(function (a, b) { return (KIND_RANK[props(a).kind] || 0) - (KIND_RANK[props(b).kind] || 0); })
        .forEach(function (z) {
          var p = props(z);
          var path = svgEl("path", { d: geometryPath(z.geometry), class: "zone " + (p.kind || ""), "fill-rule": "evenodd", "vector-effect": "non-scaling-stroke" });
          var t = svgEl("title");
          t.textContent = (p.kind || "zone") + ": " + (p.name || "") + (p.reason ? "\n" + p.reason : "");
          path.appendChild(t);
          gZones.appendChild(path);
        });
    }
    if (S.layers.compounds) {
      S.compounds.forEach(function (c) {
        var p = props(c), ctr = centroid(c.geometry);
        var z = ctr ? strictestAt(ctr) : null;
        var kind = z ? props(z).kind : "none";
        var path = svgEl("path", { d: geometryPath(c.geometry), class: "compound " + kind, "fill-rule": "evenodd", "vector-effect": "non-scaling-stroke" });
        var t = svgEl("title");
        t.textContent = (p.name || "compound") + "\npopulation " + (p.population || 0) + ", aged 60+ " + (p.aged_60_plus || 0) +
          (p.households ? ", households " + p.households : "") + "\nzone: " + (z ? kind + " (" + (props(z).name || "") + ")" : "none");
        path.appendChild(t);
        gCompounds.appendChild(path);
      });
    }
    if (S.layers.sites && S.plan) {
      features(S.plan).forEach(function (f) {
        if (!f.geometry || f.geometry.type === "Point" || f.geometry.type === "MultiPoint") return;
        var isLine = /LineString/.test(f.geometry.type);
        var path = svgEl("path", { d: geometryPath(f.geometry), class: isLine ? "assign" : "planarea", "vector-effect": "non-scaling-stroke" });
        gPlanLines.appendChild(path);
      });
    }
    if (S.layers.routes) {
      S.vanRoutes.forEach(function (r) {
        r.lines.forEach(function (line) {
          gPlanLines.appendChild(svgEl("path", { d: ringPath(line, false), class: "vanroute", stroke: r.color, "vector-effect": "non-scaling-stroke" }));
        });
      });
    }
    applyTransform();
    renderMarks();
  }

  function marker(kind) {
    var g = svgEl("g", { class: "mark " + kind });
    switch (kind) {
      case "hospital":
        g.appendChild(svgEl("rect", { x: -8, y: -8, width: 16, height: 16, rx: 2 }));
        g.appendChild(svgEl("path", { d: "M-2 -6H2V-2H6V2H2V6H-2V2H-6V-2H-2Z", class: "glyph" }));
        break;
      case "pharmacy":
        g.appendChild(svgEl("circle", { r: 7 }));
        g.appendChild(svgEl("path", { d: "M-1.5 -4.5H1.5V-1.5H4.5V1.5H1.5V4.5H-1.5V1.5H-4.5V-1.5H-1.5Z", class: "glyph" }));
        break;
      case "health_centre":
        g.appendChild(svgEl("rect", { x: -7, y: -7, width: 14, height: 14, rx: 7 }));
        g.appendChild(svgEl("path", { d: "M-4 -4V4M4 -4V4M-4 0H4", class: "glyph-line" }));
        break;
      case "supply_point":
        g.appendChild(svgEl("rect", { x: -3.5, y: -3.5, width: 7, height: 7 }));
        break;
      case "depot":
        g.appendChild(svgEl("path", { d: "M0 -9L9 7H-9Z" }));
        break;
      case "candidate_site":
        g.appendChild(svgEl("path", { d: "M0 -6L6 0L0 6L-6 0Z" }));
        break;
      case "site":
        g.appendChild(svgEl("circle", { r: 10 }));
        break;
      default:
        g.appendChild(svgEl("circle", { r: 4 }));
    }
    return g;
  }

  function renderMarks() {
    clear(gMarks);
    clear(gDraw);
    if (!S.origin) return;
    var sz = size();
    function visible(s) { return s[0] > -20 && s[1] > -20 && s[0] < sz.w + 20 && s[1] < sz.h + 20; }
    if (S.layers.labels && S.layers.compounds && S.view.k > 0.45) {
      S.compounds.forEach(function (c) {
        var ctr = centroid(c.geometry);
        if (!ctr) return;
        var s = toScreen(ctr);
        if (!visible(s)) return;
        var t = svgEl("text", { x: s[0].toFixed(1), y: s[1].toFixed(1), class: "label" });
        t.textContent = props(c).name || "";
        gMarks.appendChild(t);
      });
    }
    if (S.layers.facilities) {
      var order = ["supply_point", "candidate_site", "pharmacy", "health_centre", "depot", "hospital"];
      var facs = S.facilities.slice().sort(function (a, b) { return order.indexOf(props(a).kind) - order.indexOf(props(b).kind); });
      facs.forEach(function (f) {
        if (!f.geometry || f.geometry.type !== "Point") return;
        var p = props(f), s = toScreen(f.geometry.coordinates);
        if (!visible(s)) return;
        if (p.kind === "supply_point" && S.view.k < 0.3) return; // too many at a low zoom
        var g = marker(p.kind || "other");
        g.setAttribute("transform", "translate(" + s[0].toFixed(1) + " " + s[1].toFixed(1) + ")");
        g.setAttribute("data-facility", String(fid(f)));
        var t = svgEl("title");
        t.textContent = (p.name || "") + " (" + (FACILITY_LABEL[p.kind] || p.kind) + ")";
        g.appendChild(t);
        gMarks.appendChild(g);
      });
    }
    if (S.layers.sites && S.plan) {
      var n = 0;
      features(S.plan).forEach(function (f) {
        if (!f.geometry || f.geometry.type !== "Point") return;
        if (!isSite(f)) {
          var ds = toScreen(f.geometry.coordinates);
          if (!visible(ds)) return;
          var dot = svgEl("circle", { cx: ds[0].toFixed(1), cy: ds[1].toFixed(1), r: 3, class: "demand" });
          var dt = svgEl("title");
          dt.textContent = describeProps(props(f));
          dot.appendChild(dt);
          gMarks.appendChild(dot);
          return;
        }
        n++;
        var s = toScreen(f.geometry.coordinates);
        var g = marker("site");
        g.setAttribute("transform", "translate(" + s[0].toFixed(1) + " " + s[1].toFixed(1) + ")");
        var num = svgEl("text", { class: "sitenum", y: 4 });
        num.textContent = String(n);
        g.appendChild(num);
        var t = svgEl("title");
        t.textContent = describeProps(props(f));
        g.appendChild(t);
        gMarks.appendChild(g);
      });
    }
    if (S.pin) {
      var ps = toScreen(S.pin);
      var pin = svgEl("g", { class: "pin", transform: "translate(" + ps[0].toFixed(1) + " " + ps[1].toFixed(1) + ")" });
      pin.appendChild(svgEl("path", { d: "M0 0L-6 -14A7 7 0 1 1 6 -14Z" }));
      gMarks.appendChild(pin);
    }
    var ring = S.draw || S.pendingRing;
    if (ring && ring.length) {
      var d = "";
      ring.forEach(function (p, i) {
        var s = toScreen(p);
        d += (i ? "L" : "M") + s[0].toFixed(1) + " " + s[1].toFixed(1);
      });
      if (ring.length > 2) d += "Z";
      gDraw.appendChild(svgEl("path", { d: d, class: "drawpoly" }));
      ring.forEach(function (p) {
        var s = toScreen(p);
        gDraw.appendChild(svgEl("circle", { cx: s[0].toFixed(1), cy: s[1].toFixed(1), r: 4, class: "drawvertex" }));
      });
    }
  }

  // isSite tells planned sites from other points of a plan (demand points):
  // a point is a site unless a kind/role/type property says otherwise.
  function isSite(f) {
    var p = props(f), role = p.kind || p.role || p.type || p.layer;
    return typeof role !== "string" || /site|facility|open/i.test(role);
  }

  function describeProps(p) {
    var parts = [];
    for (var k in p) {
      if (!Object.prototype.hasOwnProperty.call(p, k)) continue;
      var v = p[k];
      if (v !== null && typeof v === "object") v = JSON.stringify(v);
      parts.push(k + ": " + v);
    }
    return parts.join("\n");
  }

  // ---- pointer interaction: pan, click, wheel ----

  var drag = null;
  svg.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) return;
    var fac = e.target.closest ? e.target.closest("[data-facility]") : null;
    drag = { x: e.clientX, y: e.clientY, cx: S.view.cx, cy: S.view.cy, moved: false, facility: fac ? fac.getAttribute("data-facility") : null };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 5) return;
    drag.moved = true;
    svg.classList.add("panning");
    S.view.cx = drag.cx - dx / S.view.k;
    S.view.cy = drag.cy - dy / S.view.k;
    renderView();
  });
  svg.addEventListener("pointerup", function (e) {
    if (!drag) return;
    var d = drag;
    drag = null;
    svg.classList.remove("panning");
    if (d.moved || !S.origin) return;
    var r = svg.getBoundingClientRect();
    var p = fromScreen(e.clientX - r.left, e.clientY - r.top);
    p = [Math.round(p[0] * 1e7) / 1e7, Math.round(p[1] * 1e7) / 1e7];
    if (S.draw) {
      S.draw.push(p);
      document.getElementById("draw-count").textContent = String(S.draw.length);
      renderMarks();
      return;
    }
    if (d.facility !== null) {
      showFacility(d.facility);
      return;
    }
    lookup(p);
  });
  svg.addEventListener("pointercancel", function () { drag = null; svg.classList.remove("panning"); });
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    zoomAt(Math.pow(1.0015, -e.deltaY * (e.deltaMode === 1 ? 30 : 1)), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  document.getElementById("zoom-in").addEventListener("click", function () { zoomAt(1.5); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomAt(1 / 1.5); });
  document.getElementById("zoom-fit").addEventListener("click", fit);
  window.addEventListener("resize", function () { render(); });
  svg.setAttribute("tabindex", "0");
  svg.addEventListener("keydown", function (e) {
    var step = 80 / S.view.k, handled = true;
    switch (e.key) {
      case "+": case "=": zoomAt(1.5); break;
      case "-": case "_": zoomAt(1 / 1.5); break;
      case "ArrowLeft": S.view.cx -= step; renderView(); break;
      case "ArrowRight": S.view.cx += step; renderView(); break;
      case "ArrowUp": S.view.cy -= step; renderView(); break;
      case "ArrowDown": S.view.cy += step; renderView(); break;
      case "0": fit(); break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && S.draw) { S.pendingRing = null; stopDraw(); }
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-layer]"), function (cb) {
    cb.addEventListener("change", function () {
      S.layers[cb.getAttribute("data-layer")] = cb.checked;
      render();
    });
  });

  // facility legend
  (function () {
    var keys = document.getElementById("facility-keys");
    ["hospital", "pharmacy", "health_centre", "depot", "candidate_site", "supply_point"].forEach(function (k) {
      var s = svgEl("svg", { width: 20, height: 20, viewBox: "-10 -10 20 20", class: "keysvg" });
      s.appendChild(marker(k));
      keys.appendChild(s);
      keys.appendChild(document.createTextNode(FACILITY_LABEL[k]));
      keys.appendChild(el("br"));
    });
  })();

  // ---- tabs ----

  function showTab(name) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-tab]"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-tab") === name);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (s) { s.hidden = s.id !== "tab-" + name; });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-tab]"), function (b) {
    b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); });
  });

  // ---- point look-up and facility details ----

  function zoneCard(z) {
    // z is either a zone view (fields at the top) or a GeoJSON feature
    var p = z && z.properties ? z.properties : z || {};
    var id = p.id !== undefined ? p.id : z.id;
    return el("div", { class: "card zonecard " + (p.kind || "") }, [
      el("div", null, [el("span", { class: "badge " + (p.kind || ""), text: p.kind || "zone" }), " ", el("b", { text: p.name || "zone " + id })]),
      p.reason ? el("div", { class: "muted", text: p.reason }) : null,
      el("div", { class: "small", text: "from " + LL.shortTime(p.effective_from) + (p.effective_until ? " until " + LL.shortTime(p.effective_until) : "") + (id !== undefined ? " · id " + id : "") })
    ]);
  }

  function lookup(p) {
    S.pin = p;
    renderMarks();
    showTab("point");
    var out = document.getElementById("point-result");
    clear(out);
    out.appendChild(el("p", { class: "muted", text: "Looking up " + p[0].toFixed(6) + ", " + p[1].toFixed(6) + "…" }));
    LL.api("GET", "/v1/lookup?lon=" + p[0] + "&lat=" + p[1] + "&at=" + asOfParam()).then(function (r) {
      clear(out);
      out.appendChild(el("p", { class: "small", text: "[" + p[0].toFixed(6) + ", " + p[1].toFixed(6) + "] as of " + LL.shortTime(LL.rfc3339(S.asOf)) }));
      if (!r || !r.strictest) {
        out.appendChild(el("div", { class: "card none" }, [el("b", { text: "No zone here" }), el("div", { class: "muted", text: "Normal rules apply at this point." })]));
      } else {
        out.appendChild(el("h3", { text: "Strictest zone" }));
        out.appendChild(zoneCard(r.strictest));
      }
      var matches = (r && r.matches) || [];
      if (matches.length > 1) {
        out.appendChild(el("h3", { text: "All zones here (" + matches.length + ")" }));
        matches.forEach(function (m) { out.appendChild(zoneCard(m)); });
      }
    }, function (err) {
      clear(out);
      out.appendChild(el("div", { class: "card error", text: LL.describe(err) }));
      showError("Look-up failed", err);
    });
  }

  function showFacility(id) {
    var f = null;
    S.facilities.forEach(function (x) { if (String(fid(x)) === id) f = x; });
    if (!f) return;
    var p = props(f);
    showTab("point");
    var out = document.getElementById("point-result");
    clear(out);
    var rows = [
      ["Kind", FACILITY_LABEL[p.kind] || p.kind],
      ["Capacity", p.capacity],
      ["Opening hours", p.opening_hours],
      ["Accepts health codes", Array.isArray(p.accepts) ? p.accepts.join(", ") : p.accepts],
      ["Compound", p.compound_id ? compoundName(p.compound_id) : null],
      ["Position", f.geometry.coordinates[0].toFixed(6) + ", " + f.geometry.coordinates[1].toFixed(6)]
    ];
    out.appendChild(el("div", { class: "card" }, [el("h3", { text: p.name || "facility " + id }), table(rows)]));
    var z = strictestAt(f.geometry.coordinates);
    out.appendChild(el("p", { class: "small", text: "Zone here: " + (z ? props(z).kind + " (" + (props(z).name || "") + ")" : "none") }));
  }

  function compoundName(id) {
    var n = "#" + id;
    S.compounds.forEach(function (c) { if (String(fid(c)) === String(id)) n = props(c).name || n; });
    return n;
  }

  function table(rows) {
    var t = el("table", { class: "kv" });
    rows.forEach(function (r) {
      if (r[1] === undefined || r[1] === null || r[1] === "") return;
      t.appendChild(el("tr", null, [el("th", { text: r[0] }), el("td", { text: String(r[1]) })]));
    });
    return t;
  }

  // ---- zones list, lift, create ----

  function zoneStatus(p) {
    var t = S.asOf.getTime();
    var from = new Date(p.effective_from).getTime();
    var until = p.effective_until ? new Date(p.effective_until).getTime() : Infinity;
    if (t < from) return "scheduled";
    if (t >= until) return "lifted";
    return "active";
  }

  function renderZoneList() {
    var list = document.getElementById("zone-list");
    clear(list);
    var zs = S.zonesAll.slice();
    var statusOrder = { active: 0, scheduled: 1, lifted: 2 };
    zs.sort(function (a, b) {
      var pa = props(a), pb = props(b);
      var sa = statusOrder[zoneStatus(pa)], sb = statusOrder[zoneStatus(pb)];
      if (sa !== sb) return sa - sb;
      var ra = KIND_RANK[pa.kind] || 0, rb = KIND_RANK[pb.kind] || 0;
      if (ra !== rb) return rb - ra;
      return (fid(a) || 0) - (fid(b) || 0);
    });
    var counts = { active: 0, scheduled: 0, lifted: 0 };
    zs.forEach(function (z) {
      var p = props(z), st = zoneStatus(p), id = fid(z);
      counts[st]++;
      var li = el("li", { class: "zoneitem " + st }, [
        el("div", null, [el("span", { class: "badge " + (p.kind || ""), text: p.kind || "?" }), " ", el("b", { text: p.name || "zone " + id }), " ", el("span", { class: "status " + st, text: st })]),
        p.reason ? el("div", { class: "muted", text: p.reason }) : null,
        el("div", { class: "small", text: "from " + LL.shortTime(p.effective_from) + (p.effective_until ? " until " + LL.shortTime(p.effective_until) : " (open)") + " · id " + id })
      ]);
      var buttons = el("div", { class: "row" }, [el("button", { type: "button", text: "Show", onclick: function () { zoomTo(z); } })]);
      if (!p.effective_until) {
        buttons.appendChild(el("button", { type: "button", class: "danger", text: "Lift…", onclick: function () { liftForm(li, z); } }));
      }
      li.appendChild(buttons);
      list.appendChild(li);
    });
    document.getElementById("zone-summary").textContent = zs.length ?
      "As of " + LL.shortTime(LL.rfc3339(S.asOf)) + ": " + counts.active + " active, " + counts.scheduled + " scheduled, " + counts.lifted + " lifted." :
      "No zones yet.";
  }

  function zoomTo(z) {
    var polys = polygonsOf(z.geometry);
    if (!polys.length) return;
    var minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
    polys.forEach(function (poly) {
      (poly[0] || []).forEach(function (p) {
        var w = project(p);
        minx = Math.min(minx, w[0]); maxx = Math.max(maxx, w[0]);
        miny = Math.min(miny, w[1]); maxy = Math.max(maxy, w[1]);
      });
    });
    var sz = size();
    S.view.cx = (minx + maxx) / 2;
    S.view.cy = (miny + maxy) / 2;
    S.view.k = Math.min(20, Math.min((sz.w - 80) / Math.max(maxx - minx, 30), (sz.h - 80) / Math.max(maxy - miny, 30)));
    renderView();
  }

  function liftForm(li, z) {
    if (li.querySelector("form")) return;
    var input = el("input", { type: "datetime-local", step: "60", required: "required", value: LL.localInput(new Date()) });
    var form = el("form", { class: "form inline" }, [
      el("label", null, ["Lift at ", input]),
      el("button", { type: "submit", class: "danger", text: "Lift zone" }),
      el("button", { type: "button", text: "Cancel", onclick: function () { li.removeChild(form); } })
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var at = new Date(input.value);
      if (isNaN(at.getTime())) { showError("Lift", new Error("choose a date and time")); return; }
      var btn = form.querySelector("button[type=submit]");
      btn.disabled = true;
      LL.api("POST", "/v1/zones/" + encodeURIComponent(fid(z)) + "/lift", { at: LL.rfc3339(at) }).then(function () {
        showInfo("Zone " + (props(z).name || fid(z)) + " lifted.");
        return reloadZones();
      }, function (err) {
        btn.disabled = false;
        showError("Could not lift the zone", err);
      });
    });
    li.appendChild(form);
  }

  var drawBar = document.getElementById("drawbar");
  var zoneForm = document.getElementById("zone-form");

  function startDraw() {
    S.draw = [];
    S.pendingRing = null;
    zoneForm.hidden = true;
    drawBar.hidden = false;
    svg.classList.add("drawing");
    document.getElementById("draw-count").textContent = "0";
    renderMarks();
  }
  function stopDraw() {
    S.draw = null;
    drawBar.hidden = true;
    svg.classList.remove("drawing");
    renderMarks();
  }
  document.getElementById("draw-start").addEventListener("click", function () { showTab("zones"); startDraw(); });
  document.getElementById("draw-undo").addEventListener("click", function () {
    if (S.draw && S.draw.length) S.draw.pop();
    document.getElementById("draw-count").textContent = String(S.draw ? S.draw.length : 0);
    renderMarks();
  });
  document.getElementById("draw-cancel").addEventListener("click", function () { S.pendingRing = null; stopDraw(); });
  document.getElementById("draw-finish").addEventListener("click", function () {
    if (!S.draw || S.draw.length < 3) {
      showError("Drawing", new Error("a zone needs at least 3 corners"));
      return;
    }
    S.pendingRing = S.draw.slice();
    stopDraw();
    zoneForm.hidden = false;
    zoneForm.elements.from.value = LL.localInput(new Date());
    zoneForm.elements.name.focus();
  });
  document.getElementById("zone-form-cancel").addEventListener("click", function () {
    zoneForm.hidden = true;
    S.pendingRing = null;
    renderMarks();
  });
  document.getElementById("zones-reload").addEventListener("click", function () { reloadZones(); });

  // closedCCW closes the ring and makes it counter-clockwise (GeoJSON RFC 7946 shells).
  function closedCCW(pts) {
    var r = pts.slice();
    r.push(r[0]);
    if (signedArea(r) < 0) r.reverse();
    return r;
  }

  zoneForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!S.pendingRing) { showError("New zone", new Error("draw the zone on the map first")); return; }
    var from = new Date(zoneForm.elements.from.value);
    if (isNaN(from.getTime())) { showError("New zone", new Error("choose when the zone takes effect")); return; }
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
      showInfo("Zone created" + (z && (z.id || (z.properties && z.properties.id)) ? " (id " + (z.id || z.properties.id) + ")" : "") + ".");
      return reloadZones();
    }, function (err) {
      btn.disabled = false;
      showError("Could not create the zone", err);
    });
  });

  // ---- sampling sites ----

  var sitesForm = document.getElementById("sites-form");
  // The request body: "model" and the site count come from the form; the
  // count is sent as "sites" (routing/siteplan.Request) and, if the server
  // rejects that field, once more as "p".
  var countField = "sites";
  function sitesBody() {
    var body = {};
    try {
      body = JSON.parse(sitesForm.elements.body.value || "{}");
      if (!body || typeof body !== "object" || Array.isArray(body)) body = {};
    } catch (e) {
      throw new Error("the request JSON is not valid: " + e.message);
    }
    delete body.p;
    delete body.sites;
    body.model = sitesForm.elements.model.value;
    var p = parseInt(sitesForm.elements.p.value, 10);
    if (!(p >= 1)) throw new Error("the number of sites must be a positive number");
    body[countField] = p;
    return body;
  }
  function syncSitesBody() {
    try {
      sitesForm.elements.body.value = JSON.stringify(sitesBody(), null, 1);
    } catch (e) { /* leave the user's text alone until it parses */ }
  }
  sitesForm.elements.model.addEventListener("change", syncSitesBody);
  sitesForm.elements.p.addEventListener("input", syncSitesBody);
  sitesForm.elements.body.value = JSON.stringify({ model: "p-median", sites: 8 }, null, 1);

  function unknownField(err, name) {
    return err instanceof LL.ApiError && err.status >= 400 && err.status < 500 &&
      new RegExp("unknown field \"?" + name + "\"?|" + name + ".*(unknown|not allowed)", "i").test(err.message + " " + JSON.stringify(err.details || ""));
  }

  sitesForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var body;
    try {
      body = sitesBody();
    } catch (x) {
      showError("Sampling sites", x);
      return;
    }
    sitesForm.elements.body.value = JSON.stringify(body, null, 1);
    var btn = document.getElementById("sites-run");
    var out = document.getElementById("sites-result");
    btn.disabled = true;
    clear(out);
    out.appendChild(el("p", { class: "muted" }, [el("span", { class: "spinner" }), " Planning " + body[countField] + " sites (this can take a while)…"]));
    var send = function (b) { return LL.api("POST", "/v1/sites/plan", b, { timeoutMs: 660000 }); };
    send(body).catch(function (err) {
      // The request shape was still being designed: retry once with the other name for p.
      var other = countField === "sites" ? "p" : "sites";
      if (!unknownField(err, countField)) throw err;
      var b2 = {};
      for (var k in body) if (k !== countField) b2[k] = body[k];
      b2[other] = body[countField];
      return send(b2).then(function (r) {
        countField = other;
        syncSitesBody();
        return r;
      });
    }).then(function (r) {
      btn.disabled = false;
      renderPlan(r);
    }, function (err) {
      btn.disabled = false;
      clear(out);
      out.appendChild(el("div", { class: "card error", text: LL.describe(err) }));
      showError("Site planning failed", err);
    });
  });
  document.getElementById("sites-clear").addEventListener("click", function () {
    S.plan = null;
    clear(document.getElementById("sites-result"));
    render();
  });

  // findCollection returns the first GeoJSON FeatureCollection in a response:
  // the response itself, its "geojson" member, or any member that is one.
  function findCollection(r) {
    if (!r || typeof r !== "object") return null;
    if (r.type === "FeatureCollection") return r;
    if (r.geojson && r.geojson.type === "FeatureCollection") return r.geojson;
    for (var k in r) if (r[k] && typeof r[k] === "object" && r[k].type === "FeatureCollection") return r[k];
    return null;
  }

  function renderPlan(r) {
    var out = document.getElementById("sites-result");
    clear(out);
    S.plan = findCollection(r);
    noteAttribution("plan", S.plan);
    var card = el("div", { class: "card" }, [el("h3", { text: "Plan" })]);
    function scalarRows(o) {
      var rows = [];
      for (var k in o) {
        if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
        var v = o[k];
        if (v === null || v === undefined) continue;
        if (Array.isArray(v)) rows.push([k.replace(/_/g, " "), v.length + " items"]);
        else if (typeof v !== "object") rows.push([k.replace(/_/g, " "), typeof v === "number" && !Number.isInteger(v) ? v.toFixed(3) : v]);
      }
      return rows;
    }
    if (r && typeof r === "object" && !Array.isArray(r)) {
      card.appendChild(table(scalarRows(r)));
      for (var k in r) {
        var v = r[k];
        if (!Object.prototype.hasOwnProperty.call(r, k) || !v || typeof v !== "object" || Array.isArray(v) || v.type === "FeatureCollection") continue;
        var sub = scalarRows(v);
        if (sub.length) {
          card.appendChild(el("h4", { text: k.replace(/_/g, " ") }));
          card.appendChild(table(sub));
        }
      }
    }
    out.appendChild(card);
    var sites = features(S.plan).filter(function (f) { return f.geometry && f.geometry.type === "Point" && isSite(f); });
    var lines = features(S.plan).filter(function (f) { return f.geometry && /LineString/.test(f.geometry.type); });
    if (!S.plan) {
      out.appendChild(el("p", { class: "muted", text: "The response has no GeoJSON to draw." }));
    } else {
      out.appendChild(el("p", { class: "small", text: sites.length + " sites, " + lines.length + " assignment lines." }));
      var ol = el("ol", { class: "list sites" });
      sites.forEach(function (f) {
        var p = props(f);
        var name = p.name || p.site || ("site " + (fid(f) !== undefined ? fid(f) : ""));
        var extra = [];
        ["demand", "population", "assigned", "load", "capacity", "compounds", "served", "max_distance_m", "mean_distance_m"].forEach(function (k) {
          if (p[k] !== undefined && typeof p[k] !== "object") extra.push(k.replace(/_/g, " ") + " " + p[k]);
        });
        ol.appendChild(el("li", null, [el("b", { text: name }), extra.length ? el("div", { class: "small", text: extra.join(" · ") }) : null]));
      });
      out.appendChild(ol);
    }
    S.layers.sites = true;
    document.querySelector("[data-layer=sites]").checked = true;
    render();
  }

  // ---- vans: shuttles and deliveries (POST /v1/optimize, VROOM format) ----

  var vansForm = document.getElementById("vans-form");
  var ROUTE_COLORS = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];

  // exampleProblem builds a small problem on the district's own facilities:
  // two vans from the depot, deliveries to the first supply points, and two
  // dialysis shuttles of different risk classes that must not share a ride.
  function exampleProblem() {
    function pt(f) { return f.geometry && f.geometry.coordinates ? [f.geometry.coordinates[0], f.geometry.coordinates[1]] : null; }
    function ofKind(k) { return S.facilities.filter(function (f) { return props(f).kind === k && pt(f); }); }
    var depot = ofKind("depot")[0] || ofKind("health_centre")[0] || S.facilities[0];
    var hospitals = ofKind("hospital");
    var supply = ofKind("supply_point").slice(0, 8);
    var d = depot ? pt(depot) : [0, 0];
    var body = {
      vehicles: [1, 2].map(function (id) {
        return { id: id, description: "Van " + id, start: d, end: d, capacity: [12, 2], time_window: [25200, 64800] };
      }),
      jobs: supply.map(function (f, i) {
        return { id: i + 1, description: (props(f).name || "supply point") + ": medicine boxes", location: pt(f), service: 180, delivery: [3, 0], time_windows: [[32400, 43200]] };
      }),
      shipments: [],
      incompatible: [[1, 2]],
      cleaning_time: 900
    };
    // class 1: a green-code patient to the dialysis centre; class 2: a
    // red-code patient to a hospital that accepts red codes
    function hospitalFor(colour, word) {
      var ok = hospitals.filter(function (h) { return (props(h).accepts || []).indexOf(colour) >= 0; });
      return ok.filter(function (h) { return (props(h).name || "").toLowerCase().indexOf(word) >= 0; })[0] || ok[0] || hospitals[0];
    }
    var patients = [{ colour: "green", word: "dialysis" }, { colour: "red", word: "designated" }];
    var gates = S.compounds.filter(function (c) { return (props(c).gates || []).length; }).slice(0, 2);
    gates.forEach(function (c, i) {
      var target = hospitalFor(patients[i].colour, patients[i].word);
      if (!target) return;
      body.shipments.push({ amount: [0, 1], class: i + 1, max_ride_time: 1800,
        pickup: { id: 101 + 2 * i, description: (props(c).name || "compound") + ", gate 1: dialysis patient (" + patients[i].colour + " code)", location: props(c).gates[0], service: 300 },
        delivery: { id: 102 + 2 * i, description: props(target).name || "hospital", location: pt(target), service: 120, time_windows: [[28800, 30600]] } });
    });
    return body;
  }
  document.getElementById("vans-example").addEventListener("click", function () {
    vansForm.elements.body.value = JSON.stringify(exampleProblem(), null, 1);
  });

  function hhmm(sec) {
    sec = Math.max(0, Math.round(sec));
    return ("0" + Math.floor(sec / 3600) % 24).slice(-2) + ":" + ("0" + Math.floor(sec / 60) % 60).slice(-2);
  }

  // legLines asks the road engine for the streets between consecutive
  // stops; a leg it cannot route is drawn straight.
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

  function renderSolution(sol) {
    var out = document.getElementById("vans-result");
    clear(out);
    var sum = sol.summary || {};
    out.appendChild(el("div", { class: "card" }, [
      el("h3", { text: "Plan" }),
      table([["routes", sum.routes], ["unassigned", sum.unassigned], ["travel time", Math.round((sum.duration || 0) / 60) + " min"],
        ["distance", sum.distance !== undefined ? (sum.distance / 1000).toFixed(1) + " km" : "–"], ["waiting", Math.round((sum.waiting_time || 0) / 60) + " min"]])
    ]));
    S.vanRoutes = [];
    var pending = [];
    (sol.routes || []).forEach(function (r, i) {
      var color = ROUTE_COLORS[i % ROUTE_COLORS.length];
      var stops = (r.steps || []).filter(function (s) { return s.location; }).map(function (s) { return s.location; });
      var vr = { color: color, lines: [stops], stops: stops };
      S.vanRoutes.push(vr);
      pending.push(legLines(stops).then(function (lines) { vr.lines = lines; }));
      var ol = el("ol");
      (r.steps || []).forEach(function (s) {
        var what = s.type === "start" || s.type === "end" ? s.type + " (depot)" : s.type + " " + (s.id !== undefined ? s.id : "");
        ol.appendChild(el("li", { text: hhmm(s.arrival) + " " + what + (s.description ? " · " + s.description : "") }));
      });
      var link = r.route_list ? el("a", { href: "driver.html?id=" + encodeURIComponent(r.route_list), target: "_blank", text: r.route_list }) : null;
      out.appendChild(el("div", { class: "card routecard" }, [
        el("div", null, [el("span", { class: "swatch", style: "background:" + color }), el("b", { text: r.description || "vehicle " + r.vehicle }),
          " · " + Math.round((r.duration || 0) / 60) + " min driving"]),
        link ? el("div", { class: "small" }, ["Driver's route list: ", link]) : null,
        ol
      ]));
    });
    if ((sol.unassigned || []).length) {
      out.appendChild(el("div", { class: "card error" }, [el("b", { text: "Not served" }),
        el("ul", null, sol.unassigned.map(function (u) { return el("li", { text: u.type + " " + u.id + ": " + (u.reason || "no room") }); }))]));
    }
    render();
    Promise.all(pending).then(render);
  }

  vansForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var body;
    try {
      body = JSON.parse(vansForm.elements.body.value);
    } catch (x) {
      showError("Vans", new Error("the problem JSON is not valid: " + x.message));
      return;
    }
    var limit = parseInt(vansForm.elements.limit.value, 10) || 5;
    var btn = document.getElementById("vans-run");
    var out = document.getElementById("vans-result");
    btn.disabled = true;
    clear(out);
    var status = el("p", { class: "muted" }, [el("span", { class: "spinner" }), " Optimizing for up to " + limit + " s…"]);
    out.appendChild(status);
    function done() { btn.disabled = false; }
    function failed(err) {
      done();
      clear(out);
      out.appendChild(el("div", { class: "card error", text: LL.describe(err) }));
      showError("Optimization failed", err);
    }
    LL.api("POST", "/v1/optimize?async=true&time_limit=" + limit + "s", body).then(function (j) {
      function poll() {
        LL.api("GET", "/v1/jobs/" + encodeURIComponent(j.id)).then(function (st) {
          if (st.state === "running") {
            var p = st.progress;
            status.lastChild.textContent = p ? " " + p.elapsed_s.toFixed(1) + " s: " + p.vehicles + " vans, cost " + Math.round(p.cost) + " (iteration " + p.iteration + ")" : " Optimizing…";
            setTimeout(poll, 500);
            return;
          }
          done();
          if (st.state === "done") renderSolution(st.result);
          else failed(st.error ? new LL.ApiError(st.error.status || 422, st.error.code, st.error.message, st.error.details) : new Error("the job " + st.state));
        }, failed);
      }
      poll();
    }, failed);
  });
  document.getElementById("vans-clear").addEventListener("click", function () {
    S.vanRoutes = [];
    clear(document.getElementById("vans-result"));
    render();
  });

  // ---- date picker ----

  var asOf = document.getElementById("asof");
  asOf.value = LL.localInput(S.asOf);
  asOf.addEventListener("change", function () {
    var d = new Date(asOf.value);
    if (isNaN(d.getTime())) return;
    S.asOf = d;
    renderZoneList();
    loadActiveZones();
  });
  document.getElementById("asof-now").addEventListener("click", function () {
    S.asOf = new Date();
    asOf.value = LL.localInput(S.asOf);
    renderZoneList();
    loadActiveZones();
  });

  // ---- start ----

  Promise.all([loadPlaces(), loadAllZones(), loadActiveZones()]).then(function () {
    if (!S.fitted) fit();
    render();
    if (!vansForm.elements.body.value) vansForm.elements.body.value = JSON.stringify(exampleProblem(), null, 1);
  });
})();
