// admin.js: the admin's account page: list, create, change role, set
// password, revoke, issue tokens and one-time sign-in links; the latest
// audit entries. All through the /v1/accounts and /v1/audit JSON API.
"use strict";

(function () {
  var status = document.getElementById("status");
  var secretBox = document.getElementById("secret");
  var t = I18N.t;
  var ROLES = ["viewer", "driver", "dispatcher", "planner", "admin"];
  var langSel = document.getElementById("lang");
  langSel.value = I18N.lang();
  langSel.addEventListener("change", function () { I18N.setLang(langSel.value); });
  I18N.apply();
  function roleOptions(sel, current) {
    var keep = current || sel.value;
    sel.textContent = "";
    ROLES.forEach(function (r) {
      var o = el("option", t("role." + r));
      o.value = r;
      if (r === keep) o.selected = true;
      sel.appendChild(o);
    });
  }

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

  function showSecret(text) {
    secretBox.textContent = text;
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
        roleOptions(sel, a.role);
        sel.addEventListener("change", function () {
          call("PUT", "/v1/accounts/" + a.id, { role: sel.value }).then(function () { say(t("admin.roleset", { name: a.username, role: t("role." + sel.value) })); load(); }, function (e) { say(e.message, true); });
        });
        roleTd.appendChild(sel);
        tr.appendChild(roleTd);
        tr.appendChild(el("td", a.revoked_at ? t("admin.revoked") : t("admin.active")));
        var act = el("td");
        if (!a.revoked_at) {
          act.appendChild(button(t("admin.setpw"), function () {
            var pw = prompt(t("admin.pwprompt", { name: a.username }));
            if (!pw) return;
            call("PUT", "/v1/accounts/" + a.id, { password: pw }).then(function () { say(t("admin.pwset", { name: a.username })); }, function (e) { say(e.message, true); });
          }));
          act.appendChild(button(t("admin.token"), function () {
            call("POST", "/v1/accounts/" + a.id + "/tokens", { name: "from the admin page" }).then(function (tok) { showSecret(t("admin.tokenfor", { name: a.username, value: tok.token })); }, function (e) { say(e.message, true); });
          }));
          act.appendChild(button(t("admin.link"), function () {
            call("POST", "/v1/accounts/" + a.id + "/link").then(function (l) { showSecret(t("admin.linkfor", { name: a.username, value: location.origin + l.url })); }, function (e) { say(e.message, true); });
          }));
          act.appendChild(button(t("admin.revoke"), function () {
            if (!confirm(t("admin.revokeask", { name: a.username }))) return;
            call("DELETE", "/v1/accounts/" + a.id).then(function () { say(t("admin.revokedone", { name: a.username })); load(); }, function (e) { say(e.message, true); });
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
        tr.appendChild(el("td", I18N.formatDateTime(e.at)));
        tr.appendChild(el("td", e.actor + " (" + t("role." + e.role) + ")"));
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
      say(t("admin.created", { name: a.username, role: t("role." + a.role) }));
      if (!pw) {
        call("POST", "/v1/accounts/" + a.id + "/link").then(function (l) { showSecret(t("admin.linkfor", { name: a.username, value: location.origin + l.url })); });
      }
      load();
    }, function (e) { say(e.message, true); });
  });

  roleOptions(document.getElementById("add-role"), "viewer");
  I18N.onChange(function () { roleOptions(document.getElementById("add-role")); load(); });
  load();
})();
