package shuttles_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"lifeline/routing"
	"lifeline/routing/shuttles"
	"lifeline/routing/vrp"
	"lifeline/zones"
)

// crowMatrix drives at 30 km/h along 1.3 x the straight line.
func crowMatrix(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
	tm, dm := routing.NewMatrix(len(ps), len(ps)), routing.NewMatrix(len(ps), len(ps))
	for i := range ps {
		for j := range ps {
			d := 1.3 * geo.Distance(ps[i], ps[j])
			dm.Set(i, j, d)
			tm.Set(i, j, d/(30/3.6))
		}
	}
	return tm, dm, nil
}

func TestPlanDay(t *testing.T) {
	dd, d := demoDistrict(t)
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	rs, err := shuttles.DemoRiders(dd, monday, shuttles.DemoSeed)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		rs[i].ID = int64(i + 1)
	}
	ru := shuttles.NewRules(d.Facilities)
	trips, skipped := shuttles.ExpandTrips(rs, ru, monday)
	riding := 0
	for i := range rs {
		if len(rs[i].SessionsOn(monday)) > 0 {
			riding++
		}
	}
	if len(trips) != 2*(riding-len(skipped)) || riding < 20 {
		t.Fatalf("%d trips, %d skipped, %d riders with a session", len(trips), len(skipped), riding)
	}
	var depot orb.Point
	for _, f := range d.Facilities {
		if f.Kind == zones.FacilityDepot {
			depot = f.Point
		}
	}
	var vans []shuttles.Van
	for i := 1; i <= 8; i++ {
		vans = append(vans, shuttles.Van{ID: uint64(i), Start: depot, Seats: 6, WheelchairPlaces: 1})
	}
	res, kept, err := shuttles.PlanDay(context.Background(), trips, vans, shuttles.DefaultPolicy(), crowMatrix, vrp.Options{Seed: 1, TimeLimit: 3 * time.Second, Workers: 1})
	if err != nil {
		t.Fatalf("solve: %v (%v)", err, res)
	}
	if len(kept) != len(trips) || len(res.Skipped) != 0 {
		t.Fatalf("kept %d of %d: %v", len(kept), len(trips), res.Skipped)
	}
	if res.Planned+len(res.Unplanned) != len(kept) || res.Planned < len(kept)*9/10 {
		t.Fatalf("planned %d, unplanned %d of %d: %v", res.Planned, len(res.Unplanned), len(kept), res.Unplanned)
	}
	// An independent reading of the timetables.
	byID := map[uint64]shuttles.Trip{}
	for _, tr := range kept {
		byID[tr.ID] = tr
	}
	for _, v := range res.Vans {
		onboard := map[uint64]bool{}
		picked := map[uint64]float64{}
		seats, chairs := 0, 0
		for _, s := range v.Stops {
			tr := byID[s.TripID]
			if s.Action == "pick_up" {
				for id := range onboard {
					if byID[id].Colour != tr.Colour {
						t.Fatalf("van %d: %s (%s) boards with %s (%s)", v.Van, tr.Pseudonym, tr.Colour, byID[id].Pseudonym, byID[id].Colour)
					}
				}
				onboard[tr.ID] = true
				picked[tr.ID] = s.Start + svc(tr, true)
				seats += tr.Seats
				if tr.Wheelchair {
					chairs++
				}
				if tr.Direction == "outbound" && (s.Start < float64(sessionEnd(tr))-1e-6 || s.Start > float64(sessionEnd(tr)+30*60)+1e-6) {
					t.Fatalf("%s leaves at %s, session %s", tr.Pseudonym, s.Time, tr.Session)
				}
			} else {
				if !onboard[tr.ID] {
					t.Fatalf("van %d drops %s who is not on board", v.Van, tr.Pseudonym)
				}
				delete(onboard, tr.ID)
				seats -= tr.Seats
				if tr.Wheelchair {
					chairs--
				}
				ride := s.Start - picked[tr.ID]
				if ride > math.Max(1800, 1.5*direct(tr)+600)+1 {
					t.Fatalf("%s rides %.0f s, direct %.0f s", tr.Pseudonym, ride, direct(tr))
				}
				if tr.Direction == "inbound" {
					st := sessionStart(tr)
					if s.Start < float64(st-40*60)-1e-6 || s.Start > float64(st-5*60)+1e-6 {
						t.Fatalf("%s arrives at %s for %s", tr.Pseudonym, s.Time, tr.Session)
					}
				}
			}
			if seats > 6 || chairs > 1 || seats < 0 {
				t.Fatalf("van %d: %d seats, %d wheelchairs taken", v.Van, seats, chairs)
			}
		}
		if len(onboard) != 0 {
			t.Fatalf("van %d ends with riders on board", v.Van)
		}
	}
	t.Logf("%d trips, %d planned on %d vans, %d unplanned, %d skipped", len(kept), res.Planned, res.VansUsed, len(res.Unplanned), len(skipped))

	// Bad vans name the field.
	for _, bad := range []shuttles.Van{{ID: 0, Start: depot, Seats: 6}, {ID: 1, Start: depot, Seats: 0}, {ID: 1, Seats: 6},
		{ID: 1, Start: depot, Seats: 6, ShiftStart: "20:00", ShiftEnd: "06:00"}} {
		_, _, err := shuttles.PlanDay(context.Background(), trips, []shuttles.Van{bad}, shuttles.DefaultPolicy(), crowMatrix, vrp.Options{MaxIterations: 1})
		var ve *zones.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("van %+v: %v", bad, err)
		}
	}
	// A boarding point with no road is skipped, not planned.
	cut := func(ps []orb.Point) (routing.Matrix, routing.Matrix, error) {
		tm, dm, _ := crowMatrix(ps)
		for i, p := range ps {
			if p == kept[0].From {
				for j := range ps {
					if j != i {
						tm.Set(i, j, routing.Unreachable)
						tm.Set(j, i, routing.Unreachable)
					}
				}
			}
		}
		return tm, dm, nil
	}
	res2, kept2, err := shuttles.PlanDay(context.Background(), trips, vans, shuttles.DefaultPolicy(), cut, vrp.Options{Seed: 1, MaxIterations: 50})
	if err != nil || len(res2.Skipped) == 0 || len(kept2)+len(res2.Skipped) != len(trips) || res2.Skipped[0].Refusal.Code != "unreachable" {
		t.Fatalf("unreachable: %v %d %v", err, len(kept2), res2.Skipped)
	}
}

func svc(tr shuttles.Trip, pickup bool) float64 {
	if (tr.Direction == "inbound") == pickup {
		return float64(tr.Boarding)
	}
	return shuttles.FacilityStopSec
}

func direct(tr shuttles.Trip) float64 { return 1.3 * geo.Distance(tr.From, tr.To) / (30 / 3.6) }

func sessionStart(tr shuttles.Trip) int {
	m, _ := shuttles.ParseClock(tr.Session[4:9])
	return m * 60
}

func sessionEnd(tr shuttles.Trip) int {
	m, _ := shuttles.ParseClock(tr.Session[10:15])
	return m * 60
}
