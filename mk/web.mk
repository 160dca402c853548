# Browser UI: MapLibre GL JS is vendored into web/static/vendor (committed, so
# `make run` needs only Go); the browser tests drive Debian's chromium with
# playwright-core against the real server.
NPM ?= npm
.PHONY: web-vendor test-browser
web-vendor: ## copy MapLibre GL JS (pinned in web/package.json) into web/static/vendor
	cd web && $(NPM) ci --no-audit --no-fund
	mkdir -p web/static/vendor
	cp web/node_modules/maplibre-gl/dist/maplibre-gl.mjs web/node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs \
	   web/node_modules/maplibre-gl/dist/maplibre-gl.css web/static/vendor/
	cp web/node_modules/maplibre-gl/LICENSE.txt web/static/vendor/MAPLIBRE-LICENSE.txt
	sed -i '/^\/\/# sourceMappingURL=/d' web/static/vendor/maplibre-gl.mjs web/static/vendor/maplibre-gl-worker.mjs
	@grep -m1 '"version"' web/node_modules/maplibre-gl/package.json

# In CI (CI=true) the browser tests must run; elsewhere they skip, saying so,
# when chromium or node (or web/node_modules) is missing.
test-browser: ## browser tests (Playwright + chromium) against the real server; screenshots in var/screenshots
	@bash web/e2e/run.sh
