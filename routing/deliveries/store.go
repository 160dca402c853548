package deliveries

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// StopRef ties a stop of a driver's route list to a batch: when the driver
// reports the stop done, the batch's requests move to Event; failed, they
// fail with the driver's reason.
type StopRef struct {
	List  string `json:"route_list"`
	Seq   int    `json:"seq"`
	Leg   int    `json:"leg"` // 1: supply point -> pharmacy, 2: pharmacy -> supply point
	Event State  `json:"state"`
	Van   int64  `json:"van"`
	// Arrival is the planned arrival, seconds after midnight.
	Arrival float64 `json:"arrival"`
}

// Batch is the requests of one supply point for one pharmacy cut at one
// cut-off (an urgent request is a batch of its own).
type Batch struct {
	ID            int64     `json:"id"`
	Date          string    `json:"date"`
	Cut           string    `json:"cut"` // "10:00", "15:00" or "now"
	CutAt         time.Time `json:"cut_at"`
	SupplyPointID int64     `json:"supply_point_id"`
	PharmacyID    int64     `json:"pharmacy_id"`
	Urgent        bool      `json:"urgent"`
	Requests      []int64   `json:"requests"`
	Boxes         int       `json:"boxes"`
	VolumeML      int       `json:"volume_ml"`
	Prescriptions int       `json:"prescriptions"`
	Cards         int       `json:"insurance_cards"`
	Priority      int       `json:"priority"`
	// Stops are the route-list stops of its two legs once planned;
	// Unplanned says why a planned batch got no (or half a) route.
	Stops     []StopRef `json:"stops"`
	Unplanned string    `json:"unplanned,omitempty"`
	// Carried lists the requests that went back to the queue because the
	// batch got no route at all (SetBatchPlan without stops): they are no
	// longer in it, and the next cut takes them first. Requests keeps
	// them: it is what the cut made.
	Carried   []int64   `json:"carried,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Clone returns a deep copy of b.
func (b Batch) Clone() Batch {
	b.Requests = append([]int64(nil), b.Requests...)
	b.Stops = append([]StopRef(nil), b.Stops...)
	b.Carried = append([]int64(nil), b.Carried...)
	return b
}

// HasLeg reports whether b has a stop of leg l.
func (b *Batch) HasLeg(l int) bool {
	for _, s := range b.Stops {
		if s.Leg == l {
			return true
		}
	}
	return false
}

// Holds reports whether request id is in b: listed and not carried.
func (b *Batch) Holds(id int64) bool {
	return slices.Contains(b.Requests, id) && !slices.Contains(b.Carried, id)
}

// Van is one delivery van of the fleet: its depot, its capacity in boxes
// and litres, its shift (HH:MM, district time) and the driver account its
// route lists are assigned to ("" for none).
type Van struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Depot      orb.Point `json:"depot"`
	Boxes      int       `json:"boxes"`
	VolumeL    int       `json:"volume_l"`
	ShiftStart string    `json:"shift_start"`
	ShiftEnd   string    `json:"shift_end"`
	Driver     string    `json:"driver,omitempty"`
}

// MaxVans is the largest fleet.
const MaxVans = 500

// Shift returns the shift in seconds after midnight.
func (v *Van) Shift() (int, int, error) {
	a, err := ParseClock(v.ShiftStart)
	if err != nil {
		return 0, 0, err
	}
	b, err := ParseClock(v.ShiftEnd)
	if err != nil {
		return 0, 0, err
	}
	return a, b, nil
}

// ValidateVans checks a fleet: 1 to MaxVans vans with unique positive ids,
// a name, a depot, 1-500 boxes, 1-20000 litres and a shift that ends after
// it starts.
func ValidateVans(vans []Van) error {
	if len(vans) == 0 {
		return verr("vans", "at least one van")
	}
	if len(vans) > MaxVans {
		return verr("vans", "at most %d vans, got %d", MaxVans, len(vans))
	}
	seen := map[int64]bool{}
	for i, v := range vans {
		p := fmt.Sprintf("vans[%d]", i)
		if v.ID <= 0 || seen[v.ID] {
			return verr(p+".id", "want a positive id, unique among the vans")
		}
		seen[v.ID] = true
		if err := checkText(p+".name", v.Name, true, 60); err != nil {
			return err
		}
		d := v.Depot
		if math.IsNaN(d[0]) || math.IsNaN(d[1]) || math.Abs(d[0]) > 180 || math.Abs(d[1]) > 90 || d == (orb.Point{}) {
			return verr(p+".depot", "want [lon, lat]")
		}
		if v.Boxes < 1 || v.Boxes > 500 {
			return verr(p+".boxes", "want 1 to 500, got %d", v.Boxes)
		}
		if v.VolumeL < 1 || v.VolumeL > 20000 {
			return verr(p+".volume_l", "want 1 to 20000 litres, got %d", v.VolumeL)
		}
		a, b, err := v.Shift()
		if err != nil {
			return verr(p+".shift_start", "%s", err.Error())
		}
		if b <= a {
			return verr(p+".shift_end", "the shift must end after it starts")
		}
		if err := checkText(p+".driver", v.Driver, false, 60); err != nil {
			return err
		}
	}
	return nil
}

// ParseClock parses "HH:MM" (00:00 to 24:00) into seconds after midnight.
func ParseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("want a time HH:MM, got %q", truncate(s, 20))
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("want a time HH:MM, got %q", s)
		}
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m > 0) {
		return 0, fmt.Errorf("want a time between 00:00 and 24:00, got %q", s)
	}
	return h*3600 + m*60, nil
}

// Clock renders seconds after midnight as HH:MM.
func Clock(sec float64) string {
	s := int(math.Round(sec))
	return fmt.Sprintf("%02d:%02d", s/3600, s/60%60)
}

// RequestFilter selects requests in ListRequests. Zero fields do not
// filter. Requests are listed by ascending id.
type RequestFilter struct {
	Date          string
	State         State
	SupplyPointID int64
	BatchID       int64
	Limit         int
	Offset        int
}

// Matches reports whether r passes f (the memstore's definition; the
// PostGIS store does the same in SQL).
func (f RequestFilter) Matches(r *Request) bool {
	return (f.Date == "" || r.Date == f.Date) && (f.State == "" || r.State == f.State) &&
		(f.SupplyPointID == 0 || r.SupplyPointID == f.SupplyPointID) && (f.BatchID == 0 || r.BatchID == f.BatchID)
}

// Fingerprint is what an idempotent retry must repeat: every field the
// caller gives (the supply point excepted, which the server may fill).
func (r *Request) Fingerprint() string {
	b, _ := json.Marshal([]any{r.Date, r.CompoundID, r.Building, r.BuildingPoint, r.Flat, r.Name, r.Phone, r.Items,
		r.Prescription, r.InsuranceCard, r.Urgency, r.Caller, r.Channel, r.PharmacyID})
	return string(b)
}

// Store keeps requests, batches and the fleet. Implementations are safe
// for concurrent use and truncate times to the microsecond in UTC.
// Unknown ids are zones.ErrNotFound; invalid input a
// *zones.ValidationError; a move the state machine refuses, or an
// idempotency key reused for a different request, zones.ErrConflict.
type Store interface {
	// CreateRequest stores r (Validate) as received with a new id, its
	// duplicate flag (DuplicateOfIn the same day's requests) and one
	// history entry by By. When r.Key is already stored with the same
	// Fingerprint it returns the stored request and created false, and
	// writes nothing.
	CreateRequest(ctx context.Context, r Request, by string) (req Request, created bool, err error)
	// ImportRequests is CreateRequest for every request of rs in one
	// transaction: all or nothing. A key repeated within rs is a conflict.
	ImportRequests(ctx context.Context, rs []Request, by string) ([]Request, []bool, error)
	GetRequest(ctx context.Context, id int64) (Request, error)
	ListRequests(ctx context.Context, f RequestFilter) ([]Request, error)
	// MoveRequests applies every move (Request.Apply) in one transaction:
	// all or nothing. It returns the requests after the moves.
	MoveRequests(ctx context.Context, ms []Move) ([]Request, error)
	// CreateBatches stores the batches with new ids and moves each of
	// their requests from received to batched, in one transaction; a
	// request that is not received is a conflict. A scheduled cut-off
	// (Cut other than CutNow) is made once per (Date, Cut), under a unique
	// key: batches of a pair already made are ErrCutMade (a conflict),
	// and nothing is written, so that replicas cutting at once make one
	// set of batches.
	CreateBatches(ctx context.Context, bs []Batch) ([]Batch, error)
	// SetBatchPlan records the route-list stops of batch id and why it is
	// not (fully) planned. Without stops (nothing planned: unplanned must
	// say why) the batch is carried, in the same transaction: each of its
	// requests still batched in it goes back to received (CarryMoves) and
	// Carried lists them.
	SetBatchPlan(ctx context.Context, id int64, stops []StopRef, unplanned string) (Batch, error)
	GetBatch(ctx context.Context, id int64) (Batch, error)
	// ListBatches lists the batches of a day ("" for all) by ascending id.
	ListBatches(ctx context.Context, date string) ([]Batch, error)
	// SetVans replaces the fleet (ValidateVans); ListVans lists it by id.
	SetVans(ctx context.Context, vans []Van) ([]Van, error)
	ListVans(ctx context.Context) ([]Van, error)
}

// CutNow is the cut label of a cut asked for by hand (POST
// /v1/deliveries/batches): there may be any number of them.
const CutNow = "now"

// ErrCutMade is the error of CreateBatches for a scheduled cut-off of a
// day already made; it wraps zones.ErrConflict.
var ErrCutMade = fmt.Errorf("%w: this cut-off of the day was already made", zones.ErrConflict)

// CutMade returns ErrCutMade for the cut-off (date, cut), with both named.
func CutMade(date, cut string) error {
	return fmt.Errorf("%w (the %s cut of %s)", ErrCutMade, cut, date)
}

// NewRequest prepares r for storing: state received, its first history
// entry at now by by. Stores call it.
func NewRequest(r Request, id int64, now time.Time, by string) Request {
	r = r.Clone()
	r.ID = id
	r.State = StateReceived
	r.Reason = ""
	r.BatchID = 0
	r.DuplicateOf = 0
	r.History = []Transition{{State: StateReceived, At: now, By: by}}
	r.CreatedAt, r.UpdatedAt = now, now
	return r
}

// CarryMoves are the moves of a batch without a route's requests back to
// the queue (those no longer batched in it are left alone).
func CarryMoves(b *Batch, why string) []Move {
	ms := make([]Move, len(b.Requests))
	for i, id := range b.Requests {
		ms[i] = Move{ID: id, To: StateReceived, Carry: true, BatchID: b.ID, By: "cut-off " + b.Cut,
			Reason: truncate(fmt.Sprintf("back in the queue for the next cut: not planned at the %s cut (batch %d): %s", b.Cut, b.ID, why), MaxReason-1)}
	}
	return ms
}

// CheckCarry checks a batch about to be carried (no stops): it needs a
// reason.
func CheckCarry(b *Batch) error {
	if len(b.Stops) == 0 && strings.TrimSpace(b.Unplanned) == "" {
		return verr("unplanned", "a batch without stops goes back to the queue: say why it was not planned")
	}
	return nil
}

// BatchMoves are the moves of a new batch's requests to batched.
func BatchMoves(b *Batch) []Move {
	ms := make([]Move, len(b.Requests))
	for i, id := range b.Requests {
		ms[i] = Move{ID: id, To: StateBatched, BatchID: b.ID, By: "cut-off " + b.Cut}
	}
	return ms
}
