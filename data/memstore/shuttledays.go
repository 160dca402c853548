package memstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"

	"lifeline/routing/shuttles"
	"lifeline/zones"
)

var (
	_ shuttles.AppointmentStore = (*Store)(nil)
	_ shuttles.TimetableStore   = (*Store)(nil)
)

// dayState keeps the shuttle days: appointments in appointments.json
// beside the snapshot (mode 0600, rewritten atomically after each change,
// like riders.json) and each published timetable version in its own file
// timetables/<date>.v<version>.json, written once (mode 0600). A store made
// by New keeps them in memory. Loaded on first use.
type dayState struct {
	once    sync.Once
	loadErr error
	mu      sync.Mutex
	appts   apptFile
	tts     map[string][][]byte // date -> versions (JSON), version n at n-1
	dir     string              // "" in memory
}

type apptFile struct {
	Version      int                    `json:"version"`
	NextID       int64                  `json:"next_id"`
	Appointments []shuttles.Appointment `json:"appointments"` // ascending id
}

const apptFileVersion = 1

var ttFileRE = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})\.v(\d{1,6})\.json$`)

func (s *Store) lockDays(ctx context.Context) (*dayState, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	st := &s.days
	st.once.Do(func() {
		st.appts.NextID = 1
		st.tts = map[string][][]byte{}
		if s.path == "" {
			return
		}
		st.dir = filepath.Dir(s.path)
		st.loadErr = st.read()
	})
	if st.loadErr != nil {
		return nil, st.loadErr
	}
	st.mu.Lock()
	return st, nil
}

func (st *dayState) read() error {
	path := filepath.Join(st.dir, "appointments.json")
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("memstore: %s: %w", path, err)
	default:
		var f apptFile
		if err := json.Unmarshal(data, &f); err != nil {
			return fmt.Errorf("memstore: %s: %w", path, err)
		}
		if f.Version != apptFileVersion {
			return fmt.Errorf("memstore: %s: version %d, want %d", path, f.Version, apptFileVersion)
		}
		var last int64
		for i := range f.Appointments {
			a := &f.Appointments[i]
			if err := a.Validate(); err != nil {
				return fmt.Errorf("memstore: %s: appointment %d: %w", path, a.ID, err)
			}
			if a.ID <= last || a.ID >= f.NextID {
				return fmt.Errorf("memstore: %s: appointment ids out of order at %d", path, a.ID)
			}
			last = a.ID
		}
		st.appts = f
	}
	dir := filepath.Join(st.dir, "timetables")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("memstore: %s: %w", dir, err)
	}
	type found struct {
		version int
		data    []byte
	}
	byDate := map[string][]found{}
	for _, e := range ents {
		m := ttFileRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue // temporary files of an interrupted write
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("memstore: %w", err)
		}
		var tt shuttles.Timetable
		if err := json.Unmarshal(data, &tt); err != nil {
			return fmt.Errorf("memstore: %s: %w", e.Name(), err)
		}
		var v int
		fmt.Sscan(m[2], &v)
		if tt.Date != m[1] || tt.Version != v {
			return fmt.Errorf("memstore: %s holds %s version %d", e.Name(), tt.Date, tt.Version)
		}
		byDate[m[1]] = append(byDate[m[1]], found{v, data})
	}
	for date, fs := range byDate {
		slices.SortFunc(fs, func(a, b found) int { return cmp.Compare(a.version, b.version) })
		for i, f := range fs {
			if f.version != i+1 {
				return fmt.Errorf("memstore: timetables of %s: version %d missing", date, i+1)
			}
			st.tts[date] = append(st.tts[date], f.data)
		}
	}
	return nil
}

func (st *dayState) saveAppts() error {
	if st.dir == "" {
		return nil
	}
	st.appts.Version = apptFileVersion
	data, err := json.Marshal(&st.appts)
	if err != nil {
		return err
	}
	return writeAuthFile(filepath.Join(st.dir, "appointments.json"), data, 0o600)
}

func (st *dayState) apptIndex(id int64) int {
	i, ok := slices.BinarySearchFunc(st.appts.Appointments, id, func(a shuttles.Appointment, id int64) int { return cmp.Compare(a.ID, id) })
	if !ok {
		return -1
	}
	return i
}

// CreateAppointment implements shuttles.AppointmentStore.
func (s *Store) CreateAppointment(ctx context.Context, a shuttles.Appointment) (shuttles.Appointment, error) {
	if err := a.Validate(); err != nil {
		return shuttles.Appointment{}, err
	}
	st, err := s.lockDays(ctx)
	if err != nil {
		return shuttles.Appointment{}, err
	}
	defer st.mu.Unlock()
	now := s.riderNow()
	a.ID, a.Cancelled, a.CreatedAt, a.UpdatedAt = st.appts.NextID, false, now, now
	st.appts.NextID++
	st.appts.Appointments = append(st.appts.Appointments, a)
	if err := st.saveAppts(); err != nil {
		st.appts.Appointments = st.appts.Appointments[:len(st.appts.Appointments)-1]
		st.appts.NextID--
		return shuttles.Appointment{}, fmt.Errorf("memstore: save appointments: %w", err)
	}
	return a, nil
}

// GetAppointment implements shuttles.AppointmentStore.
func (s *Store) GetAppointment(ctx context.Context, id int64) (shuttles.Appointment, error) {
	st, err := s.lockDays(ctx)
	if err != nil {
		return shuttles.Appointment{}, err
	}
	defer st.mu.Unlock()
	i := st.apptIndex(id)
	if i < 0 {
		return shuttles.Appointment{}, fmt.Errorf("appointment %d: %w", id, zones.ErrNotFound)
	}
	return st.appts.Appointments[i], nil
}

// ListAppointments implements shuttles.AppointmentStore.
func (s *Store) ListAppointments(ctx context.Context, f shuttles.AppointmentFilter) ([]shuttles.Appointment, error) {
	st, err := s.lockDays(ctx)
	if err != nil {
		return nil, err
	}
	out := []shuttles.Appointment{}
	for i := range st.appts.Appointments {
		if a := &st.appts.Appointments[i]; f.Matches(a) {
			out = append(out, *a)
		}
	}
	st.mu.Unlock()
	shuttles.SortAppointments(out)
	return out, nil
}

// CancelAppointment implements shuttles.AppointmentStore.
func (s *Store) CancelAppointment(ctx context.Context, id int64) (shuttles.Appointment, error) {
	st, err := s.lockDays(ctx)
	if err != nil {
		return shuttles.Appointment{}, err
	}
	defer st.mu.Unlock()
	i := st.apptIndex(id)
	if i < 0 {
		return shuttles.Appointment{}, fmt.Errorf("appointment %d: %w", id, zones.ErrNotFound)
	}
	a := &st.appts.Appointments[i]
	if a.Cancelled {
		return *a, nil
	}
	prev := *a
	a.Cancelled, a.UpdatedAt = true, s.riderNow()
	if err := st.saveAppts(); err != nil {
		*a = prev
		return shuttles.Appointment{}, fmt.Errorf("memstore: save appointments: %w", err)
	}
	return *a, nil
}

// SaveTimetable implements shuttles.TimetableStore.
func (s *Store) SaveTimetable(ctx context.Context, tt shuttles.Timetable) (shuttles.Timetable, error) {
	if err := tt.Validate(); err != nil {
		return shuttles.Timetable{}, err
	}
	st, err := s.lockDays(ctx)
	if err != nil {
		return shuttles.Timetable{}, err
	}
	defer st.mu.Unlock()
	vs := st.tts[tt.Date]
	if tt.Base > 0 && tt.Base != len(vs) {
		return shuttles.Timetable{}, fmt.Errorf("%w: the timetable of %s is at version %d, not %d", zones.ErrConflict, tt.Date, len(vs), tt.Base)
	}
	tt.Version, tt.CreatedAt = len(vs)+1, s.riderNow()
	data, err := json.Marshal(&tt)
	if err != nil {
		return shuttles.Timetable{}, err
	}
	if st.dir != "" {
		dir := filepath.Join(st.dir, "timetables")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return shuttles.Timetable{}, fmt.Errorf("memstore: %w", err)
		}
		if err := writeAuthFile(filepath.Join(dir, fmt.Sprintf("%s.v%d.json", tt.Date, tt.Version)), data, 0o600); err != nil {
			return shuttles.Timetable{}, fmt.Errorf("memstore: save timetable: %w", err)
		}
	}
	st.tts[tt.Date] = append(vs, data)
	var out shuttles.Timetable
	err = json.Unmarshal(data, &out)
	return out, err
}

// GetTimetable implements shuttles.TimetableStore.
func (s *Store) GetTimetable(ctx context.Context, date string, version int) (shuttles.Timetable, error) {
	st, err := s.lockDays(ctx)
	if err != nil {
		return shuttles.Timetable{}, err
	}
	vs := st.tts[date]
	var data []byte
	switch {
	case version == 0 && len(vs) > 0:
		data = vs[len(vs)-1]
	case version > 0 && version <= len(vs):
		data = vs[version-1]
	}
	st.mu.Unlock()
	if data == nil {
		if version == 0 {
			return shuttles.Timetable{}, fmt.Errorf("no timetable of %s: %w", date, zones.ErrNotFound)
		}
		return shuttles.Timetable{}, fmt.Errorf("no version %d of the timetable of %s: %w", version, date, zones.ErrNotFound)
	}
	var tt shuttles.Timetable
	if err := json.Unmarshal(data, &tt); err != nil {
		return shuttles.Timetable{}, fmt.Errorf("memstore: timetable %s v%d: %w", date, version, err)
	}
	return tt, nil
}

// ListTimetables implements shuttles.TimetableStore.
func (s *Store) ListTimetables(ctx context.Context, date string) ([]shuttles.TimetableVersion, error) {
	st, err := s.lockDays(ctx)
	if err != nil {
		return nil, err
	}
	vs := slices.Clone(st.tts[date])
	st.mu.Unlock()
	out := make([]shuttles.TimetableVersion, 0, len(vs))
	for _, data := range vs {
		var tt shuttles.Timetable
		if err := json.Unmarshal(data, &tt); err != nil {
			return nil, err
		}
		out = append(out, tt.Header())
	}
	return out, nil
}
