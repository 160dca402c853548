package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"lifeline/api/openapi/oastest"
)

// curlCall is one curl command of the README.
type curlCall struct {
	line   int
	method string
	url    string // path and query, from localhost:8080 on
	body   string // -d's argument ("@file" reads a file)
	out    string // -o FILE or > FILE
}

// readmeCurls parses the curl commands of the README's "API at a glance"
// block: shell words with single and double quotes (a quoted argument may
// span lines), "#" comments, ";" between commands and "> file".
func readmeCurls(t *testing.T) []curlCall {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	i := strings.Index(s, "## API at a glance")
	if i < 0 {
		t.Fatal("README has no \"## API at a glance\"")
	}
	s = s[i:]
	start := strings.Index(s, "```sh\n")
	if start < 0 {
		t.Fatal("no sh block under API at a glance")
	}
	block := s[start+len("```sh\n"):]
	block = block[:strings.Index(block, "\n```")]
	lineOf0 := strings.Count(string(raw)[:strings.Index(string(raw), block)], "\n") + 1

	var calls []curlCall
	var words []string
	var word strings.Builder
	inWord, quote := false, byte(0)
	line, cmdLine := lineOf0, lineOf0
	flush := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	end := func() {
		flush()
		if len(words) > 0 && words[0] == "curl" {
			calls = append(calls, parseCurl(t, cmdLine, words))
		}
		words = nil
	}
	for k := 0; k < len(block); k++ {
		ch := block[k]
		if ch == '\n' {
			line++
		}
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				word.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote, inWord = ch, true
		case ch == '#' && !inWord:
			for k < len(block) && block[k] != '\n' {
				k++
			}
			line++
			end()
			cmdLine = line
		case ch == '\n' || ch == ';':
			end()
			cmdLine = line
		case ch == ' ' || ch == '\t':
			flush()
		case ch == '>' && !inWord:
			flush()
			words = append(words, ">")
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	end()
	return calls
}

func parseCurl(t *testing.T, line int, words []string) curlCall {
	c := curlCall{line: line}
	for i := 1; i < len(words); i++ {
		w := words[i]
		next := func() string {
			i++
			if i >= len(words) {
				t.Fatalf("README line %d: %s needs an argument", line, w)
			}
			return words[i]
		}
		switch {
		case w == "-s":
		case w == "-X":
			c.method = next()
		case w == "-d":
			c.body = next()
		case w == "-o" || w == ">":
			c.out = next()
		case w == "-H":
			next()
		case strings.HasPrefix(w, "localhost:8080/"):
			c.url = strings.TrimPrefix(w, "localhost:8080")
		default:
			t.Fatalf("README line %d: curl argument %q is not understood by this test", line, w)
		}
	}
	if c.url == "" {
		t.Fatalf("README line %d: curl without a localhost:8080 URL", line)
	}
	if c.method == "" {
		c.method = "GET"
		if c.body != "" {
			c.method = "POST"
		}
	}
	return c
}

// TestREADMEExamplesMatchOpenAPI runs every curl example of the README's
// "API at a glance" against the real server on the Chengdu demo district,
// as the demo admin would: each request (method, path, query, JSON body)
// must validate against /openapi.json, and so must each answer (status,
// content type, body). Files the examples read (-d @file) are what the
// user would have: the zone's GeoJSON, an export, the optimisation problem
// above; CODE is the route list of the optimisation's answer.
func TestREADMEExamplesMatchOpenAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server on the Chengdu district")
	}
	calls := readmeCurls(t)
	if len(calls) < 25 {
		t.Fatalf("found %d curl examples in the README", len(calls))
	}
	base, stop := startServe(t, t.TempDir(), "--district", "chengdu")
	defer stop()
	tok, _ := testTokens.Load(base)
	do := func(method, path, body string) (int, string, []byte) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	code, _, raw := do("GET", "/openapi.json", "")
	if code != 200 {
		t.Fatalf("GET /openapi.json: %d", code)
	}
	v, err := oastest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var lastProblem, routeList string
	ok2xx := 0
	for _, c := range calls {
		what := fmt.Sprintf("README line %d: %s %s", c.line, c.method, c.url)
		url := strings.ReplaceAll(c.url, "CODE", routeList)
		body := []byte(c.body)
		if f, ok := strings.CutPrefix(c.body, "@"); ok {
			switch f {
			case "zone.geojson": // the zone being edited, as the user would have saved it, an hour later
				_, _, b := do("GET", strings.Split(url, "?")[0]+"?format=geojson", "")
				var feat map[string]any
				if err := json.Unmarshal(b, &feat); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				props := feat["properties"].(map[string]any)
				from, err := time.Parse(time.RFC3339, props["effective_from"].(string))
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				props["effective_from"] = from.Add(time.Hour).Format(time.RFC3339)
				body, _ = json.Marshal(feat)
			case "zones.geojson":
				_, _, body = do("GET", "/v1/zones/export", "")
			case "problem.json":
				body = []byte(lastProblem)
			default:
				if body = files[f]; body == nil {
					t.Fatalf("%s: reads %s, which no example wrote", what, f)
				}
			}
		}
		if err := v.Request(c.method, url, "application/json", body); err != nil {
			t.Errorf("%s: the request does not match the document: %v", what, err)
		}
		status, ct, answer := do(c.method, url, string(body))
		if err := v.Response(c.method, url, status, ct, answer); err != nil {
			t.Errorf("%s: the answer (%d) does not match the document: %v", what, status, err)
		}
		if status < 200 || status > 299 {
			t.Errorf("%s: %d %s", what, status, bytes.TrimSpace(answer[:min(len(answer), 300)]))
		} else {
			ok2xx++
		}
		if c.out != "" {
			files[c.out] = answer
		}
		if strings.HasPrefix(url, "/v1/optimize") {
			lastProblem = string(body)
			var sol struct {
				Routes []struct {
					RouteList string `json:"route_list"`
				} `json:"routes"`
			}
			if json.Unmarshal(answer, &sol) == nil && len(sol.Routes) > 0 && routeList == "" {
				routeList = sol.Routes[0].RouteList
			}
		}
	}
	t.Logf("%d README examples, %d answered 2xx, every request and answer matched /openapi.json", len(calls), ok2xx)
}
