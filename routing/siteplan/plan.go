package siteplan

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"lifeline/geo"
	"lifeline/geo/h3grid"
	"lifeline/routing"
	"lifeline/routing/siting"
	"lifeline/zones"
)

// MaxMatrixCells caps demand cells x candidates (a float64 each).
const MaxMatrixCells = 16 << 20

// Plan sites sampling points for req. walk gives walking times in seconds
// (nil: straight line x Walk.Detour at Walk.SpeedKmh). It validates req
// first and returns a *ValidationError (= *zones.ValidationError, with the
// JSON path of the offending field) for bad input: unknown model, sites
// out of range or above the number of candidates, no demand, negative
// population, bad cell ids or coordinates, a missing round for the
// capacitated model, too large a problem. Errors of walk are wrapped in
// ErrWalk; solver errors are returned as they are. When ctx ends during
// the optimisation the best plan so far is returned.
//
// Cost: O(D·C) memory and walking-matrix work (D demand cells, C
// candidates), plus the solver's time budget. Plan is safe for concurrent
// use; it does not modify req.
func Plan(ctx context.Context, req Request, walk WalkFunc) (*Result, error) {
	start := time.Now()
	if err := normalize(&req); err != nil {
		return nil, err
	}
	b := &builder{req: &req, walk: walk, res: &Result{Model: req.Model, Resolution: req.Resolution}}
	b.res.Method = b.method()
	if err := b.demand(); err != nil {
		return nil, err
	}
	b.candidates()
	if err := b.check(); err != nil {
		return nil, err
	}
	if err := b.solve(ctx, start); err != nil {
		return nil, err
	}
	if err := b.dedicated(); err != nil {
		return nil, err
	}
	b.round()
	b.summary()
	b.changes()
	if !req.OmitGeoJSON {
		b.res.GeoJSON = b.geojson()
	}
	b.res.Summary.Seconds = time.Since(start).Seconds()
	return b.res, nil
}

// normalize applies defaults and validates everything that does not need
// the demand built.
func normalize(r *Request) error {
	if r.Model == "" {
		r.Model = ModelPMedian
	}
	switch r.Model {
	case ModelPMedian, ModelCapacitated, ModelMaxCover, ModelSetCover:
	default:
		return verr("model", "unknown model %q (want p-median, capacitated, max-cover or set-cover)", r.Model)
	}
	if r.Model != ModelSetCover && r.Sites < 1 {
		return verr("sites", "must be at least 1 for the %s model", r.Model)
	}
	if r.Sites < 0 {
		return verr("sites", "must not be negative")
	}
	if r.CoverMinutes == 0 {
		r.CoverMinutes = 15
	}
	if !(r.CoverMinutes > 0) || math.IsInf(r.CoverMinutes, 0) {
		return verr("cover_minutes", "must be a positive number of minutes")
	}
	if r.Resolution == 0 {
		r.Resolution = 9
	}
	if r.Resolution < 5 || r.Resolution > 12 {
		return verr("resolution", "H3 resolution %d outside 5..12", r.Resolution)
	}
	switch r.CompoundDemandAt {
	case "":
		r.CompoundDemandAt = "gates"
	case "gates", "centroid":
	default:
		return verr("compound_demand_at", "want gates or centroid, got %q", r.CompoundDemandAt)
	}
	if len(r.CandidatesFrom) == 0 {
		r.CandidatesFrom = []string{FromFacilities, FromGates, FromCells}
	}
	for k, s := range r.CandidatesFrom {
		if s != FromFacilities && s != FromGates && s != FromCells {
			return verr(fmt.Sprintf("candidates_from[%d]", k), "unknown source %q (want facilities, gates or cells)", s)
		}
	}
	if r.Walk.SpeedKmh == 0 {
		r.Walk.SpeedKmh = 5
	}
	if r.Walk.Detour == 0 {
		r.Walk.Detour = 1.3
	}
	if !(r.Walk.SpeedKmh > 0) || r.Walk.SpeedKmh > 50 {
		return verr("walk.speed_kmh", "want 0 < speed <= 50 km/h, got %v", r.Walk.SpeedKmh)
	}
	if !(r.Walk.Detour >= 1) || r.Walk.Detour > 5 {
		return verr("walk.detour", "want a detour factor in 1..5, got %v", r.Walk.Detour)
	}
	if rd := r.Round; rd != nil {
		if !(rd.DeadlineHours > 0) || rd.DeadlineHours > 24*14 {
			return verr("round.deadline_hours", "want 0 < hours <= 336, got %v", rd.DeadlineHours)
		}
		if !(rd.PeoplePerDeskHour > 0) || math.IsInf(rd.PeoplePerDeskHour, 0) {
			return verr("round.people_per_desk_hour", "must be positive")
		}
		if rd.MaxQueue < 0 {
			return verr("round.max_queue", "must not be negative")
		}
		if rd.MaxDesksPerSite < 0 {
			return verr("round.max_desks_per_site", "must not be negative")
		}
		if rd.SwabsPerTeamHour < 0 || math.IsNaN(rd.SwabsPerTeamHour) || math.IsInf(rd.SwabsPerTeamHour, 0) {
			return verr("round.swabs_per_team_hour", "must not be negative")
		}
		c := *rd
		if c.MaxQueue == 0 {
			c.MaxQueue = 50
		}
		if c.SwabsPerTeamHour == 0 {
			c.SwabsPerTeamHour = 20
		}
		r.Round = &c
	} else if r.Model == ModelCapacitated {
		return verr("round", "the capacitated model needs a round (deadline and desk throughput)")
	}
	if r.MaxMoves < 0 {
		return verr("max_moves", "must not be negative")
	}
	if r.Seed == 0 {
		r.Seed = 1
	}
	if r.TimeLimitSeconds == 0 {
		r.TimeLimitSeconds = 10
	}
	if !(r.TimeLimitSeconds > 0) || r.TimeLimitSeconds > 600 {
		return verr("time_limit_seconds", "want 0 < seconds <= 600, got %v", r.TimeLimitSeconds)
	}
	for k, f := range r.Candidates {
		path := fmt.Sprintf("candidates[%d]", k)
		if f.Kind != zones.FacilityCandidateSite {
			return verr(path+".kind", "want %q, got %q", zones.FacilityCandidateSite, f.Kind)
		}
		if !validPoint(f.Point) {
			return verr(path+".point", "not a [lon, lat] coordinate: %v", f.Point)
		}
		if f.Capacity < 0 {
			return verr(path+".capacity", "must not be negative")
		}
	}
	for k, c := range r.Current {
		if !validPoint(c.Point) {
			return verr(fmt.Sprintf("current[%d].point", k), "not a [lon, lat] coordinate: %v", c.Point)
		}
	}
	return nil
}

func validPoint(p orb.Point) bool {
	return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
}

func validPeople(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }

// demandPoint is a weighted point of shared demand before aggregation.
type demandPoint struct {
	p orb.Point
	w float64
}

// dedicatedGroup is a controlled compound or cell with its own site.
type dedicatedGroup struct {
	id, name   string
	compoundID int64
	site       orb.Point
	points     []demandPoint
	people     float64
}

// cand is a candidate site.
type cand struct {
	id, name   string
	p          orb.Point
	source     string
	facilityID int64
	compoundID int64
	desks      int
	current    string // Request.Current id, "" if none
}

type builder struct {
	req  *Request
	walk WalkFunc
	res  *Result

	shared    []demandPoint
	cells     []h3grid.Index // demand cells (shared), sorted
	cellPt    []orb.Point    // weighted centre per demand cell
	cellW     []float64
	gridCells []h3grid.Index // every input cell (candidate centres)
	dedic     []dedicatedGroup
	ctrlCells map[h3grid.Index]int // controlled-zone cell -> its group in dedic
	total     float64

	cands []cand
	start []int

	cost routing.Matrix // cells x cands, seconds
	open []int          // open candidate indices
	site map[int]int    // candidate index -> Result.Sites index
	// per shared Assignment: site index, seconds, people
}

func (b *builder) method() string {
	if b.walk != nil {
		return "road network (foot)"
	}
	return fmt.Sprintf("straight-line x%s at %s km/h", strconv.FormatFloat(b.req.Walk.Detour, 'f', -1, 64),
		strconv.FormatFloat(b.req.Walk.SpeedKmh, 'f', -1, 64))
}

func (b *builder) zoneAt(p orb.Point, given zones.Kind) zones.Kind {
	if b.req.PointZone != nil {
		return b.req.PointZone(p)
	}
	return given
}

// demand classifies every input by zone kind and aggregates shared demand
// on H3 cells.
func (b *builder) demand() error {
	r := b.req
	for k, cd := range r.Compounds {
		if err := b.compoundDemand(k, cd); err != nil {
			return err
		}
	}
	for k, cd := range r.Cells {
		if err := b.cellDemand(k, cd); err != nil {
			return err
		}
	}
	for k, pd := range r.Points {
		if err := b.pointDemand(k, pd); err != nil {
			return err
		}
	}
	if !(b.total > 0) {
		return verr("compounds", "no demand: compounds, cells and points hold no people")
	}
	b.aggregateShared()
	return nil
}

// compoundDemand validates compound k and files its people by zone kind:
// one door-to-door group when sealed, a dedicated group at the gate
// nearest its centre when controlled, shared demand points otherwise (at
// its gates, people split evenly, or at its centroid).
func (b *builder) compoundDemand(k int, cd CompoundDemand) error {
	r := b.req
	path := fmt.Sprintf("compounds[%d]", k)
	c := cd.Compound
	if !validPeople(float64(c.Population)) {
		return verr(path+".population", "must not be negative")
	}
	if c.Aged60Plus < 0 || c.Households < 0 {
		return verr(path+".aged_60_plus", "counts must not be negative")
	}
	for g, p := range c.Gates {
		if !validPoint(p) {
			return verr(fmt.Sprintf("%s.gates[%d]", path, g), "not a [lon, lat] coordinate: %v", p)
		}
	}
	mp := c.Geometry
	if len(mp) == 0 && cd.Geometry != nil {
		switch g := cd.Geometry.Geometry().(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		default:
			return verr(path+".geometry", "want a Polygon or MultiPolygon")
		}
	}
	kind := cd.Zone
	if r.CompoundZone != nil {
		c.Geometry = mp
		kind = r.CompoundZone(c)
	}
	if kind != zones.KindNone && !kind.Valid() {
		return verr(path+".zone", "unknown zone kind %q", kind)
	}
	var centroid orb.Point
	hasCentroid := false
	if len(mp) > 0 {
		centroid, _ = planar.CentroidArea(mp)
		hasCentroid = validPoint(centroid) && !math.IsNaN(centroid[0])
	}
	people := float64(c.Population)
	b.total += people
	useCentroid := r.CompoundDemandAt == "centroid" || len(c.Gates) == 0
	if useCentroid && !hasCentroid {
		if len(c.Gates) == 0 {
			return verr(path+".geometry", "a compound without gates needs a polygon")
		}
		return verr(path+".geometry", "compound_demand_at=centroid needs a polygon")
	}
	pts := func() []demandPoint {
		if useCentroid {
			return []demandPoint{{centroid, people}}
		}
		out := make([]demandPoint, len(c.Gates))
		for g, p := range c.Gates {
			out[g] = demandPoint{p, people / float64(len(c.Gates))}
		}
		return out
	}
	id := "compound:" + strconv.FormatInt(c.ID, 10)
	where := centroid
	if !hasCentroid {
		where = c.Gates[0]
	}
	switch kind {
	case zones.KindSealed:
		b.res.DoorToDoor.Groups = append(b.res.DoorToDoor.Groups, DoorGroup{Demand: id, Name: c.Name, Point: where, People: people,
			Households: c.Households, Aged60Plus: c.Aged60Plus})
	case zones.KindControlled:
		site := where
		if len(c.Gates) > 0 {
			best := math.Inf(1)
			for _, g := range c.Gates {
				if d := geo.Haversine(g, where); d < best {
					best, site = d, g
				}
			}
		}
		b.dedic = append(b.dedic, dedicatedGroup{id: id, name: c.Name, compoundID: c.ID, site: site, points: pts(), people: people})
	default:
		b.shared = append(b.shared, pts()...)
	}
	return nil
}

// addControlled adds people w at p to the dedicated group of the
// controlled-zone cell holding p (made on first use).
func (b *builder) addControlled(cell h3grid.Index, p orb.Point, w float64) {
	if b.ctrlCells == nil {
		b.ctrlCells = map[h3grid.Index]int{}
	}
	k, ok := b.ctrlCells[cell]
	if !ok {
		k = len(b.dedic)
		b.ctrlCells[cell] = k
		b.dedic = append(b.dedic, dedicatedGroup{id: "cell:" + cell.String(), site: cell.Center()})
	}
	b.dedic[k].points = append(b.dedic[k].points, demandPoint{p, w})
	b.dedic[k].people += w
}

// cellDemand validates cell k and files its people at the cell's centre by
// the zone kind there.
func (b *builder) cellDemand(k int, cd CellDemand) error {
	r := b.req
	path := fmt.Sprintf("cells[%d]", k)
	cell, err := h3grid.Parse(cd.Cell)
	if err != nil {
		return verr(path+".cell", "not an H3 cell index: %q", cd.Cell)
	}
	if !validPeople(cd.Population) {
		return verr(path+".population", "must be a non-negative number")
	}
	if cd.Zone != zones.KindNone && !cd.Zone.Valid() {
		return verr(path+".zone", "unknown zone kind %q", cd.Zone)
	}
	centre := cell.Center()
	if cell.Resolution() == r.Resolution {
		b.gridCells = append(b.gridCells, cell)
	}
	b.total += cd.Population
	switch b.zoneAt(centre, cd.Zone) {
	case zones.KindSealed:
		b.res.DoorToDoor.Groups = append(b.res.DoorToDoor.Groups, DoorGroup{Demand: "cell:" + cell.String(), Point: centre, People: cd.Population})
	case zones.KindControlled:
		b.addControlled(h3grid.Cell(centre, r.Resolution), centre, cd.Population)
	default:
		b.shared = append(b.shared, demandPoint{centre, cd.Population})
	}
	return nil
}

// pointDemand validates point k and files its people by the zone kind at
// the point.
func (b *builder) pointDemand(k int, pd PointDemand) error {
	r := b.req
	path := fmt.Sprintf("points[%d]", k)
	if !validPoint(pd.Point) {
		return verr(path+".point", "not a [lon, lat] coordinate: %v", pd.Point)
	}
	if !validPeople(pd.Population) {
		return verr(path+".population", "must be a non-negative number")
	}
	if pd.Zone != zones.KindNone && !pd.Zone.Valid() {
		return verr(path+".zone", "unknown zone kind %q", pd.Zone)
	}
	b.total += pd.Population
	id := pd.ID
	if id == "" {
		id = strconv.Itoa(k)
	}
	switch b.zoneAt(pd.Point, pd.Zone) {
	case zones.KindSealed:
		b.res.DoorToDoor.Groups = append(b.res.DoorToDoor.Groups, DoorGroup{Demand: "point:" + id, Point: pd.Point, People: pd.Population})
	case zones.KindControlled:
		b.addControlled(h3grid.Cell(pd.Point, r.Resolution), pd.Point, pd.Population)
	default:
		b.shared = append(b.shared, demandPoint{pd.Point, pd.Population})
	}
	return nil
}

// aggregateShared gathers the shared demand on H3 cells at the plan
// resolution (sorted); the demand point of a cell is the weighted mean of
// its points.
func (b *builder) aggregateShared() {
	type agg struct{ w, x, y float64 }
	m := map[h3grid.Index]*agg{}
	for _, dp := range b.shared {
		if dp.w <= 0 {
			continue
		}
		c := h3grid.Cell(dp.p, b.req.Resolution)
		a := m[c]
		if a == nil {
			a = &agg{}
			m[c] = a
		}
		a.w += dp.w
		a.x += dp.w * dp.p[0]
		a.y += dp.w * dp.p[1]
	}
	for c := range m {
		b.cells = append(b.cells, c)
	}
	sort.Slice(b.cells, func(i, j int) bool { return b.cells[i] < b.cells[j] })
	for _, c := range b.cells {
		a := m[c]
		b.cellPt = append(b.cellPt, orb.Point{a.x / a.w, a.y / a.w})
		b.cellW = append(b.cellW, a.w)
	}
}

// candidates collects the candidate sites: current sites, facilities,
// gates of shared compounds, cell centres; duplicates (same point) keep
// the first.
func (b *builder) candidates() {
	r := b.req
	seen := map[orb.Point]int{}
	add := func(c cand) int {
		if k, ok := seen[c.p]; ok {
			return k
		}
		if r.PointZone != nil {
			if z := r.PointZone(c.p); z == zones.KindSealed || z == zones.KindControlled {
				return -1
			}
		}
		seen[c.p] = len(b.cands)
		b.cands = append(b.cands, c)
		return len(b.cands) - 1
	}
	for _, cs := range r.Current {
		k := add(cand{id: "current:" + cs.ID, name: cs.ID, p: cs.Point, source: "current", current: cs.ID})
		if k >= 0 {
			b.start = append(b.start, k)
		}
	}
	has := func(s string) bool {
		for _, x := range r.CandidatesFrom {
			if x == s {
				return true
			}
		}
		return false
	}
	if has(FromFacilities) {
		for _, f := range r.Candidates {
			add(cand{id: "facility:" + strconv.FormatInt(f.ID, 10), name: f.Name, p: f.Point, source: "facility", facilityID: f.ID, desks: f.Capacity})
		}
	}
	if has(FromGates) {
		for _, cd := range r.Compounds {
			kind := cd.Zone
			if r.CompoundZone != nil {
				kind = r.CompoundZone(cd.Compound)
			}
			if kind == zones.KindSealed || kind == zones.KindControlled {
				continue
			}
			for g, p := range cd.Gates {
				add(cand{id: fmt.Sprintf("gate:%d:%d", cd.ID, g), name: cd.Name, p: p, source: "gate", compoundID: cd.ID})
			}
		}
	}
	if has(FromCells) {
		cells := append(append([]h3grid.Index(nil), b.gridCells...), b.cells...)
		sort.Slice(cells, func(i, j int) bool { return cells[i] < cells[j] })
		for _, c := range cells {
			add(cand{id: "cell:" + c.String(), p: c.Center(), source: "cell"})
		}
	}
}

func (b *builder) check() error {
	r := b.req
	if len(b.cells) == 0 {
		return nil // nobody shares sites: nothing to optimise
	}
	if len(b.cands) == 0 {
		return verr("candidates_from", "no candidate sites: give candidates or allow gates or cells")
	}
	if r.Model != ModelSetCover && r.Sites > len(b.cands) {
		return verr("sites", "%d sites requested but only %d candidate sites", r.Sites, len(b.cands))
	}
	if len(b.cells)*len(b.cands) > MaxMatrixCells {
		return verr("resolution", "%d demand cells x %d candidates exceeds %d; use a coarser resolution or fewer candidates",
			len(b.cells), len(b.cands), MaxMatrixCells)
	}
	if len(r.Current) > 0 && r.MaxMoves > 0 && r.Sites != len(b.start) && r.Model != ModelSetCover {
		b.res.Warnings = append(b.res.Warnings, fmt.Sprintf("%d current sites usable but %d sites requested", len(b.start), r.Sites))
	}
	return nil
}

// walkMatrix returns walking seconds from -> to.
func (b *builder) walkMatrix(from, to []orb.Point) (routing.Matrix, error) {
	if b.walk != nil {
		m, err := b.walk(from, to)
		if err != nil {
			return routing.Matrix{}, fmt.Errorf("%w: %w", ErrWalk, err)
		}
		if m.Rows != len(from) || m.Cols != len(to) || len(m.Data) != m.Rows*m.Cols {
			return routing.Matrix{}, fmt.Errorf("%w: got %dx%d, want %dx%d", ErrWalk, m.Rows, m.Cols, len(from), len(to))
		}
		return m, nil
	}
	m := routing.NewMatrix(len(from), len(to))
	f := b.req.Walk.Detour / (b.req.Walk.SpeedKmh / 3.6)
	for i, p := range from {
		row := m.Data[i*len(to) : (i+1)*len(to)]
		for j, q := range to {
			row[j] = geo.Equirectangular(p, q) * f
		}
	}
	return m, nil
}

func (b *builder) solve(ctx context.Context, start time.Time) error {
	r := b.req
	b.site = map[int]int{}
	if len(b.cells) == 0 {
		return nil
	}
	to := make([]orb.Point, len(b.cands))
	for j, c := range b.cands {
		to[j] = c.p
	}
	var err error
	if b.cost, err = b.walkMatrix(b.cellPt, to); err != nil {
		return err
	}
	pr := &siting.Problem{Cost: b.cost, Weight: b.cellW}
	budget := time.Duration(r.TimeLimitSeconds*float64(time.Second)) - time.Since(start)
	// keep 1% (20 ms to 300 ms) for assignments, statistics and the testing
	// round, so that the whole plan stays within the time limit
	budget -= min(max(budget/100, 20*time.Millisecond), 300*time.Millisecond)
	if budget < 10*time.Millisecond {
		budget = 10 * time.Millisecond
	}
	o := siting.Options{P: r.Sites, Radius: r.CoverMinutes * 60, Seed: r.Seed, TimeLimit: budget}
	if len(b.start) > 0 {
		o.Start, o.MaxMoves = b.start, r.MaxMoves
	}
	var sol *siting.Solution
	switch r.Model {
	case ModelPMedian:
		sol, err = siting.PMedian(ctx, pr, o)
	case ModelMaxCover:
		sol, err = siting.MaxCover(ctx, pr, o)
	case ModelSetCover:
		sol, err = siting.SetCover(ctx, pr, o)
	case ModelCapacitated:
		pr.Capacity = make([]float64, len(b.cands))
		perDesk := r.Round.PeoplePerDeskHour * r.Round.DeadlineHours
		for j, c := range b.cands {
			d := c.desks
			if d == 0 {
				d = r.Round.MaxDesksPerSite
			}
			if d == 0 {
				pr.Capacity[j] = b.total
			} else {
				pr.Capacity[j] = float64(d) * perDesk
			}
		}
		sol, err = siting.CapacitatedPMedian(ctx, pr, o)
	}
	if err != nil {
		return fmt.Errorf("siteplan: %w", err)
	}
	b.open = sol.Open
	b.res.Solver = SolverStats{Objective: sol.Objective, LowerBound: sol.LowerBound, Gap: sol.Gap, Optimal: sol.Optimal,
		Demand: len(b.cells), Candidates: len(b.cands), Iterations: sol.Iterations, Seed: sol.Seed, Seconds: sol.Seconds}
	for _, j := range b.open {
		c := b.cands[j]
		b.site[j] = len(b.res.Sites)
		b.res.Sites = append(b.res.Sites, Site{ID: c.id, Name: c.name, Point: c.p, Source: c.source,
			FacilityID: c.facilityID, CompoundID: c.compoundID})
	}
	addAssign := func(i, j int, people float64) {
		a := Assignment{Demand: "cell:" + b.cells[i].String(), Point: b.cellPt[i], Site: -1, People: people}
		if j >= 0 {
			if s := b.cost.At(i, j); !math.IsInf(s, 1) {
				v := s / 60
				a.WalkMin, a.Site = &v, b.site[j]
			}
		}
		b.res.Assignments = append(b.res.Assignments, a)
	}
	if r.Model == ModelCapacitated {
		served := make([]float64, len(b.cells))
		for _, f := range sol.Flows {
			addAssign(f.Demand, f.Site, f.Amount)
			served[f.Demand] += f.Amount
		}
		for i, w := range b.cellW {
			if rest := w - served[i]; rest > 1e-6 {
				addAssign(i, -1, rest)
				b.res.Warnings = append(b.res.Warnings, fmt.Sprintf("cell %s: %.0f people exceed the capacity of every open site", b.cells[i], rest))
			}
		}
		return nil
	}
	// Everyone walks to the nearest open site, whatever the model.
	for i := range b.cells {
		bj, bs := -1, math.Inf(1)
		for _, j := range b.open {
			if s := b.cost.At(i, j); s < bs {
				bj, bs = j, s
			}
		}
		addAssign(i, bj, b.cellW[i])
	}
	return nil
}

// dedicated adds the own sites of controlled compounds and cells.
func (b *builder) dedicated() error {
	if len(b.dedic) == 0 {
		return nil
	}
	var from, to []orb.Point
	for _, g := range b.dedic {
		to = append(to, g.site)
		for _, p := range g.points {
			from = append(from, p.p)
		}
	}
	m, err := b.walkMatrix(from, to)
	if err != nil {
		return err
	}
	row := 0
	for k, g := range b.dedic {
		si := len(b.res.Sites)
		b.res.Sites = append(b.res.Sites, Site{ID: g.id, Name: g.name, Point: g.site, Source: "gate", CompoundID: g.compoundID, Dedicated: true})
		if g.compoundID == 0 {
			b.res.Sites[si].Source = "cell"
		}
		// One assignment per group at its weighted centre with the
		// people-weighted mean walk (max walk kept on the site).
		var w, ws, x, y float64
		maxWalk := 0.0
		reach := true
		for _, p := range g.points {
			s := m.At(row, k)
			row++
			w += p.w
			x += p.w * p.p[0]
			y += p.w * p.p[1]
			if math.IsInf(s, 1) {
				reach = false
				continue
			}
			ws += p.w * s
			maxWalk = math.Max(maxWalk, s)
		}
		a := Assignment{Demand: g.id, Site: si, People: g.people, Point: g.site}
		if w > 0 {
			a.Point = orb.Point{x / w, y / w}
		}
		if reach {
			v := 0.0
			if w > 0 {
				v = ws / w / 60
			}
			a.WalkMin = &v
		} else {
			a.Site = -1
		}
		b.res.Assignments = append(b.res.Assignments, a)
		b.res.Sites[si].MaxWalkMin = maxWalk / 60
	}
	return nil
}

// summary fills per-site statistics and the summary.
func (b *builder) summary() {
	res := b.res
	s := &res.Summary
	s.People = b.total
	sumW := make([]float64, len(res.Sites))
	sumWalk := make([]float64, len(res.Sites))
	var walkSum, reachW float64
	for _, a := range res.Assignments {
		s.PeopleAtSites += a.People
		if a.WalkMin == nil || a.Site < 0 {
			s.Unreachable += a.People
			continue
		}
		w := *a.WalkMin
		sumW[a.Site] += a.People
		sumWalk[a.Site] += a.People * w
		walkSum += a.People * w
		reachW += a.People
		if w <= 5 {
			s.Within5Min += a.People
		}
		if w <= 10 {
			s.Within10Min += a.People
		}
		if w <= 15 {
			s.Within15Min += a.People
		}
		if w > s.MaxWalkMin {
			s.MaxWalkMin = w
		}
		if w > res.Sites[a.Site].MaxWalkMin {
			res.Sites[a.Site].MaxWalkMin = w
		}
	}
	for k := range res.Sites {
		res.Sites[k].People = sumW[k]
		if sumW[k] > 0 {
			res.Sites[k].MeanWalkMin = sumWalk[k] / sumW[k]
		}
		if res.Sites[k].MaxWalkMin > s.MaxWalkMin {
			s.MaxWalkMin = res.Sites[k].MaxWalkMin
		}
		if res.Sites[k].Dedicated {
			s.Dedicated++
		} else {
			s.SharedSites++
		}
	}
	if s.PeopleAtSites > 0 {
		s.Within5Min /= s.PeopleAtSites
		s.Within10Min /= s.PeopleAtSites
		s.Within15Min /= s.PeopleAtSites
	}
	if reachW > 0 {
		s.MeanWalkMin = walkSum / reachW
	}
	s.DoorToDoorPeople = res.DoorToDoor.People
	s.DoorToDoorTeams = res.DoorToDoor.Teams
	if rd := b.req.Round; rd != nil {
		for _, st := range res.Sites {
			s.Desks += st.Desks
			s.FinishMin = math.Max(s.FinishMin, st.FinishMin)
		}
		if s.Desks > 0 {
			s.PeoplePerDeskHour = (s.PeopleAtSites - s.Unreachable) / (float64(s.Desks) * rd.DeadlineHours)
		}
	}
}

// changes compares the open sites with Request.Current.
func (b *builder) changes() {
	if len(b.req.Current) == 0 {
		return
	}
	ch := &Changes{Opened: []string{}, Closed: []string{}, Kept: []string{}}
	open := map[string]bool{}
	for _, st := range b.res.Sites {
		if st.Dedicated {
			continue
		}
		open[st.ID] = true
		if st.Source != "current" {
			ch.Opened = append(ch.Opened, st.ID)
		}
	}
	for _, c := range b.req.Current {
		if id := "current:" + c.ID; open[id] {
			ch.Kept = append(ch.Kept, id)
		} else {
			ch.Closed = append(ch.Closed, id)
		}
	}
	b.res.Changes = ch
}
