package memstore

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"lifeline/data/storetest"
	"lifeline/routing/shuttles"
)

func TestRidersConformance(t *testing.T) {
	storetest.RunRiders(t, func(t *testing.T) shuttles.RiderStore {
		s := New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestRidersConformancePersisted(t *testing.T) {
	storetest.RunRiders(t, func(t *testing.T) shuttles.RiderStore {
		s, err := Open(filepath.Join(t.TempDir(), "snapshot.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestRidersSurviveRestart: riders.json (mode 0600) is read back; ids go on;
// a damaged file is refused with its name, not silently emptied.
func TestRidersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.json")
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.ImportRiders(ctx, []shuttles.Rider{storetest.SampleRider(1), storetest.SampleRider(2)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ArchiveRider(ctx, rs[0].ID); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.GetRider(ctx, rs[1].ID); err != ErrClosed {
		t.Fatalf("after close: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "riders.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("riders.json: %v %v", fi, err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ListRiders(ctx, shuttles.RiderFilter{IncludeArchived: true})
	if err != nil || len(got) != 2 || !got[0].Archived || !reflect.DeepEqual(got[1], rs[1]) {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	r3, err := s.CreateRider(ctx, storetest.SampleRider(3))
	if err != nil || r3.ID <= rs[1].ID {
		t.Fatalf("id after restart: %+v %v", r3, err)
	}
	s.Close()

	data, _ := os.ReadFile(filepath.Join(dir, "riders.json"))
	bad := strings.Replace(string(data), `"07:30"`, `"25:00"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "riders.json"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ListRiders(ctx, shuttles.RiderFilter{}); err == nil || !strings.Contains(err.Error(), "riders.json") || !strings.Contains(err.Error(), "sessions[0].start") {
		t.Fatalf("damaged file: %v", err)
	}
}

func TestShuttleDaysConformance(t *testing.T) {
	storetest.RunShuttleDays(t, func(t *testing.T) storetest.DayStore {
		s := New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestShuttleDaysPersisted: the suite on a store with files, and a reopen
// reads every version and appointment back.
func TestShuttleDaysPersisted(t *testing.T) {
	storetest.RunShuttleDays(t, func(t *testing.T) storetest.DayStore {
		s, err := Open(filepath.Join(t.TempDir(), "snapshot.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
	path := filepath.Join(t.TempDir(), "store.json")
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := s.SaveTimetable(ctx, storetest.SampleTimetable("2026-11-30"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAppointment(ctx, shuttles.Appointment{RiderID: 1, Date: "2026-11-30", Kind: shuttles.CategoryOther, Start: "10:00", DurationMin: 30})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetTimetable(ctx, "2026-11-30", 0)
	if err != nil || !reflect.DeepEqual(got, v1) {
		t.Fatalf("after reopen: %v", err)
	}
	if b, err := s.GetAppointment(ctx, a.ID); err != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("appointment after reopen: %+v %v", b, err)
	}
	if next, err := s.CreateAppointment(ctx, shuttles.Appointment{RiderID: 1, Date: "2026-11-30", Kind: shuttles.CategoryOther, Start: "11:00", DurationMin: 30}); err != nil || next.ID <= a.ID {
		t.Fatalf("next id: %+v %v", next, err)
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(path), "timetables", "2026-11-30.v1.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("timetable file: %v %v", fi, err)
	}
}
