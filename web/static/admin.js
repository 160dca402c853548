// admin.js: the admin's account page: list, create, change role, set
// password, revoke, issue tokens and one-time sign-in links; the latest
// audit entries. All through the /v1/accounts and /v1/audit JSON API.
"use strict";

(function () {
  var status = document.getElementById("status");
  var secretBox = document.getElementById("secret");

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
      if (resp.status === 401) { location.assign("/signin.html?next=/admin.html"); throw new Error("not signed in"); }
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) throw new Error(data && data.message ? data.message : "HTTP " + resp.status);
        return data;
      });
    });
  }

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function button(label, fn) {
    var b = el("button", label);
    b.type = "button";
    b.addEventListener("click", fn);
    return b;
  }

  function showSecret(label, value) {
    secretBox.textContent = label + " (shown once): " + value;
    secretBox.hidden = false;
  }

  function load() {
    call("GET", "/v1/accounts").then(function (r) {
      var tb = document.getElementById("accounts");
      tb.textContent = "";
      r.accounts.forEach(function (a) {
        var tr = el("tr");
        tr.appendChild(el("td", String(a.id)));
        tr.appendChild(el("td", a.username));
        var roleTd = el("td");
        var sel = el("select");
        ["admin", "planner", "dispatcher", "driver", "viewer"].forEach(function (r) {
          var o = el("option", r);
          if (r === a.role) o.selected = true;
          sel.appendChild(o);
        });
        sel.addEventListener("change", function () {
          call("PUT", "/v1/accounts/" + a.id, { role: sel.value }).then(function () { say("Role of " + a.username + " is now " + sel.value + "."); load(); }, function (e) { say(e.message, true); });
        });
        roleTd.appendChild(sel);
        tr.appendChild(roleTd);
        tr.appendChild(el("td", a.revoked_at ? "revoked" : "active"));
        var act = el("td");
        if (!a.revoked_at) {
          act.appendChild(button("Set password", function () {
            var pw = prompt("New password for " + a.username + " (at least 8 characters)");
            if (!pw) return;
            call("PUT", "/v1/accounts/" + a.id, { password: pw }).then(function () { say("Password of " + a.username + " set."); }, function (e) { say(e.message, true); });
          }));
          act.appendChild(button("API token", function () {
            call("POST", "/v1/accounts/" + a.id + "/tokens", { name: "from the admin page" }).then(function (t) { showSecret("Token for " + a.username, t.token); }, function (e) { say(e.message, true); });
          }));
          act.appendChild(button("Sign-in link", function () {
            call("POST", "/v1/accounts/" + a.id + "/link").then(function (t) { showSecret("One-time link for " + a.username, location.origin + t.url); }, function (e) { say(e.message, true); });
          }));
          act.appendChild(button("Revoke", function () {
            if (!confirm("Revoke " + a.username + " and all their tokens and sessions?")) return;
            call("DELETE", "/v1/accounts/" + a.id).then(function () { say(a.username + " revoked."); load(); }, function (e) { say(e.message, true); });
          }));
        }
        tr.appendChild(act);
        tb.appendChild(tr);
      });
    }, function (e) { say(e.message, true); });
    call("GET", "/v1/audit?limit=10000").then(function (r) {
      var tb = document.getElementById("audit");
      tb.textContent = "";
      r.entries.slice(-50).reverse().forEach(function (e) {
        var tr = el("tr");
        tr.appendChild(el("td", e.at));
        tr.appendChild(el("td", e.actor + " (" + e.role + ")"));
        tr.appendChild(el("td", e.method + " " + e.route));
        tr.appendChild(el("td", e.entity + (e.entity_id ? " " + e.entity_id : "")));
        tr.appendChild(el("td", String(e.status)));
        tb.appendChild(tr);
      });
    }, function () {});
  }

  document.getElementById("add").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { username: document.getElementById("add-user").value.trim(), role: document.getElementById("add-role").value };
    var pw = document.getElementById("add-pw").value;
    if (pw) body.password = pw;
    call("POST", "/v1/accounts", body).then(function (a) {
      say("Created " + a.username + " (" + a.role + ").");
      if (!pw) {
        call("POST", "/v1/accounts/" + a.id + "/link").then(function (t) { showSecret("One-time link for " + a.username, location.origin + t.url); });
      }
      load();
    }, function (e) { say(e.message, true); });
  });

  load();
})();
