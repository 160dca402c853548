package live

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

var t0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// naive is the oracle: every current version tested one by one.
func naive(vs [][]zones.Zone, p orb.Point, at time.Time) string {
	var found []zones.Zone
	for _, l := range vs {
		for _, v := range l {
			if v.ActiveAt(at) && zones.MultiPolygonCovers(v.Geometry, p) {
				found = append(found, v)
			}
		}
	}
	slices.SortStableFunc(found, func(a, b zones.Zone) int {
		if a.Kind.Rank() != b.Kind.Rank() {
			return b.Kind.Rank() - a.Kind.Rank()
		}
		return int(a.ID - b.ID)
	})
	var b strings.Builder
	for _, z := range found {
		fmt.Fprintf(&b, "%d/%d ", z.ID, z.Version)
	}
	return b.String()
}

func hits(ix *Index, p orb.Point, at time.Time) string {
	var b strings.Builder
	for _, h := range ix.LookupInto(nil, nil, p, at) {
		z := ix.Zone(h)
		fmt.Fprintf(&b, "%d/%d ", z.ID, z.Version)
	}
	return b.String()
}

// TestIndexMatchesNaive puts random versions (new zones, new versions,
// new ends of the last version, placeholders without geometry) and
// rebuilds the base now and then from a copy taken earlier (the delta
// written meanwhile carried over by Rebased), checking look-ups against
// the naive oracle.
func TestIndexMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	kinds := []zones.Kind{zones.KindPrevention, zones.KindControlled, zones.KindSealed}
	var vs [][]zones.Zone
	ix := New(nil, 0)
	var pending *Index // a base built from an earlier copy, not yet swapped in
	put := func(z zones.Zone) {
		l := slices.Clone(vs[z.ID-1])
		if z.Version <= len(l) {
			l[z.Version-1] = z
		} else {
			l = append(l, z)
		}
		vs[z.ID-1] = l
		ix.Put(z)
	}
	box := func() orb.MultiPolygon {
		x, y := 104+0.1*rng.Float64(), 30.6+0.1*rng.Float64()
		w := 0.002 + 0.03*rng.Float64()
		if rng.IntN(8) == 0 {
			w = 0.2
		}
		return rect(x, y, x+w, y+w)
	}
	checked := 0
	for step := range 600 {
		at := t0.Add(time.Duration(step) * time.Minute)
		switch op := rng.IntN(10); {
		case op < 4 || len(vs) == 0:
			vs = append(vs, nil)
			z := zones.Zone{ID: int64(len(vs)), Version: 1, Kind: kinds[rng.IntN(3)], Geometry: box(), EffectiveFrom: at.Add(-time.Hour)}
			if rng.IntN(20) == 0 {
				z.Geometry = nil // an id the store skipped: kept, never found
			}
			put(z)
		case op < 7:
			id := int64(1 + rng.IntN(len(vs)))
			l := vs[id-1]
			cur := l[len(l)-1]
			if cur.EffectiveUntil != nil || len(cur.Geometry) == 0 {
				continue
			}
			end := at
			ended := cur
			ended.EffectiveUntil = &end
			next := zones.Zone{ID: id, Version: cur.Version + 1, Kind: kinds[rng.IntN(3)], Geometry: box(), EffectiveFrom: at}
			put(ended)
			put(next)
		default:
			id := int64(1 + rng.IntN(len(vs)))
			l := vs[id-1]
			cur := l[len(l)-1]
			end := at.Add(time.Duration(rng.IntN(60)) * time.Minute)
			if !end.After(cur.EffectiveFrom) {
				continue
			}
			cur.EffectiveUntil = &end
			put(cur)
		}
		if pending != nil && rng.IntN(3) == 0 {
			ix = ix.Rebased(pending)
			pending = nil
		} else if pending == nil && ix.WantsRebuild() || rng.IntN(40) == 0 {
			pending = New(slices.Clone(vs), ix.Seq())
		}
		for range 40 {
			p := orb.Point{104 + 0.15*rng.Float64(), 30.6 + 0.15*rng.Float64()}
			when := t0.Add(time.Duration(rng.IntN(step+60)-30) * time.Minute)
			want := naive(vs, p, when)
			if got := hits(ix, p, when); got != want {
				t.Fatalf("step %d, %v at %v: got %q, want %q", step, p, when, got, want)
			}
			if want != "" {
				checked++
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d non-empty answers checked", checked)
	}
}
