package postgis

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// listQuery builds a list query: the conditions joined by AND, the values
// as numbered arguments.
type listQuery struct {
	where []string
	args  []any
}

// arg adds a value and returns its placeholder ("$3").
func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

// and adds a condition.
func (q *listQuery) and(cond string) { q.where = append(q.where, cond) }

// sql is head with the conditions, ordered by order, then LIMIT and OFFSET
// when positive.
func (q *listQuery) sql(head, order string, limit, offset int) string {
	s := head
	if len(q.where) > 0 {
		s += " WHERE " + strings.Join(q.where, " AND ")
	}
	s += " ORDER BY " + order
	if limit > 0 {
		s += " LIMIT " + q.arg(limit)
	}
	if offset > 0 {
		s += " OFFSET " + q.arg(offset)
	}
	return s
}

// collect reads every row with scan and closes rows; the slice is never
// nil without an error.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
