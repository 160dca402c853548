package memstore

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"lifeline/data/storetest"
	"lifeline/routelists"
)

func TestRouteListsConformance(t *testing.T) {
	storetest.RunRouteLists(t, func(t *testing.T) routelists.Store {
		s := New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestRouteListsConformancePersisted(t *testing.T) {
	storetest.RunRouteLists(t, func(t *testing.T) routelists.Store {
		s, err := OpenWith(filepath.Join(t.TempDir(), "store.json"), Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestRouteListsSurviveRestart: lists, stop reports, share hashes and
// expiries are replayed from the log, and from a compacted snapshot.
func TestRouteListsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var ls []routelists.List
	for n := 1; n <= 3; n++ {
		ls = append(ls, storetest.SampleRouteList(n))
	}
	if err := s.CreateRouteLists(ctx, ls); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if _, err := s.SetStopStatus(ctx, ls[1].ID, 2, routelists.StatusDone, "", at); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetShareHash(ctx, ls[2].ID, "h"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireRouteLists(ctx, ls[1].CreatedAt); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	want, _ := s.ListRouteLists(ctx, routelists.Filter{})
	check := func(what string) {
		t.Helper()
		s2, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		got, err := s2.ListRouteLists(ctx, routelists.Filter{})
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %v\n got %+v\nwant %+v", what, err, got, want)
		}
		if l, err := s2.GetRouteListByShare(ctx, "h"); err != nil || l.ID != ls[2].ID {
			t.Fatalf("%s: by share: %v", what, err)
		}
	}
	if len(want) != 2 || want[0].Stops[1].Status != routelists.StatusDone {
		t.Fatalf("before restart: %+v", want)
	}
	s.Close()
	check("replayed from the log")
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	check("from the snapshot")
}
