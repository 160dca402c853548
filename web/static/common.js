// common.js: helpers shared by the planner map and the driver page.
// Plain browser JavaScript, no build step; defines the global LL.
"use strict";

var LL = (function () {
  // ApiError carries the service's JSON error: {"error":{"code","message","details"}}.
  function ApiError(status, code, message, details) {
    this.name = "ApiError";
    this.status = status;
    this.code = code || "http_" + status;
    this.message = message || "request failed with status " + status;
    this.details = details;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  var inflight = 0;
  var busyListeners = [];

  function setBusy(delta) {
    inflight += delta;
    for (var i = 0; i < busyListeners.length; i++) busyListeners[i](inflight > 0);
  }

  // api sends a request to the service and resolves with the decoded JSON
  // body (or null for an empty body). It rejects with an ApiError for an
  // error status or an unreachable server. Every call counts towards the
  // loading indicator.
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
    setBusy(1);
    return fetch(path, init)
      .then(
        function (resp) {
          return resp.text().then(function (text) {
            var data = null;
            if (text) {
              try {
                data = JSON.parse(text);
              } catch (e) {
                if (resp.ok) throw new ApiError(resp.status, "bad_response", "the server sent something that is not JSON");
              }
            }
            if (resp.status === 401 && path.indexOf("/v1/auth/") !== 0) {
              // not signed in (or the session ended): go to the sign-in page and come back
              location.assign("/signin.html?next=" + encodeURIComponent(location.pathname + location.search));
            }
            if (!resp.ok) {
              var err = data && data.error ? data.error : {};
              var msg = err.message || (text && !data ? text.slice(0, 200) : resp.statusText);
              if (!err.code && (resp.status === 404 || resp.status === 405)) {
                msg = "this server does not offer " + method + " " + path.split("?")[0] + " (HTTP " + resp.status + ")";
                throw new ApiError(resp.status, "not_available", msg);
              }
              throw new ApiError(resp.status, err.code, msg, err.details);
            }
            return data;
          });
        },
        function (e) {
          if (e && e.name === "AbortError") throw new ApiError(0, "timeout", "the server did not answer in time");
          throw new ApiError(0, "unreachable", "cannot reach the server (" + (e && e.message ? e.message : e) + ")");
        }
      )
      .finally(function () {
        if (timer) clearTimeout(timer);
        setBusy(-1);
      });
  }

  function onBusy(fn) { busyListeners.push(fn); }

  // describe turns any error into one line of text for the user.
  function describe(err) {
    if (!err) return "unknown error";
    if (err instanceof ApiError) {
      var s = err.message + " [" + err.code + (err.status ? ", HTTP " + err.status : "") + "]";
      if (err.details !== undefined && err.details !== null) {
        var d = err.details;
        if (typeof d === "object" && d.path) s += " at " + d.path;
        else s += " " + JSON.stringify(d).slice(0, 300);
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
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === undefined || attrs[k] === null) continue;
        if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
        else if (k === "text") e.textContent = attrs[k];
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

  // rfc3339 formats a Date in the browser's time zone with its offset,
  // e.g. 2026-11-23T08:00:00+08:00.
  function rfc3339(d) {
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  // localInput formats a Date for <input type="datetime-local">.
  function localInput(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // shortTime shows an RFC3339 string compactly in the browser's zone.
  function shortTime(s) {
    if (!s) return "";
    var d = new Date(s);
    if (isNaN(d.getTime())) return String(s);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  return {
    api: api,
    ApiError: ApiError,
    onBusy: onBusy,
    describe: describe,
    el: el,
    rfc3339: rfc3339,
    localInput: localInput,
    shortTime: shortTime
  };
})();
