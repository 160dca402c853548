package deliveries

import (
	"fmt"
	"slices"
	"time"
)

// Whereabouts says where one request is now.
type Whereabouts struct {
	ID      int64     `json:"id"`
	State   State     `json:"state"`
	Since   time.Time `json:"since"`
	BatchID int64     `json:"batch_id,omitempty"`
	// Place is where the request (its list, or its medicines) is: the
	// hotline desk, a supply point, a van, a pharmacy, the door.
	Place     string `json:"place"`
	RouteList string `json:"route_list,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	// Carried is how many times the request went back to the queue from a
	// batch that could not be planned.
	Carried int `json:"carried,omitempty"`
}

// Reconciliation is the day's account of requests: every request received
// for the day is in exactly one state, so In equals the sum of ByState
// (Balanced), and every batched request is in the batch that lists it.
type Reconciliation struct {
	Date       string        `json:"date"`
	In         int           `json:"in"`
	ByState    map[State]int `json:"by_state"`
	Out        int           `json:"out"` // delivered + failed
	Open       int           `json:"open"`
	Balanced   bool          `json:"balanced"`
	Duplicates int           `json:"duplicates"`
	Batches    int           `json:"batches"`
	// Carried counts the day's requests that went back to the queue at
	// least once (an unplanned batch); CarriedIn the requests of earlier
	// days in the day's batches (left behind, taken by this day's cuts).
	Carried   int `json:"carried"`
	CarriedIn int `json:"carried_in"`
	// Problems lists inconsistencies (empty when all is well): a request
	// in a batch that does not list it, a batch listing a request that is
	// not in it, a history that does not end in the state.
	Problems []string      `json:"problems"`
	Requests []Whereabouts `json:"requests"`
}

// Reconcile accounts for the requests of a day. reqs holds the requests
// of date and may hold others (those of earlier days in the day's
// batches: they are checked, not counted); batches the day's batches and
// may hold others (those of later days holding the day's requests). A
// request carried out of a batch (Batch.Carried) is no longer in it.
func Reconcile(date string, reqs []Request, batches []Batch, d *District) *Reconciliation {
	rc := &Reconciliation{Date: date, ByState: map[State]int{}, Problems: []string{}, Requests: make([]Whereabouts, 0, len(reqs))}
	for _, s := range States {
		rc.ByState[s] = 0
	}
	byBatch := map[int64]*Batch{}
	listed := map[int64]int64{}
	for i := range batches {
		b := &batches[i]
		byBatch[b.ID] = b
		if b.Date == date {
			rc.Batches++
		}
		for _, id := range b.Requests {
			if slices.Contains(b.Carried, id) {
				continue
			}
			if prev, dup := listed[id]; dup {
				rc.Problems = append(rc.Problems, fmt.Sprintf("request %d is listed by batches %d and %d", id, prev, b.ID))
			}
			listed[id] = b.ID
		}
	}
	dateOf := map[int64]string{}
	for i := range reqs {
		dateOf[reqs[i].ID] = reqs[i].Date
	}
	label := func(id int64) string {
		if d == nil {
			return fmt.Sprintf("#%d", id)
		}
		return d.Label(id)
	}
	seen := map[int64]bool{}
	for i := range reqs {
		r := &reqs[i]
		if r.Date != date {
			continue
		}
		seen[r.ID] = true
		rc.In++
		rc.ByState[r.State]++
		if r.DuplicateOf != 0 {
			rc.Duplicates++
		}
		w := Whereabouts{ID: r.ID, State: r.State, BatchID: r.BatchID, Reason: r.Reason, Duplicate: r.DuplicateOf != 0, Carried: r.Carried()}
		if w.Carried > 0 {
			rc.Carried++
		}
		if n := len(r.History); n > 0 {
			w.Since = r.History[n-1].At
			if r.History[n-1].State != r.State {
				rc.Problems = append(rc.Problems, fmt.Sprintf("request %d: history ends in %s but the state is %s", r.ID, r.History[n-1].State, r.State))
			}
		}
		b := byBatch[r.BatchID]
		if r.BatchID != 0 && (b == nil || listed[r.ID] != r.BatchID) {
			rc.Problems = append(rc.Problems, fmt.Sprintf("request %d is in batch %d, which does not list it", r.ID, r.BatchID))
		}
		if r.BatchID == 0 && r.State.Rank() >= StateBatched.Rank() {
			rc.Problems = append(rc.Problems, fmt.Sprintf("request %d is %s without a batch", r.ID, r.State))
		}
		stop := func(leg int) string {
			if b == nil {
				return ""
			}
			for _, s := range b.Stops {
				if s.Leg == leg {
					return s.List
				}
			}
			return ""
		}
		sp := label(r.SupplyPointID)
		switch r.State {
		case StateReceived:
			w.Place = "hotline desk: waiting for the next cut-off"
			if w.Carried > 0 {
				w.Place = "hotline desk: carried to the next cut-off"
				w.Reason = r.History[len(r.History)-1].Reason
			}
		case StateBatched:
			w.Place = "at " + sp + ": waiting for the van"
			w.RouteList = stop(1)
		case StateCollected:
			w.Place = "in the van to the pharmacy"
			w.RouteList = stop(1)
		case StateAtPharmacy:
			if b != nil {
				w.Place = "at " + label(b.PharmacyID)
			} else {
				w.Place = "at the pharmacy"
			}
			w.RouteList = stop(2)
		case StateOnTheWayBack:
			w.Place = "in the van back to " + sp
			w.RouteList = stop(2)
		case StateAtSupplyPoint:
			w.Place = "at " + sp + ": with the volunteers"
		case StateDelivered:
			w.Place = "delivered to the door"
		case StateFailed:
			w.Place = "failed"
		}
		rc.Requests = append(rc.Requests, w)
	}
	for id, bid := range listed {
		if seen[id] || byBatch[bid].Date != date {
			continue
		}
		if day, ok := dateOf[id]; ok && day < date {
			rc.CarriedIn++
			continue
		}
		rc.Problems = append(rc.Problems, fmt.Sprintf("batch %d lists request %d, which is not a request of %s or an earlier day", bid, id, date))
	}
	slices.Sort(rc.Problems)
	sum := 0
	for _, n := range rc.ByState {
		sum += n
	}
	rc.Out = rc.ByState[StateDelivered] + rc.ByState[StateFailed]
	rc.Open = rc.In - rc.Out
	rc.Balanced = sum == rc.In && len(rc.Problems) == 0
	return rc
}
