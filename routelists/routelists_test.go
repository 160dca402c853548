package routelists

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lifeline/zones"
)

func TestValidCode(t *testing.T) {
	for code, want := range map[string]bool{
		"1234567890": true, "9999999999": true, "0123456789": false, "123456789": false,
		"12345678901": false, "12345a7890": false, "": false, "１234567890": false,
	} {
		if got := ValidCode(code); got != want {
			t.Errorf("ValidCode(%q) = %v", code, got)
		}
	}
	for i := 0; i < 1000; i++ {
		if c := NewCode(); !ValidCode(c) {
			t.Fatalf("NewCode gave %q", c)
		}
	}
}

func TestSetStatus(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	l := List{ID: "1234567890", CreatedAt: t0, Stops: []Stop{{Seq: 1, Kind: "start"}, {Seq: 2, Kind: "job"}}}
	for _, tc := range []struct {
		seq     int
		status  string
		reason  string
		changed bool
		err     string
	}{
		{2, StatusArrived, "", true, ""},
		{2, StatusDone, "", true, ""},
		{2, StatusDone, "", false, ""}, // a retry changes nothing
		{2, StatusFailed, "closed", true, ""},
		{2, StatusFailed, "closed", false, ""},
		{2, StatusFailed, strings.Repeat("x", MaxReason+1), false, "validation"},
		{1, "lost", "", false, "validation"},
		{0, StatusDone, "", false, "not found"},
		{3, StatusDone, "", false, "not found"},
	} {
		changed, err := SetStatus(&l, tc.seq, tc.status, tc.reason, t0)
		var ve *zones.ValidationError
		switch {
		case tc.err == "" && err != nil, tc.err == "validation" && !errors.As(err, &ve), tc.err == "not found" && !errors.Is(err, zones.ErrNotFound):
			t.Fatalf("stop %d %q: err %v, want %s", tc.seq, tc.status, err, tc.err)
		case changed != tc.changed:
			t.Fatalf("stop %d %q: changed %v", tc.seq, tc.status, changed)
		}
	}
	if s := l.Stops[1]; s.Status != StatusFailed || s.Reason != "closed" || s.StatusAt.Location() != time.UTC || s.StatusAt.Nanosecond() != 123456000 {
		t.Fatalf("stop 2: %+v %v", s, s.StatusAt)
	}
	if l.Stops[0].Status != "" {
		t.Fatal("a refused report changed stop 1")
	}
}

func TestCloneSharesNothing(t *testing.T) {
	d, id := 5.0, uint64(7)
	at := time.Now()
	l := List{ID: "1234567890", DistanceM: &d, Stops: []Stop{{Seq: 1, ID: &id, Items: []int64{1}, StatusAt: &at}}}
	c := l.Clone()
	*c.DistanceM, *c.Stops[0].ID, c.Stops[0].Items[0] = 6, 8, 2
	c.Stops[0].Status = "done"
	if *l.DistanceM != 5 || *l.Stops[0].ID != 7 || l.Stops[0].Items[0] != 1 || l.Stops[0].Status != "" {
		t.Fatalf("clone shares memory: %+v", l)
	}
}
