package zones

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

var vT0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func vRect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

func tp(t time.Time) *time.Time { return &t }

func vZone() Zone {
	return Zone{ID: 7, Version: 3, Kind: KindSealed, Name: "A", Reason: "r", ExternalKey: "k7", Geometry: vRect(104, 30, 104.01, 30.01),
		EffectiveFrom: vT0, CreatedAt: vT0.Add(-time.Hour), UpdatedAt: vT0}
}

func TestPlanUpdate(t *testing.T) {
	now := vT0.Add(72 * time.Hour)
	lifted := vZone()
	lifted.EffectiveUntil = tp(vT0.Add(48 * time.Hour))
	cases := []struct {
		name      string
		cur       Zone
		upd       func(z *Zone)
		wantFrom  time.Time
		wantUntil *time.Time
		errPath   string // a validation error at this path
		conflict  bool
	}{
		{"default now", vZone(), func(z *Zone) { z.EffectiveFrom = time.Time{} }, now, nil, "", false},
		{"given time", vZone(), func(z *Zone) { z.EffectiveFrom = vT0.Add(time.Hour) }, vT0.Add(time.Hour), nil, "", false},
		{"given end", vZone(), func(z *Zone) { z.EffectiveFrom = vT0.Add(time.Hour); z.EffectiveUntil = tp(vT0.Add(2 * time.Hour)) }, vT0.Add(time.Hour), tp(vT0.Add(2 * time.Hour)), "", false},
		{"lift kept", lifted, func(z *Zone) { z.EffectiveFrom = vT0.Add(time.Hour) }, vT0.Add(time.Hour), lifted.EffectiveUntil, "", false},
		{"at the current start", vZone(), func(z *Zone) { z.EffectiveFrom = vT0 }, time.Time{}, nil, "properties.effective_from", false},
		{"before the current start", vZone(), func(z *Zone) { z.EffectiveFrom = vT0.Add(-time.Hour) }, time.Time{}, nil, "properties.effective_from", false},
		{"after the lift", lifted, func(z *Zone) { z.EffectiveFrom = time.Time{} }, time.Time{}, nil, "", true},
		{"at the lift", lifted, func(z *Zone) { z.EffectiveFrom = *lifted.EffectiveUntil }, time.Time{}, nil, "", true},
		{"end before start", vZone(), func(z *Zone) { z.EffectiveFrom = vT0.Add(2 * time.Hour); z.EffectiveUntil = tp(vT0.Add(time.Hour)) }, time.Time{}, nil, "properties.effective_until", false},
		{"bad kind", vZone(), func(z *Zone) { z.EffectiveFrom = vT0.Add(time.Hour); z.Kind = "x" }, time.Time{}, nil, "properties.kind", false},
		{"NUL name", vZone(), func(z *Zone) { z.EffectiveFrom = vT0.Add(time.Hour); z.Name = "a\x00" }, time.Time{}, nil, "properties.name", false},
		{"after 2100", vZone(), func(z *Zone) { z.EffectiveFrom = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) }, time.Time{}, nil, "properties.effective_from", false},
	}
	for _, c := range cases {
		upd := c.cur
		upd.Kind, upd.Name, upd.Geometry, upd.EffectiveUntil = KindControlled, "A2", vRect(104.02, 30, 104.03, 30.01), nil
		c.upd(&upd)
		ended, next, err := PlanUpdate(c.cur, upd, now)
		switch {
		case c.conflict:
			if !errors.Is(err, ErrConflict) {
				t.Errorf("%s: err = %v, want ErrConflict", c.name, err)
			}
			continue
		case c.errPath != "":
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Path != c.errPath {
				t.Errorf("%s: err = %v, want a validation error at %s", c.name, err, c.errPath)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if ended.Version != c.cur.Version || ended.EffectiveUntil == nil || !ended.EffectiveUntil.Equal(c.wantFrom) ||
			ended.Kind != c.cur.Kind || !ended.EffectiveFrom.Equal(c.cur.EffectiveFrom) {
			t.Errorf("%s: ended %+v", c.name, ended)
		}
		if next.ID != 7 || next.Version != 4 || next.Kind != KindControlled || next.Name != "A2" || next.ExternalKey != "k7" ||
			!next.EffectiveFrom.Equal(c.wantFrom) || !next.CreatedAt.Equal(c.cur.CreatedAt) || !next.UpdatedAt.Equal(now) {
			t.Errorf("%s: next %+v", c.name, next)
		}
		if (next.EffectiveUntil == nil) != (c.wantUntil == nil) || (c.wantUntil != nil && !next.EffectiveUntil.Equal(*c.wantUntil)) {
			t.Errorf("%s: next until %v, want %v", c.name, next.EffectiveUntil, c.wantUntil)
		}
	}
}

func TestPlanLift(t *testing.T) {
	now := vT0.Add(72 * time.Hour)
	lifted := vZone()
	lifted.EffectiveUntil = tp(vT0.Add(48 * time.Hour))
	if z, changed, err := PlanLift(vZone(), vT0.Add(time.Hour), now); err != nil || !changed || !z.EffectiveUntil.Equal(vT0.Add(time.Hour)) || !z.UpdatedAt.Equal(now) {
		t.Errorf("lift: %+v %v %v", z, changed, err)
	}
	if _, changed, err := PlanLift(lifted, *lifted.EffectiveUntil, now); err != nil || changed {
		t.Errorf("lift at the same time: changed %v, %v", changed, err)
	}
	if z, changed, err := PlanLift(lifted, vT0.Add(time.Hour), now); err != nil || !changed || !z.EffectiveUntil.Equal(vT0.Add(time.Hour)) {
		t.Errorf("lift earlier: %+v %v %v", z, changed, err)
	}
	if _, _, err := PlanLift(lifted, vT0.Add(50*time.Hour), now); !errors.Is(err, ErrConflict) {
		t.Errorf("lift later than a lift: %v", err)
	}
	for _, at := range []time.Time{vT0, vT0.Add(-time.Hour), {}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
		var ve *ValidationError
		if _, _, err := PlanLift(vZone(), at, now); !errors.As(err, &ve) || ve.Path != "effective_until" {
			t.Errorf("lift at %v: %v, want a validation error", at, err)
		}
	}
}

func TestPlanImport(t *testing.T) {
	now := vT0.Add(72 * time.Hour)
	cur := vZone()
	same := cur
	same.Geometry = orb.MultiPolygon{{{{104, 30}, {104, 30.01}, {104.01, 30.01}, {104.01, 30}, {104, 30}}}} // reversed ring
	same.EffectiveFrom = vT0.Add(-time.Hour)                                                                // not content
	renamed := cur
	renamed.Name = "A2"
	later := renamed
	later.EffectiveFrom = vT0.Add(5 * time.Hour)
	ended := cur
	ended.EffectiveUntil = tp(vT0.Add(24 * time.Hour))
	cases := []struct {
		name      string
		cur       *Zone
		in        Zone
		action    ImportAction
		nextFrom  time.Time // for a new version
		endedWant *time.Time
	}{
		{"new", nil, cur, ImportCreated, time.Time{}, nil},
		{"same", &cur, same, ImportUnchanged, time.Time{}, nil},
		{"renamed, file time not later", &cur, renamed, ImportUpdated, now, nil},
		{"renamed, later file time", &cur, later, ImportUpdated, later.EffectiveFrom, nil},
		{"same with an end", &cur, ended, ImportUpdated, time.Time{}, ended.EffectiveUntil},
	}
	for _, c := range cases {
		p, err := PlanImport(c.cur, c.in, now)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p.Action != c.action {
			t.Errorf("%s: action %s, want %s", c.name, p.Action, c.action)
			continue
		}
		switch {
		case c.action == ImportCreated:
			if p.New.ID != 0 || p.New.Version != 1 {
				t.Errorf("%s: new %+v", c.name, p.New)
			}
		case c.endedWant != nil:
			if p.Next != nil || p.Ended.EffectiveUntil == nil || !p.Ended.EffectiveUntil.Equal(*c.endedWant) {
				t.Errorf("%s: plan %+v", c.name, p)
			}
		case c.action == ImportUpdated:
			if p.Next == nil || !p.Next.EffectiveFrom.Equal(c.nextFrom) || p.Next.Version != cur.Version+1 {
				t.Errorf("%s: next %+v, want from %v", c.name, p.Next, c.nextFrom)
			}
		}
	}
	for _, zs := range [][]Zone{nil, {cur, cur}, {{ID: 3}, {ID: 3}}, {{ExternalKey: "a\x00"}}} {
		if err := CheckImport(zs); err == nil {
			t.Errorf("CheckImport(%d zones) accepted", len(zs))
		}
	}
	if err := CheckImport([]Zone{{ID: 3}, {ID: 4}, {ExternalKey: "x", ID: 3}}); err != nil {
		t.Errorf("CheckImport of distinct ids and keys: %v", err)
	}
}

// FuzzCutAntimeridian cuts random quadrilaterals and triangles that cross
// ±180: the result is valid, inside [-180, 180], and covers the same area.
func FuzzCutAntimeridian(f *testing.F) {
	f.Add(179.5, -17.0, 1.0, 1.0, 0.3, 0.2, int64(1))
	f.Add(170.0, 60.0, 20.0, 5.0, -0.5, 0.1, int64(2))
	f.Fuzz(func(t *testing.T, x, y, w, h, skew, tilt float64, seed int64) {
		if math.IsNaN(x+y+w+h+skew+tilt) || w <= 0.001 || h <= 0.001 || w > 170 || h > 60 || math.Abs(y) > 80-h ||
			math.Abs(skew) > 0.9 || math.Abs(tilt) > 0.9 || x < 0 || x > 180 {
			return
		}
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		// A convex quadrilateral from x (east of 0) eastwards across 180.
		pts := []orb.Point{{x, y}, {x + w, y + tilt*h}, {x + w*(1+skew*0.5*rng.Float64()), y + h}, {x, y + h*(1-0.5*tilt*tilt)}}
		if !(x+w > 180) {
			return
		}
		ring := orb.Ring{}
		area := 0.0
		for i, p := range pts {
			q := pts[(i+1)%len(pts)]
			area += p[0]*q[1] - q[0]*p[1]
		}
		if area <= 0 {
			return
		}
		for _, p := range append(pts, pts[0]) {
			lon := p[0]
			if lon > 180 {
				lon -= 360
			}
			ring = append(ring, orb.Point{lon, p[1]})
		}
		if ValidatePolygon("p", orb.Polygon{unwrapMust(ring)}) != nil {
			return // not a simple polygon to begin with
		}
		cut, err := CutAntimeridian("g", orb.MultiPolygon{{ring}})
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.HasPrefix(ve.Path, "g[0]") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if err := ValidateMultiPolygon("g", cut); err != nil {
			t.Fatalf("cut %v invalid: %v", cut, err)
		}
		got := 0.0
		for _, poly := range cut {
			for _, r := range poly {
				for _, p := range r {
					if p[0] < -180 || p[0] > 180 {
						t.Fatalf("cut has longitude %v", p[0])
					}
				}
			}
			got += math.Abs(ringArea(poly[0]))
		}
		if want := area / 2; math.Abs(got-want) > 1e-6*math.Max(1, want) {
			t.Fatalf("cut area %v, want %v (%v)", got, want, cut)
		}
	})
}

func unwrapMust(r orb.Ring) orb.Ring {
	u, _ := unwrap(r)
	return u
}
