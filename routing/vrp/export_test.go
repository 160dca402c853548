package vrp

// Tuning knobs for the benchmark harness (tests only).
var (
	T0Factor    = &t0Factor
	TfFactor    = &tfFactor
	FleetFrac   = &fleetFrac
	PenFactor   = &penFactor
	StallLimit  = &stallLimit
	FleetTries  = &fleetAttempts
	GranularMin = &granularMin
	GranularK   = &granularK
	AvgRemoved  = &avgRemoved
	RestartFrac = &restartFrac
	RestartPart = &restartShare
)
