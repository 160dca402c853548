package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"lifeline/jobs"
)

// RunJobs is the conformance suite of jobs.Store; open returns a fresh,
// empty store per subtest, closed by the caller's cleanup.
//   - a put job reads back equal, field for field (JSON arguments,
//     progress and result byte for byte, the failure with its details,
//     times to the microsecond); a second put replaces it;
//   - an invalid job is refused and writes nothing;
//   - ListJobs is oldest first, Live keeps queued and running jobs only,
//     Limit cuts;
//   - DeleteJob removes one job (none: no error); DeleteJobs removes the
//     final jobs that ended before the cut, never a live one.
func RunJobs(t *testing.T, open func(t *testing.T) jobs.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s jobs.Store)
	}{
		{"RoundTrip", testJobRoundTrip},
		{"Invalid", testJobInvalid},
		{"List", testJobList},
		{"Delete", testJobDelete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var jobT0 = time.Date(2026, 11, 23, 7, 0, 0, 123456000, time.UTC)

// SampleJob returns a job numbered n in state st, made n minutes after a
// fixed time (final states have started and ended times and a result or a
// failure).
func SampleJob(n int, st jobs.State) jobs.Job {
	j := jobs.Job{ID: fmt.Sprintf("job%04d", n), Kind: "optimize", Owner: "disp", State: st,
		Args:    json.RawMessage(`{"problem":{"vehicles":[{"id":1,"start":[104.0712345678901,30.65]}]},"seed":18446744073709551615}`),
		Timeout: 65 * time.Second, Created: jobT0.Add(time.Duration(n) * time.Minute)}
	if st != jobs.Queued {
		j.Attempt, j.Started = 1, j.Created.Add(time.Second)
		j.Progress = json.RawMessage(`{"iteration":7,"cost":12.5}`)
	}
	switch st {
	case jobs.Done:
		j.Ended, j.Result = j.Started.Add(time.Minute), json.RawMessage(`{"routes":[{"vehicle":1,"route_list":"1234567890"}],"summary":{"cost":12.5}}`)
	case jobs.Failed:
		j.Ended = j.Started.Add(time.Minute)
		j.Err = &jobs.Failure{Status: 422, Code: "limit_exceeded", Message: "jobs: 6000 jobs; at most 5000", Details: map[string]any{"path": "jobs", "limit": 5000.0}}
	case jobs.Cancelled:
		j.Ended, j.Progress = j.Started.Add(time.Minute), nil
	}
	return j
}

func sameJob(t *testing.T, what string, got, want jobs.Job) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s differs:\n got %+v\nwant %+v", what, got, want)
	}
}

func testJobRoundTrip(t *testing.T, s jobs.Store) {
	ctx := context.Background()
	for i, st := range []jobs.State{jobs.Queued, jobs.Running, jobs.Done, jobs.Failed, jobs.Cancelled} {
		j := SampleJob(i+1, st)
		if err := s.PutJob(ctx, j); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		got, err := s.GetJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameJob(t, string(st), got, j)
	}
	// a second put replaces the record (the job went on)
	j := SampleJob(1, jobs.Done)
	j.Attempt = 2
	if err := s.PutJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetJob(ctx, j.ID)
	sameJob(t, "replaced", got, j)
	// times in another zone and below the microsecond come back in UTC
	k := SampleJob(9, jobs.Queued)
	k.Created = time.Date(2026, 11, 23, 15, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	if err := s.PutJob(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetJob(ctx, k.ID)
	if want := time.Date(2026, 11, 23, 7, 0, 0, 123456000, time.UTC); got.Created != want {
		t.Fatalf("created %v, want %v", got.Created, want)
	}
	if _, err := s.GetJob(ctx, "nope"); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
}

func testJobInvalid(t *testing.T, s jobs.Store) {
	ctx := context.Background()
	for name, f := range map[string]func(j *jobs.Job){
		"no id":        func(j *jobs.Job) { j.ID = "" },
		"no kind":      func(j *jobs.Job) { j.Kind = "" },
		"bad state":    func(j *jobs.Job) { j.State = "lost" },
		"no created":   func(j *jobs.Job) { j.Created = time.Time{} },
		"done, no end": func(j *jobs.Job) { j.State = jobs.Done },
		"bad args":     func(j *jobs.Job) { j.Args = json.RawMessage(`{"a":`) },
	} {
		j := SampleJob(1, jobs.Queued)
		f(&j)
		if err := s.PutJob(ctx, j); err == nil {
			t.Errorf("%s: stored", name)
		}
	}
	if js, err := s.ListJobs(ctx, jobs.Filter{}); err != nil || len(js) != 0 {
		t.Fatalf("after refused puts: %d jobs, %v", len(js), err)
	}
}

func jobIDs(js []jobs.Job) []string {
	out := []string{}
	for _, j := range js {
		out = append(out, j.ID)
	}
	return out
}

func testJobList(t *testing.T, s jobs.Store) {
	ctx := context.Background()
	states := map[int]jobs.State{1: jobs.Done, 2: jobs.Queued, 3: jobs.Running, 4: jobs.Failed, 5: jobs.Queued}
	for _, n := range []int{4, 2, 5, 1, 3} {
		if err := s.PutJob(ctx, SampleJob(n, states[n])); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		f    jobs.Filter
		want []string
	}{
		{jobs.Filter{}, []string{"job0001", "job0002", "job0003", "job0004", "job0005"}},
		{jobs.Filter{Live: true}, []string{"job0002", "job0003", "job0005"}},
		{jobs.Filter{Live: true, Limit: 2}, []string{"job0002", "job0003"}},
		{jobs.Filter{Limit: 1}, []string{"job0001"}},
	} {
		got, err := s.ListJobs(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if ids := jobIDs(got); !reflect.DeepEqual(ids, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.f, ids, tc.want)
		}
	}
	got, _ := s.ListJobs(ctx, jobs.Filter{Limit: 4})
	sameJob(t, "listed", got[3], SampleJob(4, jobs.Failed))
}

func testJobDelete(t *testing.T, s jobs.Store) {
	ctx := context.Background()
	states := map[int]jobs.State{1: jobs.Done, 2: jobs.Cancelled, 3: jobs.Running, 4: jobs.Failed, 5: jobs.Done}
	for n := 1; n <= 5; n++ {
		if err := s.PutJob(ctx, SampleJob(n, states[n])); err != nil {
			t.Fatal(err)
		}
	}
	// jobs 1, 2 and 4 ended before the cut; 3 is live, 5 ended after it
	cut := SampleJob(5, jobs.Done).Ended
	if n, err := s.DeleteJobs(ctx, cut); err != nil || n != 3 {
		t.Fatalf("delete old: %d %v", n, err)
	}
	got, _ := s.ListJobs(ctx, jobs.Filter{})
	if ids := jobIDs(got); !reflect.DeepEqual(ids, []string{"job0003", "job0005"}) {
		t.Fatalf("after purge: %v", ids)
	}
	if err := s.DeleteJob(ctx, "job0005"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteJob(ctx, "job0005"); err != nil {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := s.GetJob(ctx, "job0005"); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("deleted job: %v", err)
	}
}
