package memstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/data/storetest"
	"lifeline/routing/deliveries"
)

func TestDeliveriesConformance(t *testing.T) {
	storetest.RunDeliveries(t, func(t *testing.T) deliveries.Store {
		s := New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestDeliveriesConformancePersisted(t *testing.T) {
	storetest.RunDeliveries(t, func(t *testing.T) deliveries.Store {
		s, err := OpenWith(filepath.Join(t.TempDir(), "store.json"), Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestDeliveriesSurviveRestart: requests, their histories, batches and the
// fleet are read back from the log (and from its snapshot after a
// compaction); ids and idempotency keys go on.
func TestDeliveriesSurviveRestart(t *testing.T) {
	for _, compact := range []bool{false, true} {
		t.Run(map[bool]string{false: "log", true: "snapshot"}[compact], func(t *testing.T) {
			if compact {
				old := compactBytes
				compactBytes = 2 << 10
				t.Cleanup(func() { compactBytes = old })
			}
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "store.json")
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for i := 1; i <= 20; i++ {
				r, _, err := s.CreateRequest(ctx, storetest.SampleRequest(i), "hotline")
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, r.ID)
			}
			bs, err := s.CreateBatches(ctx, []deliveries.Batch{{Date: "2026-12-02", Cut: "10:00", SupplyPointID: 10, PharmacyID: 4, Requests: ids[:5]}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetBatchPlan(ctx, bs[0].ID, []deliveries.StopRef{{List: "1000000000", Seq: 2, Leg: 1, Event: deliveries.StateCollected}}, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := s.MoveRequests(ctx, []deliveries.Move{{ID: ids[0], To: deliveries.StateCollected}, {ID: ids[6], To: deliveries.StateFailed, Reason: "moved away"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetVans(ctx, []deliveries.Van{{ID: 1, Name: "van", Depot: orb.Point{104, 30}, Boxes: 10, VolumeL: 100, ShiftStart: "08:00", ShiftEnd: "18:00"}}); err != nil {
				t.Fatal(err)
			}
			before, _ := s.ListRequests(ctx, deliveries.RequestFilter{})
			batches, _ := s.ListBatches(ctx, "")
			s.Close()
			if _, err := s.ListRequests(ctx, deliveries.RequestFilter{}); err != ErrClosed {
				t.Fatalf("after close: %v", err)
			}
			s, err = Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			after, err := s.ListRequests(ctx, deliveries.RequestFilter{})
			if err != nil || !reflect.DeepEqual(after, before) {
				t.Fatalf("after restart: %v\n%+v\nwant\n%+v", err, after, before)
			}
			b2, _ := s.ListBatches(ctx, "")
			vs, _ := s.ListVans(ctx)
			if !reflect.DeepEqual(b2, batches) || len(vs) != 1 {
				t.Fatalf("batches %+v vans %+v", b2, vs)
			}
			if _, created, err := s.CreateRequest(ctx, storetest.SampleRequest(3), "hotline"); err != nil || created {
				t.Fatalf("retry after restart: created %v err %v", created, err)
			}
			r, created, err := s.CreateRequest(ctx, storetest.SampleRequest(21), "hotline")
			if err != nil || !created || r.ID != 21 {
				t.Fatalf("next id after restart: %d %v %v", r.ID, created, err)
			}
			if compact {
				if _, err := os.Stat(filepath.Join(DeliveriesDir(path), "snapshot")); err != nil {
					t.Fatalf("no snapshot written: %v", err)
				}
			}
		})
	}
}

// TestDeliveriesCloseWhileWriting: Close while writers write and the log
// compacts often: no write is acknowledged and then lost, writes after
// Close are ErrClosed, and (under -race) no snapshot is started against a
// WaitGroup already waited on.
func TestDeliveriesCloseWhileWriting(t *testing.T) {
	old := compactBytes
	compactBytes = 1 << 10
	t.Cleanup(func() { compactBytes = old })
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		path := filepath.Join(t.TempDir(), "store.json")
		s, err := OpenWith(path, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		acked := map[int64]bool{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					r := storetest.SampleRequest(1000*w + i + 1)
					got, _, err := s.CreateRequest(ctx, r, "hotline")
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					acked[got.ID] = true
					mu.Unlock()
				}
			}()
		}
		for n := 0; n < 20*(round+1); {
			time.Sleep(time.Millisecond)
			mu.Lock()
			n = len(acked)
			mu.Unlock()
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		s, err = Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ListRequests(ctx, deliveries.RequestFilter{})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]bool{}
		for _, r := range got {
			have[r.ID] = true
		}
		for id := range acked {
			if !have[id] {
				t.Fatalf("round %d: request %d was acknowledged but is not there after a restart (%d acknowledged, %d kept)", round, id, len(acked), len(got))
			}
		}
	}
}
