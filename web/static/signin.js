// signin.js: the sign-in page. POST /v1/auth/login with a username and
// password, or with the one-time link secret in the URL fragment
// (#link=...; fragments never reach the server's logs). The session is an
// HttpOnly cookie, so this page never sees it.
"use strict";

(function () {
  var form = document.getElementById("signin");
  var status = document.getElementById("status");
  var who = document.getElementById("who");
  var t = I18N.t;
  var langSel = document.getElementById("lang");
  langSel.value = I18N.lang();
  langSel.addEventListener("change", function () { I18N.setLang(langSel.value); });
  I18N.apply();
  var shown = null; // the account shown, to re-label its role on a language change
  I18N.onChange(function () { if (shown) show(shown); });

  function say(text, isError) {
    status.textContent = text;
    status.className = "signin-status" + (isError ? " error" : "");
  }

  function call(method, path, body) {
    var init = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var msg = data && data.message ? data.message : "HTTP " + resp.status;
          if (resp.status === 429) msg += " " + t("signin.wait", { n: resp.headers.get("Retry-After") || "?" });
          throw new Error(msg);
        }
        return data;
      });
    });
  }

  function show(me) {
    document.getElementById("who-name").textContent = me.username;
    shown = me;
    document.getElementById("who-role").textContent = t("role." + me.role);
    document.getElementById("admin-link").hidden = me.role !== "admin";
    who.hidden = false;
    form.hidden = true;
  }

  function next(me) {
    var params = new URLSearchParams(location.search);
    var to = params.get("next");
    if (to && to.charAt(0) === "/" && to.charAt(1) !== "/") { location.assign(to); return; }
    if (me.role === "driver") { location.assign("/driver.html"); return; }
    show(me);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    say(t("signin.busy"));
    call("POST", "/v1/auth/login", {
      username: document.getElementById("username").value.trim(),
      password: document.getElementById("password").value
    }).then(function (me) { say(""); next(me); }, function (e) { say(e.message, true); });
  });

  document.getElementById("signout").addEventListener("click", function () {
    call("POST", "/v1/auth/logout").then(function () {
      shown = null; who.hidden = true; form.hidden = false; say(t("signin.out"));
    }, function (e) { say(e.message, true); });
  });

  var m = /(?:^#|&)link=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, "", location.pathname + location.search); // the link works once: drop it from the address bar
    say(t("signin.linkbusy"));
    call("POST", "/v1/auth/login", { link: m[1] }).then(function (me) {
      say(t("signin.linkdone"));
      show(me);
    }, function (e) { say(e.message, true); });
  } else {
    call("GET", "/v1/auth/me").then(show, function () { /* not signed in */ });
  }
})();
