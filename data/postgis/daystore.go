package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lifeline/routing/shuttles"
	"lifeline/zones"
)

var (
	_ shuttles.AppointmentStore = (*Store)(nil)
	_ shuttles.TimetableStore   = (*Store)(nil)
)

const apptCols = `id, rider_id, to_char(day, 'YYYY-MM-DD'), kind, start_time, duration_min, facility_id, one_way, cancelled, created_at, updated_at`

func scanAppointment(row pgx.Row) (shuttles.Appointment, error) {
	var a shuttles.Appointment
	var kind string
	err := row.Scan(&a.ID, &a.RiderID, &a.Date, &kind, &a.Start, &a.DurationMin, &a.FacilityID, &a.OneWay, &a.Cancelled, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return shuttles.Appointment{}, err
	}
	a.Kind = shuttles.Category(kind)
	a.CreatedAt, a.UpdatedAt = utc(a.CreatedAt), utc(a.UpdatedAt)
	return a, nil
}

// CreateAppointment implements shuttles.AppointmentStore.
func (s *Store) CreateAppointment(ctx context.Context, a shuttles.Appointment) (shuttles.Appointment, error) {
	if err := a.Validate(); err != nil {
		return shuttles.Appointment{}, err
	}
	out, err := scanAppointment(s.pool.QueryRow(ctx, `INSERT INTO shuttle_appointments
		(rider_id, day, kind, start_time, duration_min, facility_id, one_way, created_at, updated_at)
		VALUES ($1, $2::date, $3, $4, $5, $6, $7, $8, $8) RETURNING `+apptCols,
		a.RiderID, a.Date, string(a.Kind), a.Start, a.DurationMin, a.FacilityID, a.OneWay, riderNow()))
	return out, riderErr(err, "appointment")
}

// GetAppointment implements shuttles.AppointmentStore.
func (s *Store) GetAppointment(ctx context.Context, id int64) (shuttles.Appointment, error) {
	a, err := scanAppointment(s.pool.QueryRow(ctx, `SELECT `+apptCols+` FROM shuttle_appointments WHERE id = $1`, id))
	return a, riderErr(err, fmt.Sprintf("appointment %d", id))
}

// ListAppointments implements shuttles.AppointmentStore.
func (s *Store) ListAppointments(ctx context.Context, f shuttles.AppointmentFilter) ([]shuttles.Appointment, error) {
	var lq listQuery
	if f.Date != "" {
		if _, err := shuttles.ParseDate(f.Date); err != nil {
			return []shuttles.Appointment{}, nil // no appointment has such a date
		}
		lq.and("day = " + lq.arg(f.Date) + "::date")
	}
	if f.RiderID != 0 {
		lq.and("rider_id = " + lq.arg(f.RiderID))
	}
	if !f.IncludeCancelled {
		lq.and("NOT cancelled")
	}
	q := lq.sql(`SELECT `+apptCols+` FROM shuttle_appointments`, "day, start_time, id", 0, 0)
	rows, err := s.pool.Query(ctx, q, lq.args...)
	if err != nil {
		return nil, riderErr(err, "list appointments")
	}
	out, err := collect(rows, scanAppointment)
	return out, riderErr(err, "list appointments")
}

// CancelAppointment implements shuttles.AppointmentStore.
func (s *Store) CancelAppointment(ctx context.Context, id int64) (shuttles.Appointment, error) {
	a, err := scanAppointment(s.pool.QueryRow(ctx, `UPDATE shuttle_appointments SET cancelled = true,
		updated_at = CASE WHEN cancelled THEN updated_at ELSE $2 END WHERE id = $1 RETURNING `+apptCols, id, riderNow()))
	return a, riderErr(err, fmt.Sprintf("appointment %d", id))
}

// SaveTimetable implements shuttles.TimetableStore: the next version is
// taken under a per-date advisory lock, so concurrent saves count 1, 2, ...
func (s *Store) SaveTimetable(ctx context.Context, tt shuttles.Timetable) (shuttles.Timetable, error) {
	if err := tt.Validate(); err != nil {
		return shuttles.Timetable{}, err
	}
	var out shuttles.Timetable
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('lifeline.timetable.' || current_schema() || $1))`, tt.Date); err != nil {
			return err
		}
		var latest int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM shuttle_timetables WHERE day = $1::date`, tt.Date).Scan(&latest); err != nil {
			return err
		}
		if tt.Base > 0 && tt.Base != latest {
			return fmt.Errorf("%w: the timetable of %s is at version %d, not %d", zones.ErrConflict, tt.Date, latest, tt.Base)
		}
		tt.Version, tt.CreatedAt = latest+1, riderNow()
		body, err := json.Marshal(&tt)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO shuttle_timetables (day, version, base_version, reason, author, created_at, body)
			VALUES ($1::date, $2, $3, $4, $5, $6, $7::json)`, tt.Date, tt.Version, tt.Base, tt.Reason, tt.Author, tt.CreatedAt, string(body)); err != nil {
			return err
		}
		return json.Unmarshal(body, &out)
	})
	if err != nil {
		if errors.Is(err, zones.ErrConflict) {
			return shuttles.Timetable{}, err
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return shuttles.Timetable{}, fmt.Errorf("%w: a timetable of %s was published meanwhile", zones.ErrConflict, tt.Date)
		}
		return shuttles.Timetable{}, riderErr(err, "save timetable")
	}
	return out, nil
}

// GetTimetable implements shuttles.TimetableStore.
func (s *Store) GetTimetable(ctx context.Context, date string, version int) (shuttles.Timetable, error) {
	if _, err := shuttles.ParseDate(date); err != nil {
		return shuttles.Timetable{}, fmt.Errorf("no timetable of %q: %w", date, zones.ErrNotFound)
	}
	q := `SELECT body::text FROM shuttle_timetables WHERE day = $1::date AND version = $2`
	args := []any{date, version}
	if version == 0 {
		q = `SELECT body::text FROM shuttle_timetables WHERE day = $1::date ORDER BY version DESC LIMIT 1`
		args = args[:1]
	}
	var body string
	if err := s.pool.QueryRow(ctx, q, args...).Scan(&body); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return shuttles.Timetable{}, fmt.Errorf("no version %d of the timetable of %s: %w", version, date, zones.ErrNotFound)
		}
		return shuttles.Timetable{}, riderErr(err, "get timetable")
	}
	var tt shuttles.Timetable
	if err := json.Unmarshal([]byte(body), &tt); err != nil {
		return shuttles.Timetable{}, fmt.Errorf("postgis: timetable %s v%d: %w", date, version, err)
	}
	return tt, nil
}

// ListTimetables implements shuttles.TimetableStore.
func (s *Store) ListTimetables(ctx context.Context, date string) ([]shuttles.TimetableVersion, error) {
	out := []shuttles.TimetableVersion{}
	if _, err := shuttles.ParseDate(date); err != nil {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT body::text FROM shuttle_timetables WHERE day = $1::date ORDER BY version`, date)
	if err != nil {
		return nil, riderErr(err, "list timetables")
	}
	defer rows.Close()
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, riderErr(err, "list timetables")
		}
		var tt shuttles.Timetable
		if err := json.Unmarshal([]byte(body), &tt); err != nil {
			return nil, err
		}
		out = append(out, tt.Header())
	}
	return out, riderErr(rows.Err(), "list timetables")
}
