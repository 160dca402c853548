package shuttles

import (
	"math"
)

// Policy is the dispatcher's set of planning rules for a day. The zero
// value is not valid: start from DefaultPolicy and change fields.
type Policy struct {
	// Inbound riders arrive between ArriveEarliestMin and ArriveLatestMin
	// minutes before their session or appointment starts.
	ArriveEarliestMin int `json:"arrive_earliest_min"`
	ArriveLatestMin   int `json:"arrive_latest_min"`
	// Outbound riders are picked up within LeaveWithinMin minutes after
	// the end.
	LeaveWithinMin int `json:"leave_within_min"`
	// Ride time (leaving the pick-up to being served at the drop-off) at
	// most max(RideMinMin, RideFactor x direct + RideSlackMin) minutes.
	RideMinMin   int     `json:"ride_min_min"`
	RideFactor   float64 `json:"ride_factor"`
	RideSlackMin int     `json:"ride_slack_min"`
	// Urgent trips (labour) are picked up within UrgentPickupMin of the
	// call and ride at most UrgentFactor x direct + UrgentSlackMin.
	UrgentPickupMin int     `json:"urgent_pickup_min"`
	UrgentFactor    float64 `json:"urgent_factor"`
	UrgentSlackMin  int     `json:"urgent_slack_min"`
	// CleaningMin is the cleaning time between riders of different
	// health-code colours.
	CleaningMin int `json:"cleaning_min"`
	// ToleranceMin is how far a re-plan may move a published pick-up time
	// when it can keep it.
	ToleranceMin int `json:"tolerance_min"`
}

// DefaultPolicy is issue 12's policy.
func DefaultPolicy() Policy {
	return Policy{ArriveEarliestMin: ArriveEarliestMin, ArriveLatestMin: ArriveLatestMin, LeaveWithinMin: LeaveWithinMin,
		RideMinMin: MinRideCapSec / 60, RideFactor: 1.5, RideSlackMin: RideSlackSec / 60,
		UrgentPickupMin: 20, UrgentFactor: 1.25, UrgentSlackMin: 5, CleaningMin: DefaultCleanMin, ToleranceMin: 10}
}

// Validate checks the policy's fields (paths under "policy.").
func (p Policy) Validate() error {
	in := func(name string, v, lo, hi int) error {
		if v < lo || v > hi {
			return verr("policy."+name, "want %d to %d minutes, got %d", lo, hi, v)
		}
		return nil
	}
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"arrive_earliest_min", p.ArriveEarliestMin, 1, 180}, {"arrive_latest_min", p.ArriveLatestMin, 0, 120},
		{"leave_within_min", p.LeaveWithinMin, 1, 180}, {"ride_min_min", p.RideMinMin, 5, 240},
		{"ride_slack_min", p.RideSlackMin, 0, 120}, {"urgent_pickup_min", p.UrgentPickupMin, 1, 120},
		{"urgent_slack_min", p.UrgentSlackMin, 0, 60}, {"cleaning_min", p.CleaningMin, 0, 120},
		{"tolerance_min", p.ToleranceMin, 0, 120},
	} {
		if err := in(c.name, c.v, c.lo, c.hi); err != nil {
			return err
		}
	}
	if p.ArriveLatestMin >= p.ArriveEarliestMin {
		return verr("policy.arrive_latest_min", "must be less than arrive_earliest_min (%d), got %d", p.ArriveEarliestMin, p.ArriveLatestMin)
	}
	if math.IsNaN(p.RideFactor) || p.RideFactor < 1 || p.RideFactor > 5 {
		return verr("policy.ride_factor", "want 1 to 5, got %v", p.RideFactor)
	}
	if math.IsNaN(p.UrgentFactor) || p.UrgentFactor < 1 || p.UrgentFactor > 5 {
		return verr("policy.urgent_factor", "want 1 to 5, got %v", p.UrgentFactor)
	}
	return nil
}

// MaxRide is the longest ride (seconds) for a trip whose direct drive
// takes direct seconds.
func (p Policy) MaxRide(direct float64, urgent bool) float64 {
	if urgent {
		return math.Round(p.UrgentFactor*direct + float64(p.UrgentSlackMin*60))
	}
	return math.Round(max(float64(p.RideMinMin*60), p.RideFactor*direct+float64(p.RideSlackMin*60)))
}
