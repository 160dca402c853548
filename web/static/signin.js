// signin.js: the sign-in page. POST /v1/auth/login with a username and
// password, or with the one-time link secret in the URL fragment
// (#link=...; fragments never reach the server's logs). The session is an
// HttpOnly cookie, so this page never sees it.
"use strict";

(function () {
  var form = document.getElementById("signin");
  var status = document.getElementById("status");
  var who = document.getElementById("who");

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
          if (resp.status === 429) msg += " (wait " + (resp.headers.get("Retry-After") || "a few") + " s)";
          throw new Error(msg);
        }
        return data;
      });
    });
  }

  function show(me) {
    document.getElementById("who-name").textContent = me.username;
    document.getElementById("who-role").textContent = me.role;
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
    say("Signing in…");
    call("POST", "/v1/auth/login", {
      username: document.getElementById("username").value.trim(),
      password: document.getElementById("password").value
    }).then(function (me) { say(""); next(me); }, function (e) { say(e.message, true); });
  });

  document.getElementById("signout").addEventListener("click", function () {
    call("POST", "/v1/auth/logout").then(function () {
      who.hidden = true; form.hidden = false; say("Signed out.");
    }, function (e) { say(e.message, true); });
  });

  var m = /(?:^#|&)link=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, "", location.pathname + location.search); // the link works once: drop it from the address bar
    say("Signing in with the one-time link…");
    call("POST", "/v1/auth/login", { link: m[1] }).then(function (me) {
      say("Signed in. Set a password for next time on the accounts page.");
      show(me);
    }, function (e) { say(e.message, true); });
  } else {
    call("GET", "/v1/auth/me").then(show, function () { /* not signed in */ });
  }
})();
