package deliveries

import (
	"fmt"
	"strings"
	"time"

	"lifeline/zones"
)

// Move asks a request to change state.
type Move struct {
	ID     int64  `json:"id"`
	To     State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
	// Report marks a driver's (or volunteer's) report: when the request is
	// already at or past To (a retried or late report), or failed, the
	// move changes nothing instead of being a conflict.
	Report bool `json:"-"`
	// BatchID goes with a move to batched (the cut-off).
	BatchID int64 `json:"-"`
	// Carry takes a batched request back to received, out of its batch,
	// when the batch could not be planned (Reason says why): the next cut
	// takes it again, first (Request.Carried). Only the stores' carrying
	// of an unplanned batch makes this move.
	Carry bool `json:"-"`
}

// MaxReason is the longest reason kept.
const MaxReason = 200

// Apply applies m to r at time at. It returns whether r changed. Moving to
// the current state changes nothing (idempotent). Errors:
// *zones.ValidationError for an unknown state or a failure without a
// reason (422), zones.ErrConflict for a move the state machine does not
// allow (409): going back, skipping a state, leaving a final state, or
// batching outside a cut-off.
func (r *Request) Apply(m Move, at time.Time) (bool, error) {
	if !m.To.Valid() {
		return false, verr("state", "want one of %s; got %q", stateList(), truncate(string(m.To), 40))
	}
	if err := checkText("reason", m.Reason, m.To == StateFailed, MaxReason); err != nil {
		if m.To == StateFailed && strings.TrimSpace(m.Reason) == "" {
			return false, verr("reason", "a failure needs a reason")
		}
		return false, err
	}
	if m.Carry {
		if m.To != StateReceived || strings.TrimSpace(m.Reason) == "" {
			return false, verr("reason", "a carried request goes back to received with a reason")
		}
		if r.State != StateBatched || (m.BatchID != 0 && r.BatchID != m.BatchID) {
			return false, nil // moved on (or failed) meanwhile: nothing to carry
		}
		r.State, r.BatchID, r.UpdatedAt = StateReceived, 0, at
		r.History = append(r.History, Transition{State: StateReceived, At: at, Reason: strings.TrimSpace(m.Reason), By: m.By})
		return true, nil
	}
	if r.State == m.To {
		return false, nil
	}
	if m.Report && (r.State == StateFailed || (m.To != StateFailed && r.State.Rank() > m.To.Rank())) {
		return false, nil
	}
	switch {
	case r.State.Final():
		return false, fmt.Errorf("%w: request %d is %s, which is final", zones.ErrConflict, r.ID, r.State)
	case m.To == StateFailed:
	case m.To == StateBatched && m.BatchID == 0:
		return false, fmt.Errorf("%w: requests are batched at a cut-off (POST /v1/deliveries/batches), not by hand", zones.ErrConflict)
	case m.To != r.State.Next():
		return false, fmt.Errorf("%w: request %d is %s; it may go to %s or failed, not %s", zones.ErrConflict, r.ID, r.State, r.State.Next(), m.To)
	}
	r.State = m.To
	if m.To == StateFailed {
		r.Reason = strings.TrimSpace(m.Reason)
	}
	if m.To == StateBatched {
		r.BatchID = m.BatchID
	}
	r.History = append(r.History, Transition{State: m.To, At: at, Reason: strings.TrimSpace(m.Reason), By: m.By})
	r.UpdatedAt = at
	return true, nil
}

func stateList() string {
	s := make([]string, len(States))
	for i, x := range States {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// Carried is how many times r went back to the queue from a batch that
// could not be planned (its history's returns to received).
func (r *Request) Carried() int {
	n := 0
	for i, h := range r.History {
		if i > 0 && h.State == StateReceived {
			n++
		}
	}
	return n
}

// StateAt returns the state r was in at time t (its history's last entry
// at or before t), or "" before it was received.
func (r *Request) StateAt(t time.Time) State {
	var s State
	for _, h := range r.History {
		if h.At.After(t) {
			break
		}
		s = h.State
	}
	return s
}
