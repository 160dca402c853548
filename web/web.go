// Package web is the browser UI of lifeline: a planner map (zones by day,
// compounds, facilities, sampling-site plans, van routes) and a phone-first
// driver page, in Simplified Chinese and English. It is plain HTML, CSS and
// JavaScript embedded into the binary, with MapLibre GL JS vendored under
// static/vendor (pinned in package.json, copied by `make web-vendor`): no
// build step, no CDN. The basemap comes from the server's /tiles when it has
// them; everything else is GeoJSON from the /v1 API.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// FS is the tree of static files, rooted at the folder that holds
// index.html (so "index.html", "app.js", "driver.html", ...).
var FS fs.FS

func init() {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("web: " + err.Error()) // cannot happen: the folder is embedded
	}
	FS = sub
}

// Handler serves FS over HTTP: "/" is index.html and "/driver" is
// driver.html; every response carries a content type (from the file
// extension) and Cache-Control: no-cache so a new binary's UI is picked up.
// It only answers GET and HEAD; mount it under "/" after the API routes.
// It is safe for concurrent use.
func Handler() http.Handler {
	files := http.FileServerFS(FS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/driver" || r.URL.Path == "/driver/" {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/driver.html"
			r = r2
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
