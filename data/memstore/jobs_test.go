package memstore

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"lifeline/data/storetest"
	"lifeline/jobs"
)

func TestJobsConformance(t *testing.T) {
	storetest.RunJobs(t, func(t *testing.T) jobs.Store {
		s := New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestJobsConformancePersisted(t *testing.T) {
	storetest.RunJobs(t, func(t *testing.T) jobs.Store {
		s, err := OpenWith(filepath.Join(t.TempDir(), "store.json"), Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestJobsSurviveRestart: job records are replayed from the log and read
// from a compacted snapshot.
func TestJobsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for n, st := range []jobs.State{jobs.Queued, jobs.Running, jobs.Done, jobs.Failed} {
		if err := s.PutJob(ctx, storetest.SampleJob(n+1, st)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteJob(ctx, "job0001"); err != nil {
		t.Fatal(err)
	}
	want, _ := s.ListJobs(ctx, jobs.Filter{})
	if len(want) != 3 {
		t.Fatalf("%d jobs", len(want))
	}
	check := func(what string) {
		t.Helper()
		s2, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		got, err := s2.ListJobs(ctx, jobs.Filter{})
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %v\n got %+v\nwant %+v", what, err, got, want)
		}
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
