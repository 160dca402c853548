package shuttles

import (
	"fmt"

	"github.com/paulmach/orb"

	"lifeline/routing"
)

// DayCheck is the shuttle checker's reading of a day's timetable: an
// oracle written from the rules of the service alone (it never looks at
// the engine's problem), run on every published timetable beside
// routing/vrp/check.
type DayCheck struct {
	Trips  int `json:"trips"`  // trips of the day that have a place on the road
	Served int `json:"served"` // picked up and dropped off by the same van
	// Counts of broken rules, by kind.
	RideBreaks   int `json:"ride_breaks"`   // ride longer than the policy allows
	ColourMixing int `json:"colour_mixing"` // two colours on board together
	Cleaning     int `json:"cleaning"`      // a new colour boarded before the van was cleaned
	LateArrivals int `json:"late_arrivals"` // inbound arriving after the latest time
	Windows      int `json:"windows"`       // any other window broken (early arrival, pick-up outside its window)
	Seats        int `json:"seats"`         // more seats or wheelchairs taken than the van has
	Shifts       int `json:"shifts"`        // van driving outside its shift
	Travel       int `json:"travel"`        // a stop reached faster than the road allows
	Structure    int `json:"structure"`     // unknown van or trip, a trip served twice, dropped without pick-up, left on board
	// Problems lists every broken rule (without personal data).
	Problems []string `json:"problems"`
}

// OK reports whether no rule is broken.
func (c *DayCheck) OK() bool { return len(c.Problems) == 0 }

// Messages returns the problems (never nil).
func (c DayCheck) Messages() []string {
	if c.Problems == nil {
		return []string{}
	}
	return c.Problems
}

func (c *DayCheck) add(n *int, format string, a ...any) {
	*n++
	if len(c.Problems) < 200 {
		c.Problems = append(c.Problems, fmt.Sprintf(format, a...))
	}
}

// checkTol is the checker's tolerance on times (seconds).
const checkTol = 1e-3

// CheckDay checks res against the day's trips, vans and policy: every
// trip served at most once, on one van, picked up before it is dropped
// off; inbound arrivals inside their window (late arrivals counted apart);
// outbound and urgent pick-ups inside theirs; ride times within the
// policy's limit on the direct drive; never two colours on board, and the
// cleaning time between colours (from the last drop-off of a colour to the
// first pick-up of another, less the driving in between); seats and
// wheelchair places; each van inside its shift, from and back to its
// depot; travel between stops no faster than the matrix. tm and index give
// driving times between points (index maps a point to its row; a nil
// index skips the travel checks and takes the trips' MaxRideTime as the
// ride limit).
func CheckDay(trips []Trip, vans []Van, pol Policy, res *PlanResult, tm routing.Matrix, index map[orb.Point]int) DayCheck {
	c := DayCheck{Trips: len(trips), Problems: []string{}}
	byTrip := make(map[uint64]*Trip, len(trips))
	for i := range trips {
		byTrip[trips[i].ID] = &trips[i]
	}
	byVan := map[uint64]*Van{}
	for i := range vans {
		byVan[vans[i].ID] = &vans[i]
	}
	travel := func(a, b orb.Point) (float64, bool) {
		if index == nil {
			return 0, false
		}
		i, ok1 := index[a]
		j, ok2 := index[b]
		if !ok1 || !ok2 {
			return 0, false
		}
		return tm.At(i, j), true
	}
	served := map[uint64]uint64{}
	for _, vt := range res.Vans {
		v := byVan[vt.Van]
		if v == nil {
			c.add(&c.Structure, "van %d is not in the fleet", vt.Van)
			continue
		}
		a, b := v.shift()
		type board struct {
			t    *Trip
			left float64 // departure from the pick-up
		}
		onboard := map[uint64]board{}
		seats, chairs := 0, 0
		prev, prevDep := v.Start, float64(a*60)
		first := true
		carried := map[string]bool{} // colours since the last cleaning
		var cleanFrom, driven float64
		emptyFrom := false
		for k, s := range vt.Stops {
			where := fmt.Sprintf("van %d stop %d (%s %s)", vt.Van, k+1, s.Pseudonym, s.Action)
			t := byTrip[s.TripID]
			if t == nil {
				c.add(&c.Structure, "%s: unknown trip %d", where, s.TripID)
				continue
			}
			if d, ok := travel(prev, s.Point); ok {
				if s.Arrival < prevDep+d-checkTol && !first {
					c.add(&c.Travel, "%s: arrives %s, %.0f s after leaving the previous stop, the drive takes %.0f s", where, Clock(s.Arrival), s.Arrival-prevDep, d)
				}
				if first && s.Arrival-d < float64(a*60)-checkTol {
					c.add(&c.Shifts, "%s: the van would leave its depot at %s, before its shift (%s)", where, Clock(s.Arrival-d), clock(a*60))
				}
				driven += d
			}
			if s.Start < s.Arrival-checkTol {
				c.add(&c.Travel, "%s: service starts before the van arrives", where)
			}
			first = false
			if s.Action == "pick_up" {
				if _, twice := served[t.ID]; twice || onboard[t.ID].t != nil {
					c.add(&c.Structure, "%s: trip %d is picked up twice", where, t.ID)
				}
				if s.Point != t.From {
					c.add(&c.Structure, "%s: not at the trip's pick-up point", where)
				}
				for _, o := range onboard {
					if o.t.Colour != t.Colour {
						c.add(&c.ColourMixing, "%s: a %s rider boards with a %s rider (%s) on board", where, t.Colour, o.t.Colour, o.t.Pseudonym)
						break
					}
				}
				if len(onboard) == 0 && emptyFrom && !carried[string(t.Colour)] && len(carried) > 0 {
					if gap := s.Start - cleanFrom - driven; gap < float64(pol.CleaningMin*60)-checkTol {
						c.add(&c.Cleaning, "%s: a %s rider boards %.0f min after a different colour left, cleaning takes %d min", where, t.Colour, gap/60, pol.CleaningMin)
					}
					carried = map[string]bool{}
				}
				carried[string(t.Colour)] = true
				if t.Direction == "outbound" || t.Urgent {
					if s.Start < float64(t.Window[0])-checkTol || s.Start > float64(t.Window[1])+checkTol {
						c.add(&c.Windows, "%s: picked up at %s, window %s-%s", where, s.Time, clock(t.Window[0]), clock(t.Window[1]))
					}
				}
				onboard[t.ID] = board{t, s.Start + t.PickupService()}
				seats += t.Seats
				if t.Wheelchair {
					chairs++
				}
			} else {
				o, ok := onboard[t.ID]
				if !ok {
					c.add(&c.Structure, "%s: trip %d is dropped off without being picked up by this van", where, t.ID)
				} else {
					delete(onboard, t.ID)
					seats -= t.Seats
					if t.Wheelchair {
						chairs--
					}
					if s.Point != t.To {
						c.add(&c.Structure, "%s: not at the trip's drop-off point", where)
					}
					limit := t.MaxRideTime
					if d, ok := travel(t.From, t.To); ok {
						limit = pol.MaxRide(d, t.Urgent)
					}
					if ride := s.Start - o.left; ride > limit+checkTol {
						c.add(&c.RideBreaks, "%s: rides %.0f min, at most %.0f", where, ride/60, limit/60)
					}
					served[t.ID] = vt.Van
					if t.Direction == "inbound" && !t.Urgent {
						if s.Start > float64(t.Window[1])+checkTol {
							c.add(&c.LateArrivals, "%s: arrives at %s, latest %s", where, s.Time, clock(t.Window[1]))
						} else if s.Start < float64(t.Window[0])-checkTol {
							c.add(&c.Windows, "%s: arrives at %s, earliest %s", where, s.Time, clock(t.Window[0]))
						}
					}
				}
				if len(onboard) == 0 {
					emptyFrom, cleanFrom, driven = true, s.Start+t.DropService(), 0
				}
			}
			if seats > v.Seats || chairs > v.WheelchairPlaces || seats < 0 || chairs < 0 {
				c.add(&c.Seats, "%s: %d seats and %d wheelchair places taken, the van has %d and %d", where, seats, chairs, v.Seats, v.WheelchairPlaces)
			}
			prev, prevDep = s.Point, s.Start+s.Service
		}
		if len(onboard) > 0 {
			c.add(&c.Structure, "van %d ends its day with %d riders on board", vt.Van, len(onboard))
		}
		if len(vt.Stops) > 0 {
			if d, ok := travel(prev, v.Start); ok && prevDep+d > float64(b*60)+checkTol {
				c.add(&c.Shifts, "van %d is back at %s, after its shift (%s)", vt.Van, Clock(prevDep+d), clock(b*60))
			}
		}
	}
	c.Served = len(served)
	unplanned := map[uint64]bool{}
	for _, u := range res.Unplanned {
		unplanned[u.Trip.ID] = true
		if _, ok := served[u.Trip.ID]; ok {
			c.add(&c.Structure, "trip %d is both served and unplanned", u.Trip.ID)
		}
	}
	for _, t := range trips {
		if _, ok := served[t.ID]; !ok && !unplanned[t.ID] {
			c.add(&c.Structure, "trip %d (%s %s) is neither served nor unplanned", t.ID, t.Pseudonym, t.Direction)
		}
	}
	return c
}
