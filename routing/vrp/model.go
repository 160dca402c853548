// Package vrp is lifeline's one vehicle-routing engine: capacities (vectors),
// multiple time windows, pickup-and-delivery shipments with maximum ride
// times (dial-a-ride), skills, incompatibility classes, priorities and
// unassigned jobs with reasons.
//
// Times are float64 seconds (benchmark families use real-valued Euclidean
// times); locations are indices into the problem's matrices.
package vrp

import "lifeline/routing"

// Problem is one routing problem. Time and Dist are square matrices over the
// same location indices; Dist may share Time's data when the family says
// travel time equals distance.
type Problem struct {
	Time routing.Matrix
	Dist routing.Matrix

	Jobs      []Job
	Shipments []Shipment
	Vehicles  []Vehicle

	// Incompatible[a][b] true means a job of class a and one of class b are
	// never on board at the same time. Class 0 is compatible with all.
	// Nil means every class is compatible with every other.
	Incompatible [][]bool
	// CleaningTime is the time added between dropping off the last passenger
	// of one class and picking up one of an incompatible class.
	CleaningTime float64

	// Objective selects the last level of the hierarchical objective.
	Objective Objective

	// IgnoreVehicleCount drops level 2 (vehicles used) of the objective, so
	// cost alone follows the served priority. Families whose published
	// values are cost-only (Cordeau DARP, CVRPLIB) set it.
	IgnoreVehicleCount bool
}

// Objective is the last level of the lexicographic objective
// (priority served desc, vehicles used asc, then this cost asc).
type Objective int

const (
	// MinCost minimises the sum of vehicle costs: FixedCost for each used
	// vehicle plus CostPerTime*duration plus CostPerDist*distance. With
	// zero costs on every vehicle it falls back to MinDistance.
	MinCost Objective = iota
	MinDistance
	MinDuration
)

// Stop is one place a vehicle serves.
type Stop struct {
	Location int                  // index into the matrices
	Service  float64              // service duration
	Windows  []routing.TimeWindow // allowed service start times; none = any time
}

// Job is a single stop. Delivery is loaded at the vehicle's start and
// dropped here; Pickup is loaded here and carried to the vehicle's end.
type Job struct {
	ID       int64
	Stop     Stop
	Delivery []int64
	Pickup   []int64
	Skills   []int
	Priority int // higher is more important; jobs are served by descending priority first
	Class    int // incompatibility class; 0 = none
}

// Shipment is a pickup and a delivery on the same vehicle, pickup first.
// MaxRideTime (0 = none) bounds the time from the end of service at the
// pickup to the start of service at the delivery (Cordeau's definition).
type Shipment struct {
	PickupID, DeliveryID int64
	Pickup, Delivery     Stop
	Amount               []int64
	MaxRideTime          float64
	Skills               []int
	Priority             int
	Class                int
}

// Vehicle is one vehicle. Start or End of -1 means the route starts at its
// first stop or ends at its last (open route).
type Vehicle struct {
	ID          int64
	Start, End  int
	Shift       routing.TimeWindow // zero value: unbounded
	Capacity    []int64
	Skills      []int
	MaxDuration float64 // 0 = none; from start of route to end of route
	FixedCost   float64
	CostPerTime float64
	CostPerDist float64
}

// StepKind is the kind of a step in a route.
type StepKind int

const (
	StepStart StepKind = iota
	StepJob
	StepPickup
	StepDelivery
	StepEnd
)

// Step is one visit of a route. Index is the index into Problem.Jobs for
// StepJob, into Problem.Shipments for StepPickup and StepDelivery, and -1
// for start and end. Arrival <= Start (service start) <= Departure.
type Step struct {
	Kind      StepKind
	Index     int
	Location  int
	Arrival   float64
	Start     float64
	Departure float64
	Load      []int64 // load after the step
}

// Route is the plan of one vehicle; Vehicle is an index into Problem.Vehicles.
type Route struct {
	Vehicle  int
	Steps    []Step
	Distance float64
	Duration float64
	Cost     float64
}

// Reason says why a job was not served.
type Reason string

const (
	ReasonSkill     Reason = "no vehicle has the required skills"
	ReasonWindow    Reason = "time window cannot be reached by any vehicle"
	ReasonCapacity  Reason = "demand exceeds every vehicle's capacity"
	ReasonRideTime  Reason = "maximum ride time cannot be met"
	ReasonNoRoom    Reason = "no feasible insertion found within the time budget"
	ReasonCancelled Reason = "solve cancelled before the job was placed"
)

// Unassigned names a job or shipment left out of the plan and why.
// Shipment is true when Index refers to Problem.Shipments.
type Unassigned struct {
	Index    int
	Shipment bool
	Reason   Reason
}

// Solution is a plan. Priority is the total priority of served jobs.
type Solution struct {
	Routes     []Route
	Unassigned []Unassigned
	Priority   int
	Vehicles   int
	Distance   float64
	Duration   float64
	Cost       float64
	Seed       uint64
	// Iterations is the number of ruin-and-recreate iterations the winning
	// worker ran (the search's measure of effort: the same seed and
	// iteration count give the same plan on any machine).
	Iterations int
}
