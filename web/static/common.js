// common.js: helpers shared by the planner map and the driver page.
// Plain browser JavaScript, no build step; defines the global LL. Loaded
// after i18n.js (LL.t is I18N.t when that is present).
"use strict";

var LL = (function () {
  var T = typeof I18N !== "undefined" ? I18N.t : function (k) { return k; };
  // The district's time zone: every date and time shown or entered is in it,
  // whatever the zone of the browser.
  var TZ = "Asia/Shanghai";

  // ApiError carries the service's JSON error body {"code","message","details"}
  // (details an object; details.path names the offending element).
  function ApiError(status, code, message, details) {
    this.name = "ApiError";
    this.status = status;
    this.code = code || "http_" + status;
    this.message = message || T("err.status", { status: status });
    this.details = details;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  // errorFromBody turns a decoded error response into an ApiError. The
  // service answers {"code","message","details"}; an older or foreign
  // {"error":{...}} wrapper is read too. It returns null when the body is not
  // such an error (then the caller falls back to the status).
  function errorFromBody(status, data) {
    if (!data || typeof data !== "object" || Array.isArray(data)) return null;
    var e = data;
    if (data.error && typeof data.error === "object" && !Array.isArray(data.error)) e = data.error;
    if (typeof e.message !== "string" || !e.message) return null;
    var details = e.details && typeof e.details === "object" ? e.details : undefined;
    return new ApiError(status, typeof e.code === "string" ? e.code : undefined, e.message, details);
  }

  var inflight = 0;
  var busyListeners = [];

  function setBusy(delta) {
    inflight += delta;
    for (var i = 0; i < busyListeners.length; i++) busyListeners[i](inflight > 0);
  }

  // api sends a request to the service and resolves with the decoded JSON
  // body (or null for an empty body). It rejects with an ApiError for an
  // error status (carrying the server's own code, message and details) or
  // an unreachable server. Every call counts towards the loading indicator.
  function api(method, path, body, opts) {
    opts = opts || {};
    var init = { method: method, headers: { Accept: "application/json, application/geo+json" }, credentials: "same-origin" };
    if (opts.headers) for (var h in opts.headers) init.headers[h] = opts.headers[h];
    if (body !== undefined && body !== null) {
      init.headers["Content-Type"] = opts.contentType || "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    var ctrl = typeof AbortController !== "undefined" ? new AbortController() : null;
    var timer = null;
    if (ctrl) {
      init.signal = ctrl.signal;
      timer = setTimeout(function () { ctrl.abort(); }, opts.timeoutMs || 120000);
    }
    if (!opts.quiet) setBusy(1);
    return fetch(path, init)
      .then(
        function (resp) {
          return resp.text().then(function (text) {
            var data = null;
            if (text) {
              try {
                data = JSON.parse(text);
              } catch (e) {
                if (resp.ok) throw new ApiError(resp.status, "bad_response", T("err.notjson"));
              }
            }
            if (resp.status === 401 && path.indexOf("/v1/auth/") !== 0 && typeof location !== "undefined") {
              // not signed in (or the session ended): go to the sign-in page and come back
              location.assign("/signin.html?next=" + encodeURIComponent(location.pathname + location.search));
            }
            if (!resp.ok) {
              var err = errorFromBody(resp.status, data);
              if (err) throw err;
              if (resp.status === 404 || resp.status === 405) {
                throw new ApiError(resp.status, "not_available", T("err.notoffered", { what: method + " " + path.split("?")[0], status: resp.status }));
              }
              throw new ApiError(resp.status, undefined, text && !data ? text.slice(0, 200) : resp.statusText || undefined);
            }
            return data;
          });
        },
        function (e) {
          if (e && e.name === "AbortError") throw new ApiError(0, "timeout", T("err.timeout"));
          throw new ApiError(0, "unreachable", T("err.unreachable", { why: e && e.message ? e.message : String(e) }));
        }
      )
      .finally(function () {
        if (timer) clearTimeout(timer);
        if (!opts.quiet) setBusy(-1);
      });
  }

  function onBusy(fn) { busyListeners.push(fn); }

  // describe turns any error into one line of text for the user: the
  // server's message word for word, its code and status, and where the
  // problem is (details.path).
  function describe(err) {
    if (!err) return T("err.unknown");
    if (err instanceof ApiError) {
      var s = err.message + " [" + err.code + (err.status ? ", HTTP " + err.status : "") + "]";
      var d = err.details;
      if (d !== undefined && d !== null) {
        if (typeof d === "object" && d.path) s += " " + T("err.at", { path: d.path });
        else if (typeof d !== "object" || Object.keys(d).length) s += " " + JSON.stringify(d).slice(0, 300);
      }
      return s;
    }
    return String(err.message || err);
  }

  // el builds a DOM element: el("div", {class: "x", onclick: fn}, [children or text]).
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === undefined || attrs[k] === null || attrs[k] === false) continue;
        if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
        else if (k === "text") e.textContent = attrs[k];
        // through the CSSOM: a style attribute is inline style, which the
        // Content-Security-Policy (style-src 'self') refuses
        else if (k === "style") e.style.cssText = attrs[k];
        else e.setAttribute(k, attrs[k]);
      }
    }
    if (children !== undefined && children !== null) {
      if (!Array.isArray(children)) children = [children];
      for (var i = 0; i < children.length; i++) {
        var c = children[i];
        if (c === null || c === undefined || c === false) continue;
        e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
      }
    }
    return e;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // zoneParts gives the wall-clock fields of d in the district's zone.
  var partsFmt = null;
  function zoneParts(d) {
    if (!partsFmt) {
      partsFmt = new Intl.DateTimeFormat("en-US", {
        timeZone: TZ, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit"
      });
    }
    var o = {};
    partsFmt.formatToParts(d).forEach(function (p) { o[p.type] = p.value; });
    return { y: +o.year, mo: +o.month, d: +o.day, h: +o.hour % 24, mi: +o.minute, s: +o.second };
  }
  // offsetMinutes is the district zone's offset from UTC at d.
  function offsetMinutes(d) {
    var p = zoneParts(d);
    var asUTC = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
    return Math.round((asUTC - Math.floor(d.getTime() / 1000) * 1000) / 60000);
  }

  // rfc3339 formats a Date in the district's time zone with its offset,
  // e.g. 2026-11-23T08:00:00+08:00.
  function rfc3339(d) {
    var p = zoneParts(d), off = offsetMinutes(d);
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return p.y + "-" + pad(p.mo) + "-" + pad(p.d) + "T" + pad(p.h) + ":" + pad(p.mi) + ":" + pad(p.s) +
      sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  // localInput formats a Date for <input type="datetime-local"> in the
  // district's zone.
  function localInput(d) {
    var p = zoneParts(d);
    return p.y + "-" + pad(p.mo) + "-" + pad(p.d) + "T" + pad(p.h) + ":" + pad(p.mi);
  }

  // parseLocal reads "YYYY-MM-DDTHH:MM" as a wall-clock time in the
  // district's zone; null when it is not one.
  function parseLocal(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(String(s || ""));
    if (!m) return null;
    var guess = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0)));
    if (isNaN(guess.getTime())) return null;
    // subtract the zone's offset (twice, for a day when it changes)
    var t = guess.getTime() - offsetMinutes(guess) * 60000;
    t = guess.getTime() - offsetMinutes(new Date(t)) * 60000;
    var d = new Date(t);
    // reject fields out of range (month 13, 31 February), which Date rolls over
    if (localInput(d) !== m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5]) return null;
    return d;
  }

  // shortTime shows an RFC 3339 string compactly in the district's zone.
  function shortTime(s) {
    if (!s) return "";
    var d = new Date(s);
    if (isNaN(d.getTime())) return String(s);
    var p = zoneParts(d);
    return p.y + "-" + pad(p.mo) + "-" + pad(p.d) + " " + pad(p.h) + ":" + pad(p.mi);
  }

  // clock shows seconds after midnight (VROOM's times) as HH:MM.
  function clock(sec) {
    if (typeof sec !== "number" || !isFinite(sec)) return "";
    var s = Math.max(0, Math.round(sec));
    return pad(Math.floor(s / 3600) % 24) + ":" + pad(Math.floor(s / 60) % 60);
  }

  // me asks the server who is signed in: {username, role}. Without the
  // auth endpoint (404) everyone may do everything (a developer's server).
  function me() {
    return api("GET", "/v1/auth/me", null, { quiet: true }).then(function (m) {
      return m && m.role ? m : { username: "", role: "*" };
    }, function (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return { username: "", role: "*" };
      if (err instanceof ApiError && err.status === 401) return { username: "", role: "", signedOut: true };
      throw err;
    });
  }

  // applyRoles hides every element tagged data-roles="planner admin" whose
  // list does not hold me.role ("*" or admin see everything) and returns the
  // number of elements hidden.
  function applyRoles(me, root) {
    root = root || document;
    var role = me && me.role;
    var hidden = 0;
    Array.prototype.forEach.call(root.querySelectorAll("[data-roles]"), function (e) {
      var allowed = e.getAttribute("data-roles").split(/\s+/).filter(Boolean);
      var ok = role === "*" || role === "admin" || allowed.indexOf(role) >= 0;
      if (!ok) hidden++;
      e.toggleAttribute("data-role-hidden", !ok);
      if (!ok) e.hidden = true;
      else if (e.hasAttribute("data-role-was-hidden")) e.hidden = false;
      if (!ok) e.setAttribute("data-role-was-hidden", "");
    });
    return hidden;
  }

  // contrast is the WCAG 2 contrast ratio of two colours "#rrggbb" or
  // "rgb(r, g, b)".
  function contrast(a, b) {
    function rgb(c) {
      var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
      if (m) return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
      m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(c);
      if (m) return [+m[1], +m[2], +m[3]];
      throw new Error("not a colour: " + c);
    }
    function lum(c) {
      var v = rgb(c).map(function (x) {
        x /= 255;
        return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
    }
    var la = lum(a), lb = lum(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  return {
    TZ: TZ,
    t: T,
    api: api,
    ApiError: ApiError,
    errorFromBody: errorFromBody,
    onBusy: onBusy,
    describe: describe,
    el: el,
    rfc3339: rfc3339,
    localInput: localInput,
    parseLocal: parseLocal,
    shortTime: shortTime,
    clock: clock,
    me: me,
    applyRoles: applyRoles,
    contrast: contrast
  };
})();
