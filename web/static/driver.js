// driver.js: the phone-sized route list for drivers. Enter a route-list id,
// see the stops in order; ticks are kept in localStorage on the phone.
// Reads GET /v1/route-lists/{id}; tolerant of the exact response shape
// (an object with "stops", a "route"/"routes" wrapper, a plain array, or a
// GeoJSON FeatureCollection of stop points).
"use strict";

(function () {
  var el = LL.el;
  var form = document.getElementById("lookup");
  var input = document.getElementById("list-id");
  var errorBox = document.getElementById("error");
  var summary = document.getElementById("summary");
  var list = document.getElementById("stops");

  LL.onBusy(function (busy) { document.getElementById("busy").hidden = !busy; });

  function pick(o, names) {
    for (var i = 0; i < names.length; i++) if (o && o[names[i]] !== undefined && o[names[i]] !== null && o[names[i]] !== "") return o[names[i]];
    return undefined;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // clock shows a time: RFC3339 strings as HH:MM, numbers as seconds after midnight.
  function clock(v) {
    if (v === undefined || v === null || v === "") return "";
    if (typeof v === "number") {
      var s = Math.max(0, Math.round(v));
      return pad(Math.floor(s / 3600) % 24) + ":" + pad(Math.floor(s / 60) % 60);
    }
    var d = new Date(v);
    if (isNaN(d.getTime())) return String(v);
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function windowText(w) {
    if (!w) return "";
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

  // stopsOf finds the stop list in a response of any supported shape.
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
    if (Array.isArray(r.routes)) {
      var all = [];
      r.routes.forEach(function (x) { all = all.concat(stopsOf(x)); });
      return all;
    }
    return [];
  }

  function doneKey(id) { return "lifeline.done." + id; }
  function loadDone(id) {
    try { return JSON.parse(localStorage.getItem(doneKey(id)) || "{}") || {}; } catch (e) { return {}; }
  }
  function saveDone(id, done) {
    try { localStorage.setItem(doneKey(id), JSON.stringify(done)); } catch (e) { /* private mode: ticks are not kept */ }
  }

  function render(id, r) {
    list.textContent = "";
    var stops = stopsOf(r);
    var done = loadDone(id);
    var head = [];
    var meta = r && !Array.isArray(r) ? r : {};
    var vehicle = pick(meta, ["vehicle_name", "vehicle", "vehicle_id"]);
    var driver = pick(meta, ["driver", "driver_name"]);
    var date = pick(meta, ["date", "day", "start", "starts_at"]);
    head.push("Route list " + id);
    if (vehicle !== undefined) head.push("vehicle " + (typeof vehicle === "object" ? JSON.stringify(vehicle) : vehicle));
    if (driver !== undefined) head.push("driver " + driver);
    if (date !== undefined) head.push(LL.shortTime(date));
    head.push(stops.length + (stops.length === 1 ? " stop" : " stops"));
    summary.textContent = head.join(" · ");
    if (!stops.length) {
      list.appendChild(el("li", { class: "muted", text: "This route list has no stops." }));
      return;
    }
    stops.forEach(function (s, i) {
      var key = String(pick(s, ["id", "stop_id", "job_id"]) !== undefined ? pick(s, ["id", "stop_id", "job_id"]) : i);
      var kind = String(pick(s, ["kind", "type", "action"]) || "");
      var seq = pick(s, ["seq", "sequence", "order", "index"]);
      var title = pick(s, ["name", "label", "title", "address", "place"]) || (kind ? kind : "stop") + " " + (i + 1);
      var lines = [];
      if (kind) lines.push(kind);
      var eta = pick(s, ["eta", "arrival", "arrive_at", "arrival_time", "time"]);
      if (eta !== undefined) lines.push("arrive " + clock(eta));
      var win = windowText(pick(s, ["time_window", "window", "tw"]));
      if (win) lines.push("window " + win);
      var qty = pick(s, ["people", "passengers", "items", "boxes", "quantity", "demand"]);
      if (Array.isArray(qty)) {
        // lifeline's route lists: loaded (+) or handed over (-) per capacity dimension
        var up = qty.filter(function (q) { return q > 0; }).length, down = qty.filter(function (q) { return q < 0; }).length;
        var amount = qty.map(function (q) { return Math.abs(q); }).join(" / ");
        if (up && !down) lines.push("load " + amount);
        else if (down && !up) lines.push("hand over " + amount);
        else if (up || down) lines.push("items " + qty.join(" / "));
      } else if (qty !== undefined) lines.push((typeof qty === "object" ? JSON.stringify(qty) : qty) + " " + (pick(s, ["people", "passengers"]) !== undefined ? "people" : "items"));
      var p = pointOf(s);
      var phone = pick(s, ["phone", "contact"]);
      var note = pick(s, ["note", "notes", "instructions", "address"]);
      var zone = pick(s, ["zone", "zone_kind"]);
      var zoneKind = zone && typeof zone === "object" ? zone.kind : zone;
      var box = el("input", { type: "checkbox", "aria-label": "stop " + (i + 1) + " done" });
      box.checked = !!done[key];
      var li = el("li", { class: "stop " + kind.toLowerCase() + (box.checked ? " done" : "") }, [
        el("div", { class: "seq", text: String(seq !== undefined ? seq : i + 1) }),
        el("div", { class: "body" }, [
          el("div", { class: "title", text: String(title) }),
          lines.length ? el("div", { class: "meta", text: lines.join(" · ") }) : null,
          note && note !== title ? el("div", { class: "meta", text: String(note) }) : null,
          phone ? el("div", { class: "meta" }, [el("a", { href: "tel:" + String(phone), text: String(phone) })]) : null,
          zoneKind === "sealed" || zoneKind === "controlled" ? el("div", { class: "zonewarn", text: "In a " + zoneKind + " zone: hand over at the gate" }) : null,
          p ? el("div", { class: "meta", text: p[1].toFixed(5) + ", " + p[0].toFixed(5) }) : null
        ]),
        el("label", { class: "done-box" }, [box, "done"])
      ]);
      box.addEventListener("change", function () {
        done[key] = box.checked;
        if (!box.checked) delete done[key];
        saveDone(id, done);
        li.classList.toggle("done", box.checked);
      });
      list.appendChild(li);
    });
  }

  function open(id) {
    id = String(id).trim();
    if (!id) return;
    errorBox.hidden = true;
    summary.textContent = "";
    list.textContent = "";
    LL.api("GET", "/v1/route-lists/" + encodeURIComponent(id)).then(function (r) {
      render(id, r);
    }, function (err) {
      if (err && err.code === "not_available") errorBox.textContent = "Route lists are not available on this server: " + LL.describe(err);
      else if (err && err.status === 404) errorBox.textContent = "No route list " + id + " (" + LL.describe(err) + ")";
      else errorBox.textContent = "Could not load route list " + id + ": " + LL.describe(err);
      errorBox.hidden = false;
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
      render(r.id, r);
    }, function (err) {
      errorBox.textContent = "This link does not open a route list: " + LL.describe(err);
      errorBox.hidden = false;
    });
  } else if (q) {
    input.value = q;
    open(q);
  } else {
    // a signed-in driver: open the newest list assigned to them
    LL.api("GET", "/v1/route-lists").then(function (r) {
      var ls = r && r.route_lists;
      if (ls && ls.length) { input.value = ls[ls.length - 1].id; open(ls[ls.length - 1].id); }
    }, function (err) {
      if (err && err.status === 401) location.assign("/signin.html?next=/driver.html");
    });
  }
})();
