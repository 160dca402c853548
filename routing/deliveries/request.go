// Package deliveries is the domain of medicine deliveries in a lockdown
// (issue 13): residents' requests taken by the hotline (or a form, or a
// batch file) are grouped at the day's cut-offs per supply point of the
// resident's compound, vans carry the lists, prescriptions and insurance
// cards from the supply points to the pharmacies (leg 1) and the medicines
// back (leg 2), and volunteers carry them from the supply point to the
// doors. Every request has a state, and every change of state is kept with
// its time and reason, so that a daily reconciliation can say where each
// request is.
//
// A request carries personal data (Name, Phone, Flat): handlers mask it
// for roles that may not see it and nothing here logs it.
//
// No gin or pgx here; geometry is orb, [lon, lat] in WGS84. Times of day
// are seconds after midnight in the district's time zone (UTC+8).
package deliveries

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"lifeline/internal/csvrows"
	"lifeline/internal/valid"
)

// Urgency says how soon a request must be served: routine requests wait
// for the next cut-off (and may go to the next day), today's must be
// served on the day, urgent ones are not batched with others: each goes
// direct to the resident's building.
type Urgency string

const (
	UrgencyRoutine Urgency = "routine"
	UrgencyToday   Urgency = "today"
	UrgencyUrgent  Urgency = "urgent"
)

// Valid reports whether u is a known urgency.
func (u Urgency) Valid() bool {
	return u == UrgencyRoutine || u == UrgencyToday || u == UrgencyUrgent
}

// Priority is the VRP priority of a batch holding requests of urgency u.
func (u Urgency) Priority() int {
	switch u {
	case UrgencyUrgent:
		return 50
	case UrgencyToday:
		return 10
	}
	return 0
}

// Channel is how a request came in.
type Channel string

const (
	ChannelHotline Channel = "hotline"
	ChannelForm    Channel = "form"
	ChannelFile    Channel = "file" // a batch file (CSV import)
	ChannelOther   Channel = "other"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	return c == ChannelHotline || c == ChannelForm || c == ChannelFile || c == ChannelOther
}

// State is where a request is. The chain is received -> batched ->
// collected -> at_pharmacy -> on_the_way_back -> at_supply_point ->
// delivered; any state before delivered may go to failed (with a reason).
// delivered and failed are final.
type State string

const (
	StateReceived      State = "received"
	StateBatched       State = "batched"
	StateCollected     State = "collected"
	StateAtPharmacy    State = "at_pharmacy"
	StateOnTheWayBack  State = "on_the_way_back"
	StateAtSupplyPoint State = "at_supply_point"
	StateDelivered     State = "delivered"
	StateFailed        State = "failed"
)

// Chain lists the states of a request that goes well, in order.
var Chain = []State{StateReceived, StateBatched, StateCollected, StateAtPharmacy, StateOnTheWayBack, StateAtSupplyPoint, StateDelivered}

// States lists every state (the chain, then failed).
var States = append(append([]State{}, Chain...), StateFailed)

// Rank is the position of s in Chain (0 for received), or -1 (failed,
// unknown).
func (s State) Rank() int {
	for i, x := range Chain {
		if s == x {
			return i
		}
	}
	return -1
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return s == StateFailed || s.Rank() >= 0 }

// Final reports whether no change may follow s.
func (s State) Final() bool { return s == StateDelivered || s == StateFailed }

// Next is the state after s in the chain ("" after delivered and failed).
func (s State) Next() State {
	if r := s.Rank(); r >= 0 && r+1 < len(Chain) {
		return Chain[r+1]
	}
	return ""
}

// Item is one medicine (or other thing) to fetch. VolumeML is the volume
// of one unit packed (0: DefaultUnitML).
type Item struct {
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
	VolumeML int    `json:"volume_ml,omitempty"`
}

// Packing figures.
const (
	DefaultUnitML = 250   // a box of tablets, a bottle
	BoxML         = 12000 // one delivery box
	MaxItems      = 20
	MaxQuantity   = 100
	MaxUnitML     = 20000
)

// Transition is one change of a request's state.
type Transition struct {
	State  State     `json:"state"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
	// By is who made the change: an account name, "cut-off", "driver
	// report" (no personal data).
	By string `json:"by,omitempty"`
}

// Request is one resident's request for medicines.
type Request struct {
	ID int64 `json:"id"`
	// Key is the idempotency key: a second request with the same key
	// creates nothing and gets the first one back.
	Key string `json:"idempotency_key"`
	// Date is the service day (YYYY-MM-DD, district time).
	Date       string `json:"date"`
	CompoundID int64  `json:"compound_id"`
	// Building is the building's number or name within the compound;
	// BuildingPoint, when known, its door ([lon, lat], inside the
	// compound).
	Building      string     `json:"building"`
	BuildingPoint *orb.Point `json:"building_point,omitempty"`
	Flat          string     `json:"flat"`  // personal data
	Name          string     `json:"name"`  // personal data
	Phone         string     `json:"phone"` // personal data
	Items         []Item     `json:"items"`
	// Prescription: a paper prescription to collect at the supply point
	// and take to the pharmacy. InsuranceCard: a medical insurance card to
	// take along and bring back to the resident.
	Prescription  bool    `json:"prescription"`
	InsuranceCard bool    `json:"insurance_card"`
	Urgency       Urgency `json:"urgency"`
	// Caller is who called (self, family, neighbour, committee, doctor:
	// a relation, not a name).
	Caller  string  `json:"caller,omitempty"`
	Channel Channel `json:"channel"`
	// SupplyPointID is the supply point of the resident's compound (set
	// from the compound when not given). PharmacyID is the pharmacy or
	// health centre the resident asks for (0: the nearest to the supply
	// point).
	SupplyPointID int64 `json:"supply_point_id"`
	PharmacyID    int64 `json:"pharmacy_id,omitempty"`
	// DuplicateOf is the id of an earlier request of the same resident on
	// the same day naming one of the same items (a flag for the
	// dispatcher; the request is kept).
	DuplicateOf int64        `json:"duplicate_of,omitempty"`
	State       State        `json:"state"`
	Reason      string       `json:"reason,omitempty"` // why it failed
	BatchID     int64        `json:"batch_id,omitempty"`
	History     []Transition `json:"history"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// Clone returns a deep copy of r.
func (r Request) Clone() Request {
	if r.BuildingPoint != nil {
		p := *r.BuildingPoint
		r.BuildingPoint = &p
	}
	r.Items = append([]Item(nil), r.Items...)
	r.History = append([]Transition(nil), r.History...)
	return r
}

// VolumeML is the packed volume of the request's items.
func (r *Request) VolumeML() int {
	v := 0
	for _, it := range r.Items {
		u := it.VolumeML
		if u == 0 {
			u = DefaultUnitML
		}
		v += u * it.Quantity
	}
	return v
}

// Boxes is how many delivery boxes the request fills (at least one).
func (r *Request) Boxes() int { return max(1, (r.VolumeML()+BoxML-1)/BoxML) }

// ResidentKey identifies the resident for duplicate detection: compound,
// building, flat and name, case and spaces folded.
func (r *Request) ResidentKey() string {
	return fmt.Sprintf("%d|%s|%s|%s", r.CompoundID, fold(r.Building), fold(r.Flat), fold(r.Name))
}

func fold(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// SharesItem reports whether r and o name a common item (case and spaces
// folded).
func (r *Request) SharesItem(o *Request) bool {
	for _, a := range r.Items {
		for _, b := range o.Items {
			if fold(a.Name) == fold(b.Name) {
				return true
			}
		}
	}
	return false
}

// DuplicateOfIn returns the id of the first request of others (same day)
// that r duplicates: the same resident, a common item, not failed; 0 for
// none. The stores call it under their write lock.
func (r *Request) DuplicateOfIn(others []Request) int64 {
	key := r.ResidentKey()
	for i := range others {
		o := &others[i]
		if o.ID != r.ID && o.Date == r.Date && o.State != StateFailed && o.ResidentKey() == key && r.SharesItem(o) {
			return o.ID
		}
	}
	return 0
}

var (
	keyRE   = regexp.MustCompile(`^[A-Za-z0-9._:\-]{1,100}$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 \-]{3,22}[0-9]$`)
)

var verr = valid.Errorf

// ParseDate parses a YYYY-MM-DD date.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want a date YYYY-MM-DD, got %q", truncate(s, 40))
	}
	return t, nil
}

func truncate(s string, n int) string { return csvrows.Truncate(s, n) }

// Validate checks r on its own (not against the district: see
// District.Check). ID, state, history and times are not checked. Errors
// are *zones.ValidationError with a JSON path ("items[1].quantity").
func (r *Request) Validate() error {
	if !keyRE.MatchString(r.Key) {
		return verr("idempotency_key", "want 1 to 100 letters, digits or . _ : -")
	}
	if _, err := ParseDate(r.Date); err != nil {
		return verr("date", "%s", err.Error())
	}
	if r.CompoundID <= 0 {
		return verr("compound_id", "required: the id of the resident's compound")
	}
	if err := valid.Text("building", r.Building, true, 40); err != nil {
		return err
	}
	if p := r.BuildingPoint; p != nil {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			return verr("building_point", "want [lon, lat] with lon in [-180, 180] and lat in [-90, 90]")
		}
	}
	if err := valid.Text("flat", r.Flat, true, 40); err != nil {
		return err
	}
	if err := valid.Text("name", r.Name, true, 100); err != nil {
		return err
	}
	if !phoneRE.MatchString(r.Phone) {
		return verr("phone", "want digits, spaces or dashes with an optional leading +, 5 to 24 characters")
	}
	if len(r.Items) == 0 {
		return verr("items", "at least one item")
	}
	if len(r.Items) > MaxItems {
		return verr("items", "at most %d items, got %d", MaxItems, len(r.Items))
	}
	for i, it := range r.Items {
		p := fmt.Sprintf("items[%d]", i)
		if err := valid.Text(p+".name", it.Name, true, 100); err != nil {
			return err
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			return verr(p+".quantity", "want 1 to %d, got %d", MaxQuantity, it.Quantity)
		}
		if it.VolumeML < 0 || it.VolumeML > MaxUnitML {
			return verr(p+".volume_ml", "want 0 (default %d) to %d millilitres, got %d", DefaultUnitML, MaxUnitML, it.VolumeML)
		}
	}
	if !r.Urgency.Valid() {
		return verr("urgency", "want routine, today or urgent; got %q", truncate(string(r.Urgency), 40))
	}
	if err := valid.Text("caller", r.Caller, false, 40); err != nil {
		return err
	}
	if !r.Channel.Valid() {
		return verr("channel", "want hotline, form, file or other; got %q", truncate(string(r.Channel), 40))
	}
	if r.SupplyPointID < 0 {
		return verr("supply_point_id", "must not be negative")
	}
	if r.PharmacyID < 0 {
		return verr("pharmacy_id", "must not be negative")
	}
	return nil
}

// Stored checks what Validate does plus the stored fields: a known state,
// a history that starts with received and ends with the state.
func (r *Request) Stored() error {
	if err := r.Validate(); err != nil {
		return err
	}
	if !r.State.Valid() {
		return verr("state", "unknown state %q", r.State)
	}
	if len(r.History) == 0 || r.History[0].State != StateReceived || r.History[len(r.History)-1].State != r.State {
		return verr("history", "must start with received and end with the state")
	}
	return nil
}
