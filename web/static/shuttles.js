// shuttles.js: the dispatcher's shuttle screen (issues 12 and 14) in the
// planner page's Shuttles tab: plan a day (POST /v1/shuttles/plan through
// the solve queue, with progress and a cancel button), the day's Gantt chart
// per van (SVG drawn here: bars from pick-up to drop-off coloured by health
// code, cleaning between colours, time axis in the district's time), the
// trip card (cancel a trip), the vans' routes on the planner map (the Vans
// tab's layers, through window.lifeline.showVanRoutes), what changed since
// publication and who must be told, the urgent call, a van out of service,
// and the riders' registry (search, edit in a form, CSV import).
// Plain browser JavaScript after app.js; uses LL (common.js) and I18N.
"use strict";

(function () {
  var el = LL.el;
  var t = I18N.t;
  var panel = document.getElementById("tab-shuttles");
  if (!panel) return;

  // Health-code colours of the bars (the same hues as the zone kinds and
  // the Vans tab's colour classes).
  var CODE_FILL = { green: "#2e7d32", yellow: "#f9d65c", orange: "#c25400", red: "#b71c1c" };
  var VAN_COLORS = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];
  var WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  var SVGNS = "http://www.w3.org/2000/svg";

  var SH = {
    date: "",
    tt: null, // the timetable version shown (the server's JSON)
    versions: [],
    changed: [], // [{version, reason, author, created_at, changes}] since the last plan
    selected: null, // trip id of the trip card
    mapVan: 0, // 0: every van on the map
    job: null,
    cancelled: {},
    places: null, // {compounds, facilities} (the planner map's, or fetched)
    started: false
  };
  var dayForm = document.getElementById("sh-day");
  var dateInput = document.getElementById("sh-date");

  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }
  function $(id) { return document.getElementById(id); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function today() { return LL.localInput(new Date()).slice(0, 10); }
  function nowClock() { return LL.localInput(new Date()).slice(11, 16); }
  // defaultAt is when a change of the shown day takes effect: now on the
  // day itself, the start of a day to come.
  function defaultAt() {
    if (SH.date === today()) return nowClock();
    return SH.date > today() ? "00:00" : "23:59";
  }
  function hhmm(sec) { return LL.clock(sec); }
  var toastTimer = null;
  function toast(text, isError) {
    var box = $("toast");
    $("toast-text").textContent = text;
    box.className = "toast " + (isError ? "error" : "info");
    box.hidden = false;
    if (toastTimer) clearTimeout(toastTimer);
    toastTimer = isError ? null : setTimeout(function () { box.hidden = true; }, 4000);
  }
  function showError(prefix, err) { toast(prefix + ": " + LL.describe(err), true); }
  function errorCard(err) { return el("div", { class: "card error", role: "alert", text: LL.describe(err) }); }
  function codeName(c) { return CODE_FILL[c] ? t("colour." + c) : String(c || ""); }
  function catName(c) { return c ? t("cat." + c) : ""; }
  function dirName(d) { return d === "outbound" ? t("shuttle.outbound") : t("shuttle.inbound"); }
  function vanName(v) { return t("shuttle.vannum", { n: v }); }
  function ttURL(extra) {
    return "/v1/shuttles/timetables/" + encodeURIComponent(SH.date) + (SH.tt && SH.tt.version ? "/versions/" + SH.tt.version : "") + (extra || "");
  }

  // ---- places (compounds and facilities) ----

  function props(f) { return (f && f.properties) || f || {}; }
  function places() {
    if (SH.places) return Promise.resolve(SH.places);
    var S = window.lifeline && window.lifeline.S;
    if (S && S.compounds.length && S.facilities.length) {
      SH.places = { compounds: S.compounds, facilities: S.facilities };
      return Promise.resolve(SH.places);
    }
    return Promise.all([LL.api("GET", "/v1/compounds?format=geojson"), LL.api("GET", "/v1/facilities?format=geojson")]).then(function (r) {
      SH.places = { compounds: r[0].features || [], facilities: r[1].features || [] };
      return SH.places;
    });
  }
  function careFacilities() {
    return SH.places.facilities.filter(function (f) { var k = props(f).kind; return k === "hospital" || k === "health_centre"; });
  }
  function compoundOptions(sel, current) {
    clear(sel);
    SH.places.compounds.slice().sort(function (a, b) { return String(props(a).name).localeCompare(String(props(b).name)); }).forEach(function (c) {
      sel.appendChild(el("option", { value: props(c).id, text: props(c).name || "#" + props(c).id, translate: "no" }));
    });
    if (current) sel.value = String(current);
  }
  function facilityOptions(sel, current) {
    clear(sel);
    careFacilities().forEach(function (f) {
      var p = props(f);
      sel.appendChild(el("option", { value: p.id, text: p.name + " (" + (p.accepts || []).map(codeName).join(", ") + ")", translate: "no" }));
    });
    if (current) sel.value = String(current);
  }
  function compoundById(id) {
    return SH.places.compounds.filter(function (c) { return String(props(c).id) === String(id); })[0];
  }

  // ---- loading a day ----

  function setStatus(text) { $("sh-status").textContent = text || ""; }

  // load shows the latest version of the date (none yet: says so) and what
  // changed since it was last planned.
  function load(date, keepSelection) {
    SH.date = date;
    clear($("sh-lastchange"));
    if (!keepSelection) SH.selected = null;
    return LL.api("GET", "/v1/shuttles/timetables/" + encodeURIComponent(date) + "/versions").then(function (vs) {
      SH.versions = (vs && vs.versions) || [];
      if (!SH.versions.length) {
        SH.tt = null;
        SH.changed = [];
        render();
        setStatus(t("shuttle.none", { date: date }));
        return null;
      }
      return LL.api("GET", "/v1/shuttles/timetables/" + encodeURIComponent(date)).then(function (tt) {
        if (SH.date !== date) return null;
        SH.tt = tt;
        setStatus("");
        return loadChanged().then(render);
      });
    }).catch(function (err) {
      setStatus("");
      showError(t("shuttle.title"), err);
    });
  }

  // loadChanged collects the change reports of every version after the
  // last plan (the publication), oldest first.
  function loadChanged() {
    var lastPlan = 0;
    SH.versions.forEach(function (v) { if (v.reason === "plan") lastPlan = Math.max(lastPlan, v.version); });
    var later = SH.versions.filter(function (v) { return v.version > lastPlan; });
    return Promise.all(later.map(function (v) {
      if (SH.tt && v.version === SH.tt.version) return Promise.resolve(SH.tt);
      return LL.api("GET", "/v1/shuttles/timetables/" + encodeURIComponent(SH.date) + "/versions/" + v.version, null, { quiet: true });
    })).then(function (list) {
      SH.changed = list.filter(function (x) { return x && x.changes; }).map(function (x) {
        return { version: x.version, reason: x.reason, author: x.author, created_at: x.created_at, changes: x.changes };
      });
    });
  }

  // ---- the timetable's trips ----

  // tripsOf pairs every van's pick-up and drop-off stops into trips.
  function tripsOf(tt) {
    var out = [];
    ((tt && tt.vans) || []).forEach(function (v) {
      var byId = {};
      v.stops.forEach(function (s, i) {
        var tr = byId[s.trip_id];
        if (!tr) {
          tr = byId[s.trip_id] = { id: s.trip_id, van: v.van, rider: s.rider_id, pseudonym: s.pseudonym, kind: s.kind, direction: s.direction,
            colour: s.colour, seats: s.seats, wheelchair: !!s.wheelchair, urgent: !!s.urgent, pick: null, drop: null };
          out.push(tr);
        }
        if (s.action === "pick_up") { tr.pick = s; tr.pickN = i + 1; } else { tr.drop = s; tr.dropN = i + 1; }
      });
    });
    out.forEach(function (tr) {
      tr.start = tr.pick ? tr.pick.start : tr.drop.start;
      tr.end = tr.drop ? tr.drop.start + (tr.drop.service_s || 0) : tr.pick.start + (tr.pick.service_s || 0);
    });
    return out;
  }
  function tripById(id) { return tripsOf(SH.tt).filter(function (x) { return x.id === id; })[0]; }
  function tripInfo(id) { return ((SH.tt && SH.tt.trip_list) || []).filter(function (x) { return x.id === id; })[0]; }

  // cleaningOf finds the cleaning gaps of a van's day: the van is empty
  // after carrying one colour and next boards another.
  function cleaningOf(v, minutes) {
    var out = [], onboard = 0, colour = null, emptyAt = null, lastColour = null;
    v.stops.forEach(function (s) {
      if (s.action === "pick_up") {
        if (onboard === 0 && lastColour && s.colour !== lastColour && emptyAt !== null) {
          out.push({ from: emptyAt, to: Math.max(emptyAt + minutes * 60, emptyAt), next: s.arrival, colours: [lastColour, s.colour] });
        }
        onboard += s.seats || 1;
        colour = s.colour;
      } else {
        onboard -= s.seats || 1;
        if (onboard <= 0) {
          onboard = 0;
          emptyAt = s.start + (s.service_s || 0);
          lastColour = colour;
        }
      }
    });
    return out;
  }

  // ---- rendering ----

  function render() {
    renderSummary();
    renderGantt();
    renderTrip();
    renderChanged();
    renderVanSelect();
    renderMap();
  }

  function renderSummary() {
    var out = $("sh-summary"), outs = $("sh-outputs");
    clear(out);
    clear(outs);
    var tt = SH.tt;
    if (!tt) return;
    var check = tt.check || {};
    var problems = (check.problems || []).length;
    var vers = el("select", { id: "sh-version", "aria-label": t("shuttle.version.pick") }, SH.versions.slice().reverse().map(function (v) {
      return el("option", { value: v.version, text: t("shuttle.version.item", { n: v.version, reason: t("shuttle.reason." + reasonKey(v.reason)), at: I18N.formatDateTime(v.created_at) }) });
    }));
    vers.value = String(tt.version);
    vers.addEventListener("change", function () {
      var n = parseInt(vers.value, 10);
      LL.api("GET", "/v1/shuttles/timetables/" + encodeURIComponent(SH.date) + "/versions/" + n).then(function (x) {
        SH.tt = x;
        SH.selected = null;
        render();
      }, function (err) { showError(t("shuttle.version.pick"), err); });
    });
    var mapSel = el("select", { id: "sh-mapvan" }, [el("option", { value: "0", text: t("shuttle.map.all") })].concat(
      (tt.vans || []).map(function (v) { return el("option", { value: v.van, text: vanName(v.van) }); })));
    mapSel.value = String(SH.mapVan);
    mapSel.addEventListener("change", function () { SH.mapVan = parseInt(mapSel.value, 10) || 0; renderMap(true); });
    var latest = SH.versions.length ? SH.versions[SH.versions.length - 1].version : tt.version;
    out.appendChild(el("div", { class: "card", id: "sh-summary-card" }, [
      el("h3", null, [t("shuttle.versionof", { date: I18N.formatDate(SH.date + "T12:00:00+08:00") }) + " ",
        el("span", { id: "sh-version-n", class: "badge", text: "v" + tt.version, translate: "no" }),
        tt.version !== latest ? el("span", { class: "small", text: " " + t("shuttle.notlatest", { n: latest }) }) : null]),
      el("div", { class: "small", id: "sh-figures", text: [t("shuttle.planned", { planned: tt.planned, trips: tt.trips }), t("shuttle.vansusedn", { n: tt.vans_used }),
        t("unit.min", { n: Math.round((tt.drive_s || 0) / 60) }) + " · " + t("unit.km", { n: ((tt.distance_m || 0) / 1000).toFixed(1) }),
        problems ? t("shuttle.check.bad", { n: problems }) : t("shuttle.check.okshort")].join(" · ") }),
      el("div", { class: "row" }, [el("label", { class: "small" }, [t("shuttle.version.pick") + " ", vers]), el("label", { class: "small" }, [t("shuttle.map") + " ", mapSel])]),
      (tt.unplanned || []).length ? el("div", { class: "card error" }, [el("b", { text: t("shuttle.unplanned") }),
        el("ul", null, tt.unplanned.map(function (u) {
          return el("li", { text: ((u.trip && u.trip.pseudonym) || "") + ": " + (u.reason || ""), translate: "no" });
        }))]) : null
    ]));
    var base = ttURL();
    outs.appendChild(el("details", { class: "card", id: "sh-outputs-box", open: "open" }, [
      el("summary", { text: t("shuttle.outputs") }),
      el("table", { class: "kv" }, [
        kv(t("shuttle.check"), problems ? t("shuttle.check.bad", { n: problems }) : t("shuttle.check.ok")),
        kv(t("shuttle.author"), (tt.author || "") + " · " + I18N.formatDateTime(tt.created_at))
      ]),
      el("div", { class: "shlinks" }, [
        el("a", { href: base + "?format=csv", download: "", id: "sh-csv", text: t("shuttle.csv") }),
        el("a", { href: base + "?format=html", target: "_blank", id: "sh-print", text: t("shuttle.print") }),
        el("a", { href: base + "?format=ics", download: "", text: t("shuttle.ics.all") })
      ]),
      el("ul", { class: "vanlinks", id: "sh-vanlinks" }, (tt.vans || []).map(function (v) {
        return el("li", null, [el("b", { text: vanName(v.van) + ": " }),
          el("a", { href: base + "?format=ics&van=" + v.van, download: "", text: t("shuttle.ics") }), " · ",
          el("a", { href: base + "?format=html&van=" + v.van, target: "_blank", text: t("shuttle.driverlist") }),
          v.route_list ? el("span", null, [" · ", el("a", { href: "driver?id=" + encodeURIComponent(v.route_list), target: "_blank", text: v.route_list, translate: "no" })]) : null]);
      })),
      (tt.skipped || []).length ? el("details", null, [el("summary", { text: t("shuttle.skipped.list", { n: tt.skipped.length }) }),
        el("ul", { class: "small" }, tt.skipped.slice(0, 100).map(function (s) {
          return el("li", { text: (s.pseudonym || s.rider_id || "") + ": " + ((s.refusal && s.refusal.message) || ""), translate: "no" });
        }))]) : null
    ]));
  }
  function kv(k, v) { return el("tr", null, [el("th", { text: k }), el("td", { text: v, translate: "no" })]); }
  function reasonKey(r) { return ["plan", "changes", "urgent"].indexOf(r) >= 0 ? r : "other"; }

  // ---- the Gantt chart ----

  var PX_H = 90, LABEL_W = 4, AXIS_H = 22, LANE_H = 10, LANE_GAP = 2, ROW_PAD = 6;

  function svg(tag, attrs, children) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  // lanes puts a van's overlapping trips (several riders on board) on
  // separate lanes of its row.
  function lanes(trips) {
    var ends = [];
    trips.slice().sort(function (a, b) { return a.start - b.start || a.end - b.end; }).forEach(function (tr) {
      var i = 0;
      while (i < ends.length && ends[i] > tr.start) i++;
      ends[i] = tr.end;
      tr.lane = i;
    });
    return Math.max(1, ends.length);
  }

  function barLabel(tr) {
    var p = tr.pick, d = tr.drop;
    return t("shuttle.bar", {
      van: tr.van, rider: tr.pseudonym, dir: dirName(tr.direction), kind: catName(tr.kind), code: codeName(tr.colour),
      pick: p ? p.time : "–", from: p ? p.place : "", drop: d ? d.time : "–", to: d ? d.place : ""
    }) + (tr.urgent ? " · " + t("shuttle.urgentflag") : "");
  }

  function renderGantt() {
    var box = $("sh-gantt");
    clear(box);
    var tt = SH.tt;
    if (!tt || !(tt.vans || []).length) return;
    var trips = tripsOf(tt);
    var minS = Infinity, maxS = -Infinity;
    tt.vans.forEach(function (v) { minS = Math.min(minS, v.leaves_s); maxS = Math.max(maxS, v.returns_s); });
    trips.forEach(function (tr) { minS = Math.min(minS, tr.start); maxS = Math.max(maxS, tr.end); });
    var h0 = Math.floor(minS / 3600), h1 = Math.ceil(maxS / 3600);
    if (h1 <= h0) h1 = h0 + 1;
    var width = LABEL_W + (h1 - h0) * PX_H + 10;
    function x(sec) { return LABEL_W + (sec - h0 * 3600) / 3600 * PX_H; }
    var rows = [], y = AXIS_H;
    var changedTrips = {};
    SH.changed.forEach(function (c) { (c.changes.riders || []).forEach(function (r) { if (c.version === tt.version) changedTrips[r.trip_id] = true; }); });
    var cleaningMin = (tt.policy && tt.policy.cleaning_min) || 0;
    tt.vans.slice().sort(function (a, b) { return a.van - b.van; }).forEach(function (v) {
      var vt = trips.filter(function (tr) { return tr.van === v.van; });
      var n = lanes(vt);
      var hRow = n * (LANE_H + LANE_GAP) + 2 * ROW_PAD;
      rows.push({ v: v, trips: vt, y: y, h: hRow });
      y += hRow;
    });
    var height = y + 4;
    var labels = svg("svg", { class: "gantt-labels", width: 54, height: height, "aria-hidden": "true" });
    var s = svg("svg", { class: "gantt", width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "group",
      "aria-label": t("shuttle.gantt.label", { vans: rows.length, trips: trips.length }), id: "sh-gantt-svg" });
    s.appendChild(svg("defs", null, [svg("pattern", { id: "sh-clean", width: 5, height: 5, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, [
      svg("rect", { width: 5, height: 5, fill: "#ffffff" }), svg("rect", { width: 2, height: 5, fill: "#cfd8dc" })])]));
    var axis = svg("g", { class: "axis", "aria-hidden": "true" });
    for (var h = h0; h <= h1; h++) {
      axis.appendChild(svg("line", { class: "grid", x1: x(h * 3600), x2: x(h * 3600), y1: AXIS_H - 4, y2: height }));
      axis.appendChild(svg("text", { x: x(h * 3600) + 2, y: 13 }, [pad(h % 24) + ":00"]));
    }
    s.appendChild(axis);
    rows.forEach(function (r) {
      var g = svg("g", { class: "vanrow", "data-van": r.v.van, role: "list", "aria-label": vanName(r.v.van) });
      g.appendChild(svg("line", { class: "rowline", x1: 0, x2: width, y1: r.y + r.h, y2: r.y + r.h, "aria-hidden": "true" }));
      labels.appendChild(svg("text", { class: "rowlabel", x: 4, y: r.y + r.h / 2 + 4 }, [vanName(r.v.van)]));
      labels.appendChild(svg("line", { class: "rowline", x1: 0, x2: 54, y1: r.y + r.h, y2: r.y + r.h }));
      g.appendChild(svg("rect", { class: "span", x: x(r.v.leaves_s), y: r.y + 2, width: Math.max(1, x(r.v.returns_s) - x(r.v.leaves_s)), height: r.h - 4, "aria-hidden": "true" }));
      cleaningOf(r.v, cleaningMin).forEach(function (c) {
        var w = Math.max(2, x(c.to) - x(c.from));
        g.appendChild(svg("rect", { class: "cleaning", x: x(c.from), y: r.y + ROW_PAD, width: w, height: r.h - 2 * ROW_PAD, "aria-hidden": "true" }, [
          svg("title", null, [t("shuttle.cleaning", { from: hhmm(c.from), to: hhmm(c.to), a: codeName(c.colours[0]), b: codeName(c.colours[1]) })])]));
      });
      r.trips.forEach(function (tr) {
        var label = barLabel(tr);
        var cls = "bar" + (tr.urgent ? " urgent" : "") + (changedTrips[tr.id] ? " changed" : "") + (SH.selected === tr.id ? " selected" : "");
        var b = svg("rect", { class: cls, x: x(tr.start), y: r.y + ROW_PAD + tr.lane * (LANE_H + LANE_GAP), width: Math.max(3, x(tr.end) - x(tr.start)), height: LANE_H,
          rx: 2, fill: CODE_FILL[tr.colour] || "#546e7a", tabindex: "0", role: "button", "aria-label": label, "data-trip": tr.id, "data-van": tr.van,
          "aria-pressed": SH.selected === tr.id ? "true" : "false" }, [svg("title", null, [label])]);
        b.addEventListener("click", function () { select(tr.id, false); });
        b.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(tr.id, true); return; }
          var next = neighbour(b, e.key);
          if (next) { e.preventDefault(); next.focus(); }
        });
        g.appendChild(b);
      });
      s.appendChild(g);
    });
    if (SH.date === today()) {
      var now = LL.localInput(new Date()).slice(11, 16).split(":");
      var ns = +now[0] * 3600 + +now[1] * 60;
      if (ns >= h0 * 3600 && ns <= h1 * 3600) s.appendChild(svg("line", { class: "now", x1: x(ns), x2: x(ns), y1: AXIS_H - 6, y2: height, "aria-hidden": "true" }, [svg("title", null, [t("shuttle.now")])]));
    }
    var scroller = el("div", { class: "gantt-scroll", id: "sh-gantt-scroll" }, [s]);
    box.appendChild(el("div", { class: "gantt-body" }, [labels, scroller]));
    box.appendChild(el("div", { class: "gantt-legend", "aria-hidden": "true" }, ["green", "yellow", "orange", "red"].map(function (c) {
      return el("span", { class: "key" }, [el("span", { class: "sw " + c }), codeName(c)]);
    }).concat([el("span", { class: "key" }, [el("span", { class: "sw cleaning" }), t("shuttle.cleaningkey", { n: cleaningMin })]),
      el("span", { class: "key" }, [el("span", { class: "sw urgent" }), t("shuttle.urgentflag")])])));
    // start the scroll at the first trip
    var first = trips.reduce(function (m, tr) { return Math.min(m, tr.start); }, Infinity);
    if (isFinite(first)) scroller.scrollLeft = SH.scrollLeft !== undefined ? SH.scrollLeft : Math.max(0, x(first) - 20);
    scroller.addEventListener("scroll", function () { SH.scrollLeft = scroller.scrollLeft; });
  }

  // neighbour is the bar the arrow keys move to: the next or previous trip
  // of the van (by start), or the trip of the van above or below that starts
  // nearest in time.
  function neighbour(bar, key) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#sh-gantt .vanrow"));
    var row = bar.closest(".vanrow"), r = rows.indexOf(row);
    function bars(g) {
      return Array.prototype.slice.call(g.querySelectorAll(".bar")).sort(function (a, b) { return +a.getAttribute("x") - +b.getAttribute("x"); });
    }
    var mine = bars(row), i = mine.indexOf(bar);
    if (key === "ArrowRight") return mine[i + 1] || null;
    if (key === "ArrowLeft") return mine[i - 1] || null;
    if (key === "Home") return mine[0];
    if (key === "End") return mine[mine.length - 1];
    var other = key === "ArrowDown" ? rows[r + 1] : key === "ArrowUp" ? rows[r - 1] : null;
    if (!other) return null;
    var x = +bar.getAttribute("x"), best = null;
    bars(other).forEach(function (b) { if (!best || Math.abs(+b.getAttribute("x") - x) < Math.abs(+best.getAttribute("x") - x)) best = b; });
    return best;
  }

  // select opens the trip card of a bar and shows its van on the map.
  function select(id, focusCard) {
    SH.selected = id;
    var tr = tripById(id);
    Array.prototype.forEach.call(document.querySelectorAll("#sh-gantt .bar"), function (b) {
      var on = String(b.getAttribute("data-trip")) === String(id);
      b.classList.toggle("selected", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    renderTrip();
    if (tr) {
      SH.mapVan = tr.van;
      var ms = $("sh-mapvan");
      if (ms) ms.value = String(tr.van);
      renderMap(true);
    }
    if (focusCard && $("sh-tripcard")) $("sh-tripcard").focus();
  }

  function renderTrip() {
    var out = $("sh-trip");
    clear(out);
    var tr = SH.selected !== null ? tripById(SH.selected) : null;
    if (!tr) return;
    var info = tripInfo(tr.id) || {};
    var p = tr.pick, d = tr.drop;
    var atIn = el("input", { type: "time", name: "at", value: defaultAt(), required: "required" });
    var cancel = el("button", { type: "button", class: "danger", id: "sh-cancel-trip", text: t("shuttle.trip.cancel") });
    var result = el("div", { id: "sh-trip-result", "aria-live": "polite" });
    cancel.addEventListener("click", function () {
      if (!atIn.value) { atIn.focus(); return; }
      change([{ kind: "cancel_trip", trip_id: tr.id }], atIn.value, cancel, result);
    });
    out.appendChild(el("div", { class: "card tripcard " + (tr.colour || ""), id: "sh-tripcard", tabindex: "-1", role: "region", "aria-label": t("shuttle.trip.title", { rider: tr.pseudonym }) }, [
      el("h3", null, [t("shuttle.trip.title", { rider: "" }), el("span", { text: tr.pseudonym, translate: "no" }), tr.urgent ? el("span", { class: "badge sealed", text: " " + t("shuttle.urgentflag") }) : null]),
      el("table", { class: "kv" }, [
        kv(t("shuttle.van"), vanName(tr.van)),
        kv(t("shuttle.trip.what"), dirName(tr.direction) + " · " + catName(tr.kind) + (info.session ? " · " + info.session : "")),
        kv(t("shuttle.colour"), codeName(tr.colour)),
        kv(t("shuttle.trip.pick"), p ? p.time + " · " + p.place + " (" + t("shuttle.trip.stop", { n: tr.pickN }) + ")" : "–"),
        kv(t("shuttle.trip.drop"), d ? d.time + " · " + d.place + " (" + t("shuttle.trip.stop", { n: tr.dropN }) + ")" : "–"),
        kv(t("shuttle.trip.seats"), String(tr.seats || 1) + (tr.wheelchair ? " + " + t("shuttle.wheelchair") : "")),
        info.window ? kv(t("shuttle.trip.window"), hhmm(info.window[0]) + "–" + hhmm(info.window[1])) : null,
        info.max_ride_time ? kv(t("shuttle.trip.maxride"), t("unit.min", { n: Math.round(info.max_ride_time / 60) })) : null
      ]),
      el("div", { class: "shlinks" }, [
        tr.rider ? el("a", { href: ttURL("?format=html&rider=" + tr.rider), target: "_blank", text: t("shuttle.notice") }) : null,
        info.facility_id ? el("a", { href: ttURL("?format=html&facility=" + info.facility_id), target: "_blank", text: t("shuttle.arrivals") }) : null
      ]),
      el("div", { class: "row" }, [el("label", { class: "small" }, [t("shuttle.at") + " ", atIn]), cancel]),
      result
    ]));
  }

  // ---- changes: cancel a trip, a van out; who must be told ----

  function limitS() { return parseInt(dayForm.elements.limit.value, 10) || 6; }

  function change(list, at, btn, out) {
    btn.disabled = true;
    clear(out);
    out.appendChild(el("p", { class: "muted" }, [el("span", { class: "spinner" }), " " + t("shuttle.replanning")]));
    var date = SH.date;
    return LL.api("POST", "/v1/shuttles/timetables/" + encodeURIComponent(date) + "/changes?time_limit=" + limitS() + "s", { at: at, changes: list }).then(function (tt) {
      btn.disabled = false;
      clear(out);
      SH.tt = tt;
      SH.versions.push({ version: tt.version, reason: tt.reason, created_at: tt.created_at, author: tt.author });
      SH.changed.push({ version: tt.version, reason: tt.reason, author: tt.author, created_at: tt.created_at, changes: tt.changes });
      var keep = SH.selected !== null && tripById(SH.selected);
      if (!keep) SH.selected = null;
      render();
      var last = $("sh-lastchange");
      clear(last);
      last.appendChild(toldBlock(tt.changes, "sh-told"));
      last.scrollIntoView({ block: "nearest" });
      toast(t("shuttle.replanned", { n: tt.version }));
    }, function (err) {
      btn.disabled = false;
      clear(out);
      out.appendChild(errorCard(err));
    });
  }

  // toldBlock lists who must be told of one change report: riders (old and
  // new time and van) and drivers (their new route list).
  function toldBlock(ch, id) {
    if (!ch) return el("p", { class: "muted", text: t("shuttle.nochange") });
    var riders = ch.riders || [], drivers = ch.drivers || [];
    return el("div", { class: "card", id: id || null }, [
      el("h3", { text: t("shuttle.told") }),
      riders.length ? el("table", { class: "notices riders-told" }, [
        el("thead", null, el("tr", null, [t("shuttle.col.rider"), t("shuttle.col.what"), t("shuttle.col.old"), t("shuttle.col.new"), t("shuttle.col.place")].map(function (h) { return el("th", { text: h }); }))),
        el("tbody", null, riders.map(function (r) {
          return el("tr", { "data-rider": r.rider_id }, [
            el("td", { text: r.pseudonym + " (" + dirName(r.direction) + ")", translate: "no" }),
            el("td", { text: t("shuttle.what." + whatKey(r.what)) }),
            el("td", { class: r.what === "cancelled" ? "old" : null, text: r.old_time ? r.old_time + (r.old_van ? " · " + vanName(r.old_van) : "") : "–", translate: "no" }),
            el("td", { text: r.new_time ? r.new_time + (r.new_van ? " · " + vanName(r.new_van) : "") : "–", translate: "no" }),
            el("td", { text: r.place || "", translate: "no" })
          ]);
        }))
      ]) : el("p", { class: "muted", text: t("shuttle.noriders") }),
      drivers.length ? el("ul", { class: "small drivers-told" }, drivers.map(function (dv) {
        return el("li", null, [vanName(dv.van) + ": " + t("shuttle.driverchange", { added: dv.stops_added || 0, removed: dv.stops_removed || 0, moved: dv.stops_moved || 0 }) + " ",
          dv.route_list ? el("a", { href: "driver?id=" + encodeURIComponent(dv.route_list), target: "_blank", text: dv.route_list, translate: "no" }) : null]);
      })) : null
    ]);
  }
  function whatKey(w) { return ["time", "van", "cancelled", "added", "unplanned"].indexOf(w) >= 0 ? w : "other"; }

  function renderChanged() {
    var out = $("sh-changed");
    clear(out);
    if (!SH.tt) return;
    var box = el("details", { class: "card", id: "sh-changed-box", open: SH.changed.length ? "open" : null }, [
      el("summary", { text: t("shuttle.changed", { n: SH.changed.length }) })
    ]);
    if (!SH.changed.length) box.appendChild(el("p", { class: "muted", text: t("shuttle.changed.none") }));
    SH.changed.slice().reverse().forEach(function (c) {
      box.appendChild(el("h4", { text: t("shuttle.changed.item", { n: c.version, reason: t("shuttle.reason." + reasonKey(c.reason)), at: c.changes.at || "", who: c.author || "" }) }));
      box.appendChild(el("div", { class: "small", text: (c.changes.requests || []).map(requestText).join("; ") }));
      box.appendChild(toldBlock(c.changes));
    });
    out.appendChild(box);
  }
  function requestText(r) {
    switch (r.kind) {
      case "cancel_trip": return t("shuttle.req.cancel", { n: r.trip_id });
      case "van_out": return t("shuttle.req.vanout", { n: r.van });
      case "urgent": return t("shuttle.req.urgent", { at: r.start || "" });
      default: return r.kind;
    }
  }

  function renderVanSelect() {
    var sel = $("sh-vanout").elements.van;
    var cur = sel.value;
    clear(sel);
    ((SH.tt && SH.tt.fleet) || []).forEach(function (v) {
      if ((SH.tt.vans_out || []).indexOf(v.id) >= 0) return;
      sel.appendChild(el("option", { value: v.id, text: vanName(v.id) + (v.standby ? " · " + t("shuttle.standby") : "") }));
    });
    if (cur) sel.value = cur;
    $("sh-vanout").elements.at.value = defaultAt();
    if (!$("sh-urgent").elements.at.value || !SH.urgentAtSet) $("sh-urgent").elements.at.value = SH.date === today() ? nowClock() : "08:00";
  }

  $("sh-vanout").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    if (!SH.tt) return;
    var box = $("sh-vanout-result") || f.parentNode.appendChild(el("div", { id: "sh-vanout-result", "aria-live": "polite" }));
    change([{ kind: "van_out", van: parseInt(f.elements.van.value, 10) }], f.elements.at.value, f.querySelector("button[type=submit]"), box);
  });

  // ---- the day's routes on the planner map ----

  var legCache = {};
  function leg(a, b) {
    if (a[0] === b[0] && a[1] === b[1]) return Promise.resolve([a]);
    var k = a.join(",") + ";" + b.join(",");
    if (!legCache[k]) {
      legCache[k] = LL.api("GET", "/v1/route?from=" + a[0] + "," + a[1] + "&to=" + b[0] + "," + b[1], null, { quiet: true }).then(function (r) {
        return r && r.geometry && r.geometry.coordinates ? r.geometry.coordinates : [a, b];
      }, function () { return [a, b]; });
    }
    return legCache[k];
  }
  var mapToken = 0;
  function renderMap(fit) {
    var L = window.lifeline;
    if (!L || !L.showVanRoutes) return;
    var tt = SH.tt;
    var fleet = {};
    ((tt && tt.fleet) || []).forEach(function (v) { fleet[v.id] = v; });
    var vans = ((tt && tt.vans) || []).filter(function (v) { return !SH.mapVan || v.van === SH.mapVan; });
    var routes = vans.map(function (v) {
      var depot = fleet[v.van] ? fleet[v.van].start : null;
      var locs = (depot ? [depot] : []).concat(v.stops.map(function (s) { return s.point; })).concat(depot ? [depot] : []);
      return {
        van: v.van, color: VAN_COLORS[(v.van - 1) % VAN_COLORS.length], locs: locs, lines: [locs],
        stops: v.stops.map(function (s, i) { return { loc: s.point, n: i + 1, label: vanName(v.van) + " · " + s.time + " · " + (s.action === "pick_up" ? t("shuttle.board") : t("shuttle.alight")) + " " + s.pseudonym + " · " + s.place }; })
      };
    });
    L.showVanRoutes(routes);
    var token = ++mapToken;
    Promise.all(routes.map(function (r) {
      var legs = [];
      for (var i = 0; i + 1 < r.locs.length; i++) legs.push(leg(r.locs[i], r.locs[i + 1]));
      return Promise.all(legs).then(function (ls) { r.lines = ls; });
    })).then(function () { if (token === mapToken) L.showVanRoutes(routes); });
    if (fit && L.map && routes.length) {
      var b = null;
      routes.forEach(function (r) {
        r.locs.forEach(function (p) {
          if (!b) b = [p[0], p[1], p[0], p[1]];
          b = [Math.min(b[0], p[0]), Math.min(b[1], p[1]), Math.max(b[2], p[0]), Math.max(b[3], p[1])];
        });
      });
      if (b) L.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, animate: false, maxZoom: 16 });
    }
  }

  // ---- planning the day (a job of the solve queue) ----

  dayForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var date = dateInput.value;
    if (!date) { dateInput.focus(); return; }
    var limit = parseInt(dayForm.elements.limit.value, 10) || 6;
    var vans = parseInt(dayForm.elements.vans.value, 10) || 8;
    var btn = $("sh-plan"), cancel = $("sh-cancel"), bar = $("sh-progress");
    btn.disabled = true;
    setStatus(t("shuttle.running", { n: limit }));
    function done() { btn.disabled = false; cancel.hidden = true; bar.hidden = true; SH.job = null; }
    function failed(err) { done(); setStatus(""); showError(t("shuttle.plan.failed"), err); $("sh-summary").appendChild(errorCard(err)); }
    LL.api("POST", "/v1/shuttles/plan?async=true&time_limit=" + limit + "s", { date: date, van_count: vans }).then(function (j) {
      SH.job = j.id;
      cancel.hidden = false;
      bar.hidden = false;
      bar.value = 0;
      function poll() {
        LL.api("GET", "/v1/jobs/" + encodeURIComponent(j.id), null, { quiet: true }).then(function (st) {
          if (SH.cancelled[j.id]) return;
          if (st.state === "running" || st.state === "queued") {
            var p = st.progress;
            if (p) {
              bar.value = Math.min(100, 100 * p.elapsed_s / limit);
              setStatus(t("shuttle.progress", { s: p.elapsed_s.toFixed(1), vans: p.vehicles, it: p.iteration }));
            }
            setTimeout(poll, 400);
            return;
          }
          if (st.state === "done") {
            done();
            setStatus(t("shuttle.published", { n: st.result.version }));
            SH.date = date;
            SH.selected = null;
            SH.mapVan = 0;
            SH.scrollLeft = undefined;
            load(date).then(function () { renderMap(true); });
          } else if (st.state === "cancelled") {
            done();
            setStatus(t("shuttle.cancelled"));
          } else {
            failed(st.error ? new LL.ApiError(st.error.status || 422, st.error.code, st.error.message, st.error.details) : new Error(st.state));
          }
        }, failed);
      }
      poll();
    }, failed);
  });
  $("sh-cancel").addEventListener("click", function () {
    var id = SH.job;
    if (!id) return;
    LL.api("DELETE", "/v1/jobs/" + encodeURIComponent(id)).then(function () {
      SH.cancelled[id] = true;
      $("sh-plan").disabled = false;
      $("sh-cancel").hidden = true;
      $("sh-progress").hidden = true;
      SH.job = null;
      setStatus(t("shuttle.cancelled"));
    }, function (err) { showError(t("shuttle.cancel"), err); });
  });
  $("sh-reload").addEventListener("click", function () { load(dateInput.value || today(), true).then(function () { renderMap(true); }); });
  dateInput.addEventListener("change", function () {
    if (!dateInput.value) return;
    SH.mapVan = 0;
    SH.scrollLeft = undefined;
    load(dateInput.value).then(function () { renderMap(true); });
  });

  // ---- the urgent call ----

  var urgent = $("sh-urgent");
  function whoMode() { return urgent.querySelector("input[name=who]:checked").value; }
  Array.prototype.forEach.call(urgent.querySelectorAll("input[name=who]"), function (r) {
    r.addEventListener("change", function () {
      var isNew = whoMode() === "new";
      $("sh-urgent-registry").hidden = isNew;
      $("sh-urgent-new").hidden = !isNew;
      if (isNew) places().then(function () {
        if (!urgent.elements.compound.options.length) compoundOptions(urgent.elements.compound);
        if (!urgent.elements.facility.options.length) { facilityOptions(urgent.elements.facility); suggestFacility(); }
      }, function (err) { showError(t("shuttle.urgent"), err); });
    });
  });
  urgent.elements.at.addEventListener("input", function () { SH.urgentAtSet = true; });
  // suggestFacility picks a hospital that takes the caller's colour, a
  // maternity hospital for a pregnancy (the server decides in the end).
  function suggestFacility() {
    var colour = urgent.elements.colour.value, cat = urgent.elements.newcat.value;
    var preg = cat === "labour" || cat === "prenatal";
    var fs = careFacilities().filter(function (f) { return (props(f).accepts || []).indexOf(colour) >= 0; });
    var mat = fs.filter(function (f) { return /妇幼|妇产|产科|matern|obstetric|women/i.test(props(f).name || ""); });
    var pick = (preg && mat[0]) || fs.filter(function (f) { return props(f).kind === "hospital"; })[0] || fs[0];
    if (pick) urgent.elements.facility.value = String(props(pick).id);
    urgent.elements.kind.value = preg ? "labour" : "other";
  }
  urgent.elements.colour.addEventListener("change", suggestFacility);
  urgent.elements.newcat.addEventListener("change", suggestFacility);

  var searchTimer = null;
  function searchRiders(q, sel) {
    return LL.api("GET", "/v1/riders?limit=50" + (q ? "&q=" + encodeURIComponent(q) : ""), null, { quiet: true }).then(function (r) {
      clear(sel);
      (r.riders || []).forEach(function (x) {
        sel.appendChild(el("option", { value: x.id, text: x.pseudonym + " · " + x.name + " · " + catName(x.category) + " · " + codeName(x.health_code && x.health_code.colour), translate: "no" }));
      });
      if (!sel.options.length) sel.appendChild(el("option", { value: "", text: t("shuttle.reg.nomatch") }));
      return r.riders || [];
    });
  }
  urgent.elements.q.addEventListener("input", function () {
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      searchRiders(urgent.elements.q.value.trim(), urgent.elements.rider).catch(function (err) { showError(t("shuttle.urgent"), err); });
    }, 250);
  });
  $("sh-urgent-box").addEventListener("toggle", function () {
    if ($("sh-urgent-box").open && !urgent.elements.rider.options.length) searchRiders("", urgent.elements.rider).catch(function () { /* shown on send */ });
  });

  // newRider registers an urgent caller who is not in the registry: a new
  // pseudonym, boarding at the compound's first gate.
  function newRider() {
    var f = urgent.elements;
    var c = compoundById(f.compound.value);
    if (!c) return Promise.reject(new Error(t("shuttle.urgent.nocompound")));
    var gates = props(c).gates || [];
    var pt = gates[0] || centreOf(c.geometry);
    var d = new Date();
    var pseudo = "U-" + String(d.getTime()).slice(-6);
    return LL.api("POST", "/v1/riders", {
      pseudonym: pseudo, name: f.name.value.trim(), phone: f.phone.value.trim(), compound_id: parseInt(f.compound.value, 10),
      boarding: { point: pt, label: gates.length ? "gate 1" : "main door", kind: gates.length ? "gate" : "building" },
      category: f.newcat.value, health_code: { colour: f.colour.value, set_on: SH.date || today() },
      mobility: { wheelchair: false, companions: 0 }, facility_id: parseInt(f.facility.value, 10)
    });
  }
  function centreOf(g) {
    var ring = g && (g.type === "Polygon" ? g.coordinates[0] : g.type === "MultiPolygon" ? g.coordinates[0][0] : null);
    if (!ring) return null;
    var x = 0, y = 0;
    ring.forEach(function (p) { x += p[0]; y += p[1]; });
    return [x / ring.length, y / ring.length];
  }

  urgent.addEventListener("submit", function (e) {
    e.preventDefault();
    var out = $("sh-urgent-result");
    clear(out);
    if (!SH.tt) { out.appendChild(errorCard(new Error(t("shuttle.urgent.noplan")))); return; }
    var btn = $("sh-urgent-send");
    var f = urgent.elements;
    var date = SH.date;
    btn.disabled = true;
    var riderP = whoMode() === "new" ? newRider().then(function (r) { return r.id; }) : Promise.resolve(parseInt(f.rider.value, 10));
    riderP.then(function (id) {
      if (!id) throw new Error(t("shuttle.urgent.norider"));
      return LL.api("POST", "/v1/shuttles/urgent", { date: date, rider_id: id, at: f.at.value, category: f.kind.value });
    }).then(function (u) {
      btn.disabled = false;
      var a = u.answer || {};
      out.appendChild(el("div", { class: "answer", id: "sh-answer", "data-van": a.van, "data-trip": a.trip_id, "data-pickup": a.pickup_time }, [
        el("p", { class: "big", text: t("shuttle.answer", { van: a.van, time: a.pickup_time }) }),
        el("p", { text: t("shuttle.answer.more", { arrival: a.arrival || "", extra: Math.round((a.extra_drive_s || 0) / 60), ms: Math.round(a.elapsed_ms || 0) }) }),
        a.standby ? el("p", { class: "small", text: t("shuttle.answer.standby") }) : null,
        u.route_list ? el("p", { class: "small" }, [t("shuttle.answer.list") + " ", el("a", { href: "driver?id=" + encodeURIComponent(u.route_list), target: "_blank", text: u.route_list, translate: "no" })]) : null,
        u.driver_phone ? el("p", { class: "small", text: t("shuttle.answer.phone", { phone: u.driver_phone }) }) : null,
        toldBlock(u.changes)
      ]));
      return load(date, false).then(function () { if (a.trip_id) select(a.trip_id, false); });
    }).catch(function (err) {
      btn.disabled = false;
      out.appendChild(errorCard(err));
    });
  });

  // ---- the riders' registry ----

  var regForm = $("sh-search");
  function listRiders() {
    var out = $("sh-reg-list");
    var q = regForm.elements.q.value.trim();
    return LL.api("GET", "/v1/riders?limit=50" + (q ? "&q=" + encodeURIComponent(q) : "")).then(function (r) {
      clear(out);
      var rs = r.riders || [];
      if (!rs.length) { out.appendChild(el("p", { class: "muted", text: t("shuttle.reg.nomatch") })); return; }
      out.appendChild(el("p", { class: "small", text: t("shuttle.reg.count", { n: rs.length }) }));
      out.appendChild(el("table", { class: "riders", id: "sh-riders" }, [
        el("thead", null, el("tr", null, [t("shuttle.col.rider"), t("shuttle.name"), t("shuttle.category"), t("shuttle.colour"), ""].map(function (h) { return el("th", { text: h }); }))),
        el("tbody", null, rs.map(function (x) {
          return el("tr", { "data-id": x.id }, [
            el("td", { text: x.pseudonym, translate: "no" }), el("td", { text: x.name, translate: "no" }), el("td", { text: catName(x.category) }),
            el("td", { text: codeName(x.health_code && x.health_code.colour) }),
            el("td", null, el("button", { type: "button", class: "small-btn", text: t("shuttle.reg.edit"), "aria-label": t("shuttle.reg.editof", { rider: x.pseudonym }), onclick: function () { openEditor(x.id); } }))
          ]);
        }))
      ]));
    }, function (err) { clear(out); out.appendChild(errorCard(err)); });
  }
  regForm.addEventListener("submit", function (e) { e.preventDefault(); listRiders(); });
  $("sh-registry").addEventListener("toggle", function () {
    if ($("sh-registry").open && !$("sh-reg-list").firstChild) listRiders();
  });
  $("sh-reg-new").addEventListener("click", function () {
    places().then(function () {
      var c = SH.places.compounds[0];
      editor({ pseudonym: "", name: "", phone: "", compound_id: c ? props(c).id : 0, boarding: { point: null, label: "gate 1", kind: "gate" },
        category: "dialysis", health_code: { colour: "green", set_on: today() }, mobility: { wheelchair: false, companions: 0 },
        facility_id: 0, sessions: [{ weekdays: ["mon", "wed", "fri"], start: "07:30", duration_min: 240 }], due_date: "" });
    }, function (err) { showError(t("shuttle.registry"), err); });
  });

  function openEditor(id) {
    Promise.all([LL.api("GET", "/v1/riders/" + id), places()]).then(function (r) { editor(r[0]); }, function (err) { showError(t("shuttle.registry"), err); });
  }

  // editor is the rider's form: every field of the registry, sessions as
  // rows (weekdays, start, minutes). Saving PUTs (or POSTs a new rider);
  // the server's error is shown word for word and its field focused.
  function editor(r) {
    var out = $("sh-reg-edit");
    clear(out);
    var isNew = !r.id;
    var sessions = (r.sessions || []).map(function (s) { return { weekdays: s.weekdays.slice(), start: s.start, duration_min: s.duration_min }; });
    function inp(name, value, attrs) { return el("input", Object.assign({ name: name, value: value === undefined || value === null ? "" : String(value) }, attrs || {})); }
    function sel(name, opts, value) {
      var s = el("select", { name: name }, opts.map(function (o) { return el("option", { value: o[0], text: o[1] }); }));
      s.value = value;
      return s;
    }
    function field(label, input) { return el("label", { class: "f" }, [el("span", { text: label }), input]); }
    var compoundSel = el("select", { name: "compound_id" });
    compoundOptions(compoundSel, r.compound_id);
    var gateSel = el("select", { name: "gate" });
    function gates() {
      clear(gateSel);
      var c = compoundById(compoundSel.value);
      gateSel.appendChild(el("option", { value: "keep", text: t("shuttle.reg.keepplace") }));
      ((c && props(c).gates) || []).forEach(function (g, i) { gateSel.appendChild(el("option", { value: String(i), text: t("shuttle.reg.gate", { n: i + 1 }) })); });
      gateSel.value = r.boarding && r.boarding.point && String(compoundSel.value) === String(r.compound_id) ? "keep" : "0";
      if (!gateSel.value) gateSel.value = "keep";
    }
    compoundSel.addEventListener("change", gates);
    gates();
    var facSel = el("select", { name: "facility_id" });
    facilityOptions(facSel, r.facility_id);
    var sessBox = el("div", { class: "sessions" });
    function renderSessions() {
      clear(sessBox);
      sessions.forEach(function (s, i) {
        var days = el("div", { class: "row", role: "group", "aria-label": t("shuttle.reg.weekdays") }, WEEKDAYS.map(function (d) {
          var cb = el("input", { type: "checkbox", checked: s.weekdays.indexOf(d) >= 0 ? "checked" : null, name: "sessions[" + i + "].weekdays" });
          cb.addEventListener("change", function () {
            s.weekdays = WEEKDAYS.filter(function (w) { return w === d ? cb.checked : s.weekdays.indexOf(w) >= 0; });
          });
          return el("label", { class: "check small" }, [cb, " " + t("shuttle.day." + d)]);
        }));
        var st = inp("sessions[" + i + "].start", s.start, { type: "time" });
        st.addEventListener("input", function () { s.start = st.value; });
        var du = inp("sessions[" + i + "].duration_min", s.duration_min, { type: "number", min: "15", max: "720" });
        du.addEventListener("input", function () { s.duration_min = parseInt(du.value, 10) || 0; });
        sessBox.appendChild(el("fieldset", { class: "rowcard" }, [
          el("legend", { text: t("shuttle.reg.session", { n: i + 1 }) }), days,
          el("div", { class: "frow" }, [field(t("shuttle.reg.start"), st), field(t("shuttle.reg.minutes"), du)]),
          el("button", { type: "button", class: "danger small-btn", text: "×", "aria-label": t("shuttle.reg.removesession"), title: t("shuttle.reg.removesession"),
            onclick: function () { sessions.splice(i, 1); renderSessions(); } })
        ]));
      });
    }
    renderSessions();
    var cats = ["dialysis", "prenatal", "labour", "chemotherapy", "other"].map(function (c) { return [c, catName(c)]; });
    var colours = ["green", "yellow", "orange", "red"].map(function (c) { return [c, codeName(c)]; });
    var result = el("div", { "aria-live": "polite", id: "sh-reg-result" });
    var form = el("form", { class: "form card", id: "sh-rider-form", novalidate: "novalidate" }, [
      el("h3", { text: isNew ? t("shuttle.reg.new") : t("shuttle.reg.editof", { rider: r.pseudonym }) }),
      el("div", { class: "frow" }, [field(t("shuttle.reg.pseudonym"), inp("pseudonym", r.pseudonym, { maxlength: "12", placeholder: "D-017" })),
        field(t("shuttle.name"), inp("name", r.name, { maxlength: "100", autocomplete: "off" })),
        field(t("shuttle.phone"), inp("phone", r.phone, { type: "tel", maxlength: "24", autocomplete: "off" }))]),
      field(t("shuttle.compound"), compoundSel),
      el("div", { class: "frow" }, [field(t("shuttle.reg.boarding"), gateSel),
        field(t("shuttle.reg.label"), inp("boarding.label", r.boarding && r.boarding.label, { maxlength: "100" })),
        field(t("shuttle.reg.kind"), sel("boarding.kind", [["gate", t("shuttle.reg.kind.gate")], ["building", t("shuttle.reg.kind.building")]], (r.boarding && r.boarding.kind) || "gate"))]),
      el("div", { class: "frow" }, [field(t("shuttle.category"), sel("category", cats, r.category)),
        field(t("shuttle.colour"), sel("health_code.colour", colours, r.health_code && r.health_code.colour)),
        field(t("shuttle.reg.seton"), inp("health_code.set_on", r.health_code && r.health_code.set_on, { type: "date" }))]),
      el("div", { class: "frow" }, [
        el("label", { class: "check f" }, [el("input", { type: "checkbox", name: "mobility.wheelchair", checked: r.mobility && r.mobility.wheelchair ? "checked" : null }), " " + t("shuttle.wheelchair")]),
        field(t("shuttle.reg.companions"), inp("mobility.companions", (r.mobility && r.mobility.companions) || 0, { type: "number", min: "0", max: "2" })),
        field(t("shuttle.reg.due"), inp("due_date", r.due_date, { type: "date" }))]),
      field(t("shuttle.facility"), facSel),
      el("h4", { text: t("shuttle.reg.sessions") }), sessBox,
      el("button", { type: "button", text: t("shuttle.reg.addsession"), onclick: function () { sessions.push({ weekdays: ["mon", "wed", "fri"], start: "07:30", duration_min: 240 }); renderSessions(); } }),
      el("div", { class: "row" }, [
        el("button", { type: "submit", class: "primary", id: "sh-rider-save", text: t("shuttle.reg.save") }),
        isNew ? null : el("button", { type: "button", class: "danger", text: t("shuttle.reg.archive"), onclick: function () { archive(r); } }),
        el("button", { type: "button", text: t("common.cancel"), onclick: function () { clear(out); } })
      ]),
      result
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var f = form.elements;
      var c = compoundById(f.compound_id.value);
      var point = r.boarding && r.boarding.point;
      if (f.gate.value !== "keep" && c) point = (props(c).gates || [])[parseInt(f.gate.value, 10)] || point;
      var body = {
        pseudonym: f.pseudonym.value.trim(), name: f.name.value.trim(), phone: f.phone.value.trim(), compound_id: parseInt(f.compound_id.value, 10) || 0,
        boarding: { point: point || [0, 0], label: f["boarding.label"].value.trim(), kind: f["boarding.kind"].value },
        category: f.category.value, health_code: { colour: f["health_code.colour"].value, set_on: f["health_code.set_on"].value },
        mobility: { wheelchair: f["mobility.wheelchair"].checked, companions: parseInt(f["mobility.companions"].value, 10) || 0 },
        facility_id: parseInt(f.facility_id.value, 10) || 0,
        sessions: sessions.filter(function () { return true; }), due_date: f.due_date.value
      };
      clear(result);
      LL.api(isNew ? "POST" : "PUT", isNew ? "/v1/riders" : "/v1/riders/" + r.id, body).then(function (saved) {
        result.appendChild(el("p", { class: "muted", id: "sh-rider-saved", text: t("shuttle.reg.saved", { rider: saved.pseudonym }) }));
        r = saved;
        isNew = false;
        listRiders();
      }, function (err) {
        result.appendChild(errorCard(err));
        var path = err && err.details && err.details.path;
        if (path && f[path]) f[path].focus();
      });
    });
    out.appendChild(form);
    form.elements.name.focus();
  }

  function archive(r) {
    if (!window.confirm(t("shuttle.reg.archive.confirm", { rider: r.pseudonym }))) return;
    LL.api("DELETE", "/v1/riders/" + r.id).then(function () {
      clear($("sh-reg-edit"));
      toast(t("shuttle.reg.archived", { rider: r.pseudonym }));
      listRiders();
    }, function (err) { showError(t("shuttle.reg.archive"), err); });
  }

  $("sh-import").addEventListener("change", function (e) {
    var file = e.target.files && e.target.files[0];
    var out = $("sh-import-result");
    clear(out);
    if (!file) return;
    file.text().then(function (text) {
      return LL.api("POST", "/v1/riders/import", text, { contentType: "text/csv" });
    }).then(function (r) {
      out.appendChild(el("div", { class: "card", id: "sh-import-ok" }, [
        el("b", { text: t("shuttle.reg.imported", { n: r.imported }) }),
        el("div", { class: "small", text: (r.riders || []).slice(0, 50).map(function (x) { return x.pseudonym; }).join(", "), translate: "no" })
      ]));
      listRiders();
    }).catch(function (err) {
      var rows = err && err.details && Array.isArray(err.details.errors) ? err.details.errors : [];
      out.appendChild(el("div", { class: "card error", role: "alert", id: "sh-import-errors" }, [
        el("div", { text: LL.describe(err) }),
        rows.length ? el("table", { class: "rowerrors" }, [
          el("thead", null, el("tr", null, [t("shuttle.col.row"), t("shuttle.col.column"), t("shuttle.col.problem")].map(function (h) { return el("th", { text: h }); }))),
          el("tbody", null, rows.map(function (x) {
            return el("tr", null, [el("td", { text: String(x.row) }), el("td", { text: x.column || "", translate: "no" }), el("td", { text: x.message, translate: "no" })]);
          }))
        ]) : null
      ]));
    }).finally(function () { e.target.value = ""; });
  });

  // ---- start: the first time the tab is shown ----

  function start() {
    if (SH.started) return;
    SH.started = true;
    dateInput.value = today();
    load(today()).then(function () { if (SH.tt) renderMap(true); });
  }
  new MutationObserver(function () { if (!panel.hidden) start(); }).observe(panel, { attributes: true, attributeFilter: ["hidden"] });
  if (!panel.hidden) start();
  I18N.onChange(function () { if (SH.started) render(); });

  // A handle for the browser tests and the console.
  window.lifelineShuttles = { state: SH, load: load, trips: function () { return tripsOf(SH.tt); } };
})();
