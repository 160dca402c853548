package auth

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"lifeline/accounts"
)

// TestLimiter: a bucket gives burst requests at once, then one per 1/rate,
// with the wait it announces; keys are independent; a negative rate is off.
func TestLimiter(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	l := NewLimiter(0.5, 3, func() time.Time { return now }) // one every 2 s
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 2*time.Second {
		t.Fatalf("over the burst: %v %v, want refused for 2s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key was limited")
	}
	now = now.Add(time.Second)
	if ok, wait := l.Peek("a"); ok || wait != time.Second {
		t.Fatalf("after 1 s: %v %v", ok, wait)
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refill did not happen")
	}
	now = now.Add(time.Hour)
	for i := range 3 { // refills to the burst, not beyond
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("after an hour, request %d refused", i)
		}
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("the bucket grew past its burst")
	}
	off := NewLimiter(-1, 1, nil)
	for range 100 {
		if ok, _ := off.Allow("x"); !ok {
			t.Fatal("a negative rate limited")
		}
	}
}

// TestSameOrigin: the Origin check compares host and port.
func TestSameOrigin(t *testing.T) {
	r := httptest.NewRequest("POST", "http://lifeline.example:8080/v1/zones", nil)
	for origin, want := range map[string]bool{
		"http://lifeline.example:8080":  true,
		"https://lifeline.example:8080": true, // TLS terminated by a proxy in front
		"http://lifeline.example":       false,
		"http://evil.example:8080":      false,
		"null":                          false,
		"":                              false,
		"lifeline.example:8080":         false,
	} {
		if got := sameOrigin(origin, r); got != want {
			t.Errorf("sameOrigin(%q) = %v, want %v", origin, got, want)
		}
	}
}

// TestEveryWriteRuleIsAudited: every write row names an entity or says it
// is a query, and public rows are few (sign-in and the share link).
func TestEveryWriteRuleIsAudited(t *testing.T) {
	public := 0
	for _, r := range Table {
		if Writes(r.Method) && r.Entity == "" && !r.Query {
			t.Errorf("%s %s writes but names no Entity", r.Method, r.Path)
		}
		if r.Public {
			public++
		}
		if r.Query && !Writes(r.Method) {
			t.Errorf("%s %s: Query only makes sense on a POST", r.Method, r.Path)
		}
	}
	if public != 2 {
		t.Errorf("%d public routes, want 2 (login, shared route list)", public)
	}
}

func TestSummariseRedacts(t *testing.T) {
	c := &capture{max: 100}
	c.Write([]byte(`{"username":"a","password":"hunter22","nested":{"token":"x"}}`))
	s := summarise("x=1", c, false)
	if want := `{"body":{"nested":{"token":"(redacted)"},"password":"(redacted)","username":"a"},"query":"x=1"}`; s != want {
		t.Fatalf("summary %s, want %s", s, want)
	}
	s = summarise("", c, true)
	var m map[string]map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m["body"]["bytes"].(float64) != 61 || len(m["body"]["fields"].([]any)) != 3 {
		t.Fatalf("personal summary %s", s)
	}
}

// FuzzDecodeStrict: the decoder of sign-in and account bodies never panics,
// and either fills the struct or says where the problem is.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b"}`, `{"link":"x"}`, ``, `{`, `{"username":1}`, `{"x":1}`, `{} {}`, `[]`, `null`, `{"username":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req LoginRequest
		err := DecodeStrict(body, &req)
		var ve *accounts.ValidationError
		if err != nil && (!errors.As(err, &ve) || ve.Path == "") {
			t.Fatalf("error without a path: %v", err)
		}
		var acc AccountRequest
		_ = DecodeStrict(body, &acc)
	})
}

func TestSessionCookie(t *testing.T) {
	for _, c := range []struct {
		hs   []string
		want string
	}{
		{nil, ""},
		{[]string{"lifeline_session=abc"}, "abc"},
		{[]string{"a=1; lifeline_session=abc; b=2"}, "abc"},
		{[]string{"a=1", "lifeline_session=\"q\""}, "q"},
		{[]string{"xlifeline_session=abc"}, ""},
		{[]string{"lifeline_session="}, ""},
	} {
		if got := sessionCookie(c.hs); got != c.want {
			t.Errorf("sessionCookie(%q) = %q, want %q", c.hs, got, c.want)
		}
	}
}
