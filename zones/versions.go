package zones

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// This file holds the rules of zone history that both stores share: how an
// update becomes a new version, how a lift ends the last one, and how an
// import decides between create, update and leave alone. The stores only
// find the current version, call these and write what they return.

// PrepareNew applies the store conventions to a zone about to be created
// (times truncated to the microsecond in UTC, a zero EffectiveFrom becomes
// now, Version 1) and validates it with ValidateZone. z is not modified.
func PrepareNew(z Zone, now time.Time) (Zone, error) {
	z.Geometry = cloneMP(z.Geometry)
	if z.EffectiveFrom.IsZero() {
		z.EffectiveFrom = now
	}
	z.EffectiveFrom = TruncateTime(z.EffectiveFrom)
	if z.EffectiveUntil != nil {
		u := TruncateTime(*z.EffectiveUntil)
		z.EffectiveUntil = &u
	}
	z.Version = 1
	if err := ValidateZone(z); err != nil {
		return z, err
	}
	return z, nil
}

func cloneMP(mp orb.MultiPolygon) orb.MultiPolygon {
	if mp == nil {
		return nil
	}
	return mp.Clone()
}

// PlanUpdate turns an update of zone cur (its current, last version) into
// the version that ends at the update's time and the new version.
//
// The new version takes Kind, Name, Reason and Geometry from upd and is in
// force from upd.EffectiveFrom (zero: now), which must be after cur's
// EffectiveFrom: history before it is never rewritten. It ends at
// upd.EffectiveUntil when set, else where cur ended (a lift stays). It keeps
// ID, CreatedAt and ExternalKey (unless upd sets one); UpdatedAt is now.
//
// Errors: a *ValidationError (path "properties.effective_from" for a time
// not after cur's start, or what ValidateZone finds); ErrConflict (wrapped)
// when cur was lifted at or before the update's time: the zone is no longer
// in force, and an update must not bring it back.
func PlanUpdate(cur, upd Zone, now time.Time) (ended, next Zone, err error) {
	at := upd.EffectiveFrom
	if at.IsZero() {
		at = now
	}
	at = TruncateTime(at)
	if !at.After(cur.EffectiveFrom) {
		return Zone{}, Zone{}, &ValidationError{Path: "properties.effective_from", Message: fmt.Sprintf(
			"a new version must start after the current version %d (in force from %s): history is never rewritten; leave effective_from out to mean now",
			cur.Version, cur.EffectiveFrom.Format(time.RFC3339Nano))}
	}
	if cur.EffectiveUntil != nil && !at.Before(*cur.EffectiveUntil) {
		return Zone{}, Zone{}, fmt.Errorf("zone %d was lifted at %s; a version from %s would bring it back (create a new zone instead): %w",
			cur.ID, cur.EffectiveUntil.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano), ErrConflict)
	}
	next = Zone{
		ID: cur.ID, Version: cur.Version + 1,
		Kind: upd.Kind, Name: upd.Name, Reason: upd.Reason, ExternalKey: cur.ExternalKey,
		Geometry:      cloneMP(upd.Geometry),
		EffectiveFrom: at, EffectiveUntil: cloneTime(cur.EffectiveUntil),
		CreatedAt: cur.CreatedAt, UpdatedAt: TruncateTime(now),
	}
	if upd.ExternalKey != "" {
		next.ExternalKey = upd.ExternalKey
	}
	if upd.EffectiveUntil != nil {
		u := TruncateTime(*upd.EffectiveUntil)
		next.EffectiveUntil = &u
	}
	if err := ValidateZone(next); err != nil {
		return Zone{}, Zone{}, err
	}
	ended = cur
	ended.Geometry = cloneMP(cur.Geometry)
	ended.EffectiveUntil = &at
	return ended, next, nil
}

// PlanLift ends zone cur (its last version) at `at`. It returns the version
// to store and whether anything changes: lifting again at the same time is
// a no-op, lifting earlier than a previous lift moves it earlier. Errors: a
// *ValidationError (path "effective_until") when at is out of range or not
// after cur's EffectiveFrom; ErrConflict (wrapped) when cur was already
// lifted before at.
func PlanLift(cur Zone, at, now time.Time) (Zone, bool, error) {
	at = TruncateTime(at)
	if !TimeInRange(at) {
		return Zone{}, false, &ValidationError{Path: "effective_until", Message: timeRangeMsg}
	}
	if !at.After(cur.EffectiveFrom) {
		return Zone{}, false, &ValidationError{Path: "effective_until", Message: fmt.Sprintf(
			"lift time %s must be after effective_from %s of the current version %d",
			at.Format(time.RFC3339Nano), cur.EffectiveFrom.Format(time.RFC3339Nano), cur.Version)}
	}
	if cur.EffectiveUntil != nil {
		if cur.EffectiveUntil.Before(at) {
			return Zone{}, false, fmt.Errorf("zone %d already lifted at %s: %w", cur.ID, cur.EffectiveUntil.Format(time.RFC3339Nano), ErrConflict)
		}
		if cur.EffectiveUntil.Equal(at) {
			return cur, false, nil
		}
	}
	z := cur
	z.Geometry = cloneMP(cur.Geometry)
	z.EffectiveUntil = &at
	if now = TruncateTime(now); now.After(z.UpdatedAt) {
		z.UpdatedAt = now
	}
	return z, true, nil
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}

// SameContent reports whether zone b says the same as a: kind, name,
// reason and geometry (rings compared regardless of orientation).
func SameContent(a, b Zone) bool {
	return a.Kind == b.Kind && a.Name == b.Name && a.Reason == b.Reason && SameGeometry(a.Geometry, b.Geometry)
}

// SameGeometry reports whether two multipolygons have the same polygons and
// rings in the same order, each ring equal to the other or to its reverse.
func SameGeometry(a, b orb.MultiPolygon) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for k := range a[i] {
			ra, rb := a[i][k], b[i][k]
			if len(ra) != len(rb) {
				return false
			}
			if !slices.Equal(ra, rb) && !sameReversed(ra, rb) {
				return false
			}
		}
	}
	return true
}

func sameReversed(a, b orb.Ring) bool {
	n := len(a)
	for i := range a {
		if a[i] != b[n-1-i] {
			return false
		}
	}
	return true
}

// ImportAction is what an import did with one feature.
type ImportAction string

const (
	ImportCreated   ImportAction = "created"
	ImportUpdated   ImportAction = "updated"
	ImportUnchanged ImportAction = "unchanged"
)

// ImportItem is the outcome for one feature of an import, in file order.
type ImportItem struct {
	ID          int64        `json:"id"`
	Version     int          `json:"version"`
	Action      ImportAction `json:"action"`
	ExternalKey string       `json:"external_key,omitempty"`
}

// ImportResult counts what an import did; Items has one entry per feature.
type ImportResult struct {
	Created   int          `json:"created"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	Items     []ImportItem `json:"items"`
}

// Add records one outcome.
func (r *ImportResult) Add(z Zone, a ImportAction) {
	switch a {
	case ImportCreated:
		r.Created++
	case ImportUpdated:
		r.Updated++
	case ImportUnchanged:
		r.Unchanged++
	}
	r.Items = append(r.Items, ImportItem{ID: z.ID, Version: z.Version, Action: a, ExternalKey: z.ExternalKey})
}

// CheckImport checks an import as a whole before any store work: at least
// one zone, and no external key or id given twice. Paths name the feature
// ("features[3].properties.external_key").
func CheckImport(zs []Zone) error {
	if len(zs) == 0 {
		return &ValidationError{Path: "features", Message: "no features to import"}
	}
	keys := map[string]int{}
	ids := map[int64]int{}
	for i, z := range zs {
		p := "features[" + strconv.Itoa(i) + "]."
		if err := checkKey(p+"properties.external_key", z.ExternalKey); err != nil {
			return err
		}
		if z.ExternalKey != "" {
			if j, dup := keys[z.ExternalKey]; dup {
				return &ValidationError{Path: p + "properties.external_key", Message: fmt.Sprintf("%q is also the key of features[%d]", z.ExternalKey, j)}
			}
			keys[z.ExternalKey] = i
			continue
		}
		if z.ID > 0 {
			if j, dup := ids[z.ID]; dup {
				return &ValidationError{Path: p + "id", Message: fmt.Sprintf("%d is also the id of features[%d]", z.ID, j)}
			}
			ids[z.ID] = i
		}
	}
	return nil
}

// ImportPlan is what to do for one feature of an import.
type ImportPlan struct {
	Action ImportAction
	// Create: the zone to create (prepared, Version 1).
	// Update: Ended is the current version with its new end, Next the new
	// version (nil for a lift: only Ended changes).
	New   Zone
	Ended Zone
	Next  *Zone
}

// PlanImport decides what to do with feature in of an import, given the
// zone it matches (cur, the current version; nil when none). Matching is
// the store's job: by external key when the feature has one, else by id
// (a zone of this store), else none.
//
//   - no match: create it (its id is not kept; the store assigns one);
//   - same content (SameContent) and the same end when the file gives one:
//     unchanged;
//   - same content, another end: the last version's end moves (a lift);
//   - other content: a new version (PlanUpdate), in force from the file's
//     effective_from when that is after the current version's start, else
//     from now.
func PlanImport(cur *Zone, in Zone, now time.Time) (ImportPlan, error) {
	if cur == nil {
		in.ID = 0
		z, err := PrepareNew(in, now)
		return ImportPlan{Action: ImportCreated, New: z}, err
	}
	if in.ExternalKey == "" {
		in.ExternalKey = cur.ExternalKey
	}
	if SameContent(*cur, in) && in.ExternalKey == cur.ExternalKey {
		if in.EffectiveUntil == nil || (cur.EffectiveUntil != nil && TruncateTime(*in.EffectiveUntil).Equal(*cur.EffectiveUntil)) {
			return ImportPlan{Action: ImportUnchanged, Ended: *cur}, nil
		}
		u := TruncateTime(*in.EffectiveUntil)
		if !TimeInRange(u) {
			return ImportPlan{}, &ValidationError{Path: "properties.effective_until", Message: timeRangeMsg}
		}
		if !u.After(cur.EffectiveFrom) {
			return ImportPlan{}, &ValidationError{Path: "properties.effective_until", Message: "must be after effective_from of the current version"}
		}
		ended := *cur
		ended.Geometry = cloneMP(cur.Geometry)
		ended.EffectiveUntil = &u
		if n := TruncateTime(now); n.After(ended.UpdatedAt) {
			ended.UpdatedAt = n
		}
		return ImportPlan{Action: ImportUpdated, Ended: ended}, nil
	}
	upd := in
	if !in.EffectiveFrom.After(cur.EffectiveFrom) {
		upd.EffectiveFrom = now
	}
	ended, next, err := PlanUpdate(*cur, upd, now)
	if err != nil {
		return ImportPlan{}, err
	}
	return ImportPlan{Action: ImportUpdated, Ended: ended, Next: &next}, nil
}

// PrefixError puts prefix in front of the path of a *ValidationError and
// returns other errors unchanged.
func PrefixError(err error, prefix string) error {
	var ve *ValidationError
	if prefix != "" && errors.As(err, &ve) {
		return &ValidationError{Path: prefix + ve.Path, Message: ve.Message}
	}
	return err
}
