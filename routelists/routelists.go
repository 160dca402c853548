// Package routelists holds what a driver's phone shows (web/static/
// driver.html): one list per planned route, under a random 10-digit code
// that the dispatcher hands to that driver, and the driver's reports on
// its stops. Lists live in the store (both stores implement Store), so that
// every replica serves every list and a restart loses none; they are kept
// for Retention after they are made.
package routelists

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"lifeline/zones"
)

// Retention is how long a list is kept after it is made (a day's shifts
// and the next).
const Retention = 48 * time.Hour

// List is one vehicle's route as its driver sees it. Times are seconds on
// the problem's clock (seconds after midnight when the dispatcher used them
// so); distances in metres.
type List struct {
	ID                 string    `json:"id"`
	Vehicle            uint64    `json:"vehicle"`
	VehicleDescription string    `json:"vehicle_name,omitempty"`
	CreatedAt          time.Time `json:"created_at"`
	DurationS          float64   `json:"duration_s"` // travel time
	DistanceM          *float64  `json:"distance_m,omitempty"`
	Stops              []Stop    `json:"stops"`
	// Driver is the driver account the list is assigned to (the vehicle's
	// "driver" in /v1/optimize); "" when none.
	Driver string `json:"driver,omitempty"`
	// Owner is the account whose plan made the list ("" without accounts).
	Owner string `json:"owner,omitempty"`
	// ShareHash is the SHA-256 of the list's share-link token (stored,
	// never rendered).
	ShareHash string `json:"share_hash,omitempty"`
	// Plain marks a list whose stop names carry no personal data (medicine
	// deliveries): they are shown unmasked to every role.
	Plain bool `json:"plain,omitempty"`
}

// Stop is one stop of a list. Kind is start, job, pickup, delivery or end;
// Items is what is loaded (positive) or handed over (negative) there, per
// capacity dimension; Zone is the strictest zone in force at the stop when
// the list was made ("" outside every zone).
type Stop struct {
	Seq      int        `json:"seq"`
	Kind     string     `json:"kind"`
	ID       *uint64    `json:"id,omitempty"`
	Name     string     `json:"name,omitempty"`
	Point    *orb.Point `json:"point,omitempty"`
	Arrival  float64    `json:"arrival"`
	Service  float64    `json:"service_s"`
	Waiting  float64    `json:"waiting_s,omitempty"`
	Items    []int64    `json:"items,omitempty"`
	Zone     string     `json:"zone,omitempty"`
	Location int        `json:"location_index"`
	// TimeWindows are the stop's time windows from the problem ([start,
	// end] on the same clock as Arrival); none when it had none.
	TimeWindows [][2]float64 `json:"time_windows,omitempty"`
	// Status is the driver's report on the stop ("" until reported):
	// arrived, done, failed or pending, with the time of the report and,
	// for failed, the driver's reason.
	Status   string     `json:"status,omitempty"`
	StatusAt *time.Time `json:"status_at,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

// Clone returns a deep copy of l.
func (l List) Clone() List {
	l.DistanceM = clonePtr(l.DistanceM)
	l.Stops = slices.Clone(l.Stops)
	for i := range l.Stops {
		s := &l.Stops[i]
		s.ID, s.Point, s.StatusAt = clonePtr(s.ID), clonePtr(s.Point), clonePtr(s.StatusAt)
		s.Items = slices.Clone(s.Items)
		s.TimeWindows = slices.Clone(s.TimeWindows)
	}
	return l
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Expired reports whether l is past the retention at now.
func (l *List) Expired(now time.Time) bool { return l.CreatedAt.Before(now.Add(-Retention)) }

// Statuses a driver reports on a stop.
const (
	StatusArrived = "arrived"
	StatusDone    = "done"
	StatusFailed  = "failed"
	StatusPending = "pending"
)

// ValidStatus reports whether s is a status a driver may report.
func ValidStatus(s string) bool {
	return s == StatusArrived || s == StatusDone || s == StatusFailed || s == StatusPending
}

// MaxReason is the longest reason a driver may give.
const MaxReason = 200

// Filter selects lists for ListRouteLists. Zero fields match every list.
type Filter struct {
	Driver       string    // assigned to this driver account
	Owner        string    // made by this account's plan
	CreatedSince time.Time // made at or after (the API passes now - Retention)
	Limit        int       // at most this many (0: all)
}

// Matches reports whether l passes f (Limit aside).
func (f Filter) Matches(l *List) bool {
	return (f.Driver == "" || l.Driver == f.Driver) && (f.Owner == "" || l.Owner == f.Owner) &&
		(f.CreatedSince.IsZero() || !l.CreatedAt.Before(f.CreatedSince))
}

// Store keeps route lists. Errors: zones.ErrNotFound for an unknown code
// (or stop), zones.ErrConflict for a code in use, *zones.ValidationError
// for a list or status that Validate refuses. Implementations keep times
// to the microsecond in UTC.
type Store interface {
	// CreateRouteLists stores new lists (codes chosen by the caller, see
	// NewCode), all or none: a code in use is zones.ErrConflict.
	CreateRouteLists(ctx context.Context, ls []List) error
	// GetRouteList returns the list with that code (expired or not: the
	// caller checks Expired).
	GetRouteList(ctx context.Context, code string) (List, error)
	// GetRouteListByShare returns the list whose ShareHash is hash.
	GetRouteListByShare(ctx context.Context, hash string) (List, error)
	// ListRouteLists returns the lists f selects, oldest first (ties by
	// code).
	ListRouteLists(ctx context.Context, f Filter) ([]List, error)
	// SetStopStatus records the driver's report on stop seq (1-based),
	// with its reason (failed), and returns the list. It is idempotent:
	// reporting the status and reason the stop already has changes nothing
	// (the first report's time stays).
	SetStopStatus(ctx context.Context, code string, seq int, status, reason string, at time.Time) (List, error)
	// SetShareHash replaces the list's share-link hash.
	SetShareHash(ctx context.Context, code, hash string) (List, error)
	// ExpireRouteLists deletes the lists made before cut and says how many.
	ExpireRouteLists(ctx context.Context, cut time.Time) (int, error)
}

// Validate checks what a store relies on: a 10-digit code, stops numbered
// 1, 2, ... and only valid statuses.
func Validate(l *List) error {
	if !ValidCode(l.ID) {
		return &zones.ValidationError{Path: "id", Message: fmt.Sprintf("%q is not a 10-digit code", l.ID)}
	}
	if l.CreatedAt.IsZero() {
		return &zones.ValidationError{Path: "created_at", Message: "missing"}
	}
	for i, s := range l.Stops {
		if s.Seq != i+1 {
			return &zones.ValidationError{Path: fmt.Sprintf("stops[%d].seq", i), Message: fmt.Sprintf("is %d, want %d", s.Seq, i+1)}
		}
		if s.Status != "" && !ValidStatus(s.Status) {
			return &zones.ValidationError{Path: fmt.Sprintf("stops[%d].status", i), Message: fmt.Sprintf("%q must be arrived, done, failed or pending", s.Status)}
		}
	}
	return nil
}

// ValidCode reports whether code is ten decimal digits, the first not 0.
func ValidCode(code string) bool {
	if len(code) != 10 || code[0] == '0' {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// NewCode returns a random 10-digit code (about 33 bits of chance: a
// guesser is slowed by the API's rate limit on failed look-ups).
func NewCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return fmt.Sprintf("%010d", n.Int64()+1_000_000_000)
}

// SetStatus applies a stop report to l (shared by the stores): it returns
// false when the stop has that status and reason already.
func SetStatus(l *List, seq int, status, reason string, at time.Time) (bool, error) {
	if !ValidStatus(status) {
		return false, &zones.ValidationError{Path: "status", Message: fmt.Sprintf("%q must be arrived, done, failed or pending", status)}
	}
	if len([]rune(reason)) > MaxReason {
		return false, &zones.ValidationError{Path: "reason", Message: fmt.Sprintf("at most %d characters", MaxReason)}
	}
	if seq < 1 || seq > len(l.Stops) {
		return false, fmt.Errorf("route list %s has %d stops, no stop %d: %w", l.ID, len(l.Stops), seq, zones.ErrNotFound)
	}
	s := &l.Stops[seq-1]
	if s.Status == status && s.Reason == reason {
		return false, nil
	}
	at = at.UTC().Truncate(time.Microsecond)
	s.Status, s.StatusAt, s.Reason = status, &at, reason
	return true, nil
}
