package zones

import "context"

// ZoneChange is one zone version as a store's change stream gives it: the
// version's value now and the number of its last change.
type ZoneChange struct {
	Seq  uint64
	Zone Zone
}

// ChangeFeed is a store's stream of zone changes by version. Every write
// of a zone version (a zone created, a new version, the end of the last
// version moved by a lift, an import) takes the next number of one
// store-wide sequence, and the numbers become visible in order: when a
// reader sees change n, it sees every change before n. A consumer keeps
// the last number it applied and asks for what came after it, so a missed
// notice is caught up by the next question.
//
// On PostGIS the sequence is in the database (shared by every replica,
// kept across restarts) and every committed write sends a NOTIFY; the
// embedded store numbers its changes from 0 at each Open.
type ChangeFeed interface {
	// ZoneChangesSince returns the versions whose last change came after
	// number `after`, in the order of their last change, each with its
	// current value; at most limit of them (0: no limit). through is the
	// number up to which the answer is complete: the last change returned
	// when the limit cut the answer, else the store's last change number.
	ZoneChangesSince(ctx context.Context, after uint64, limit int) (changes []ZoneChange, through uint64, err error)
	// WaitZoneChange blocks until this store (this replica, on PostGIS:
	// after its listener applied the change) has seen a change numbered
	// after `after`, and returns the last number seen; or ctx's error.
	WaitZoneChange(ctx context.Context, after uint64) (uint64, error)
}
