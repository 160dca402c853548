package shuttles

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lifeline/zones"
)

// The published timetable's outputs: CSV (one line per stop), iCalendar
// (RFC 5545, one event per stop, per van) and printable HTML pages (a
// driver's list, a rider's pick-up notice, a hospital's arrivals, the
// whole day). Times are local to the district (UTC+8).

var districtZone = zones.DistrictZone

// CSV renders every stop of tt, van by van (RFC 4180, a header line).
func CSV(tt *Timetable) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"date", "version", "van", "seq", "time", "action", "pseudonym", "direction", "kind", "urgent", "place", "lon", "lat",
		"colour", "seats", "wheelchair", "driver_phone", "route_list"})
	for _, vt := range tt.Plan.Vans {
		for k, s := range vt.Stops {
			_ = w.Write([]string{tt.Date, strconv.Itoa(tt.Version), strconv.FormatUint(vt.Van, 10), strconv.Itoa(k + 1), s.Time, s.Action,
				s.Pseudonym, s.Direction, string(s.Kind), strconv.FormatBool(s.Urgent), s.Place,
				strconv.FormatFloat(s.Point[0], 'f', 6, 64), strconv.FormatFloat(s.Point[1], 'f', 6, 64),
				string(s.Colour), strconv.Itoa(s.Seats), strconv.FormatBool(s.Wheelchair), vt.DriverPhone, vt.RouteList})
		}
	}
	w.Flush()
	return b.Bytes()
}

// at returns the instant of sec seconds after midnight of tt's date, in
// the district.
func (tt *Timetable) at(sec float64) time.Time {
	d, _ := ParseDate(tt.Date)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, districtZone).Add(time.Duration(math.Round(sec)) * time.Second)
}

// icsText escapes a TEXT value (RFC 5545 §3.3.11).
func icsText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `;`, `\;`, `,`, `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// icsLine writes a content line folded at 75 octets (RFC 5545 §3.1),
// never inside a UTF-8 sequence, ended by CRLF.
func icsLine(b *bytes.Buffer, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

const icsTime = "20060102T150405Z"

// ICalendar renders the stops of van (0: every van) as VEVENTs: one per
// stop, from the service start for the service time, with the place, its
// position and what to do there. stamp is DTSTAMP.
func ICalendar(tt *Timetable, van uint64, stamp time.Time) []byte {
	var b bytes.Buffer
	icsLine(&b, "BEGIN:VCALENDAR")
	icsLine(&b, "VERSION:2.0")
	icsLine(&b, "PRODID:-//lifeline//shuttles//EN")
	icsLine(&b, "CALSCALE:GREGORIAN")
	icsLine(&b, "METHOD:PUBLISH")
	name := fmt.Sprintf("Shuttles %s (version %d)", tt.Date, tt.Version)
	if van != 0 {
		name = fmt.Sprintf("Shuttle van %d, %s (version %d)", van, tt.Date, tt.Version)
	}
	icsLine(&b, "X-WR-CALNAME:"+icsText(name))
	for _, vt := range tt.Plan.Vans {
		if van != 0 && vt.Van != van {
			continue
		}
		for _, s := range vt.Stops {
			verb := "boards"
			if s.Action == "drop_off" {
				verb = "alights"
			}
			summary := fmt.Sprintf("Van %d: %s %s at %s", vt.Van, s.Pseudonym, verb, s.Place)
			desc := fmt.Sprintf("%s trip (%s), %s code, %d seat(s)", s.Direction, s.Kind, s.Colour, s.Seats)
			if s.Wheelchair {
				desc += ", wheelchair"
			}
			if s.Urgent {
				desc += ", URGENT"
			}
			if s.Action == "pick_up" {
				desc += ".\nCheck the health code before boarding."
			}
			icsLine(&b, "BEGIN:VEVENT")
			icsLine(&b, fmt.Sprintf("UID:%s-v%d-van%d-%d-%s@lifeline", tt.Date, tt.Version, vt.Van, s.TripID, s.Action))
			icsLine(&b, "DTSTAMP:"+stamp.UTC().Format(icsTime))
			icsLine(&b, "DTSTART:"+tt.at(s.Start).UTC().Format(icsTime))
			icsLine(&b, "DTEND:"+tt.at(s.Start+max(s.Service, 60)).UTC().Format(icsTime))
			icsLine(&b, "SUMMARY:"+icsText(summary))
			icsLine(&b, "LOCATION:"+icsText(s.Place))
			icsLine(&b, fmt.Sprintf("GEO:%.6f;%.6f", s.Point[1], s.Point[0]))
			icsLine(&b, "DESCRIPTION:"+icsText(desc))
			icsLine(&b, "END:VEVENT")
		}
	}
	icsLine(&b, "END:VCALENDAR")
	return b.Bytes()
}

// PageFilter selects the printable page: a van's list, a rider's notice,
// a facility's arrivals; all zero: the whole day.
type PageFilter struct {
	Van      uint64
	Rider    int64
	Facility int64
}

type pageStop struct {
	Van                                     uint64
	Time, Action, Pseudonym, Place, Colour  string
	Kind, Direction, DriverPhone, RouteList string
	Seats                                   int
	Wheelchair, Urgent                      bool
	Other                                   string // the other end of the trip
	OtherTime                               string
}

type page struct {
	Title, Subtitle string
	Vans            []pageVan
	Notices         []pageStop
	Arrivals        []pageStop
	Departures      []pageStop
}

type pageVan struct {
	Van                          uint64
	Leaves, Returns, DriverPhone string
	RouteList                    string
	Stops                        []pageStop
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<link rel="stylesheet" href="/print.css"></head>
<body><h1>{{.Title}}</h1><p class="sub">{{.Subtitle}}</p>
{{range .Notices}}<section class="notice">
<p class="big">{{if eq .Action "pick_up"}}Be at <b>{{.Place}}</b> at <b>{{.Time}}</b>.{{end}}</p>
<p>Van <b>{{.Van}}</b> takes you ({{.Pseudonym}}, {{.Direction}}{{if .Urgent}}, urgent{{end}}) to {{.Other}}{{if .OtherTime}}, arriving about {{.OtherTime}}{{end}}.
{{if .DriverPhone}}Driver's phone: <b>{{.DriverPhone}}</b>.{{end}}</p>
<p>Show your health code ({{.Colour}}) when you board.{{if .Wheelchair}} A wheelchair place is booked.{{end}}{{if gt .Seats 1}} {{.Seats}} seats are booked (companions).{{end}}</p>
</section>{{end}}
{{range .Vans}}<section class="van"><h2>Van {{.Van}}</h2>
<p>Leaves the depot {{.Leaves}}, back {{.Returns}}.{{if .DriverPhone}} Driver's phone {{.DriverPhone}}.{{end}}{{if .RouteList}} Route list {{.RouteList}}.{{end}}</p>
<table><thead><tr><th>#</th><th>time</th><th>what</th><th>rider</th><th>place</th><th>code</th><th>seats</th><th>check</th></tr></thead><tbody>
{{range $i, $s := .Stops}}<tr><td>{{$i}}</td><td>{{$s.Time}}</td><td>{{if eq $s.Action "pick_up"}}board{{else}}alight{{end}}</td><td>{{$s.Pseudonym}}{{if $s.Urgent}} (URGENT){{end}}</td><td>{{$s.Place}}</td><td>{{$s.Colour}}</td><td>{{$s.Seats}}{{if $s.Wheelchair}} + wheelchair{{end}}</td><td>{{if eq $s.Action "pick_up"}}health code{{end}}</td></tr>
{{end}}</tbody></table></section>{{end}}
{{if .Arrivals}}<h2>Arrivals</h2><table><thead><tr><th>time</th><th>rider</th><th>van</th><th>code</th><th>kind</th><th>from</th></tr></thead><tbody>
{{range .Arrivals}}<tr><td>{{.Time}}</td><td>{{.Pseudonym}}{{if .Urgent}} (URGENT){{end}}</td><td>{{.Van}}</td><td>{{.Colour}}</td><td>{{.Kind}}</td><td>{{.Other}}</td></tr>
{{end}}</tbody></table>{{end}}
{{if .Departures}}<h2>Departures</h2><table><thead><tr><th>time</th><th>rider</th><th>van</th><th>code</th><th>kind</th><th>to</th></tr></thead><tbody>
{{range .Departures}}<tr><td>{{.Time}}</td><td>{{.Pseudonym}}</td><td>{{.Van}}</td><td>{{.Colour}}</td><td>{{.Kind}}</td><td>{{.Other}}</td></tr>
{{end}}</tbody></table>{{end}}
</body></html>
`))

// HTML renders a printable page (html/template: every value escaped).
func HTML(tt *Timetable, f PageFilter) ([]byte, error) {
	pg := page{Subtitle: fmt.Sprintf("%s, version %d", tt.Date, tt.Version)}
	other := map[string]pageStop{} // trip/action -> the stop
	key := func(id uint64, a string) string { return fmt.Sprintf("%d/%s", id, a) }
	for _, vt := range tt.Plan.Vans {
		for _, s := range vt.Stops {
			ps := pageStop{Van: vt.Van, Time: s.Time, Action: s.Action, Pseudonym: s.Pseudonym, Place: s.Place, Colour: string(s.Colour),
				Kind: string(s.Kind), Direction: s.Direction, DriverPhone: vt.DriverPhone, RouteList: vt.RouteList, Seats: s.Seats,
				Wheelchair: s.Wheelchair, Urgent: s.Urgent}
			other[key(s.TripID, s.Action)] = ps
		}
	}
	switch {
	case f.Rider != 0:
		for _, vt := range tt.Plan.Vans {
			for _, s := range vt.Stops {
				if s.RiderID != f.Rider || s.Action != "pick_up" {
					continue
				}
				ps := other[key(s.TripID, "pick_up")]
				if d, ok := other[key(s.TripID, "drop_off")]; ok {
					ps.Other, ps.OtherTime = d.Place, d.Time
				}
				pg.Notices = append(pg.Notices, ps)
				pg.Title = "Shuttle pick-up notice for " + s.Pseudonym
			}
		}
		if len(pg.Notices) == 0 {
			return nil, fmt.Errorf("rider %d has no trip in version %d of %s", f.Rider, tt.Version, tt.Date)
		}
	case f.Facility != 0:
		name := ""
		for _, t := range tt.TripList {
			if t.FacilityID != f.Facility {
				continue
			}
			if t.Direction == "inbound" {
				name = t.ToLabel
				if d, ok := other[key(t.ID, "drop_off")]; ok {
					d.Other = t.FromLabel
					pg.Arrivals = append(pg.Arrivals, d)
				}
			} else {
				name = t.FromLabel
				if p, ok := other[key(t.ID, "pick_up")]; ok {
					p.Other = t.ToLabel
					pg.Departures = append(pg.Departures, p)
				}
			}
		}
		if name == "" {
			return nil, fmt.Errorf("facility %d has no trip in version %d of %s", f.Facility, tt.Version, tt.Date)
		}
		sortPage(pg.Arrivals)
		sortPage(pg.Departures)
		pg.Title = "Shuttle arrivals and departures: " + name
	default:
		for _, vt := range tt.Plan.Vans {
			if f.Van != 0 && vt.Van != f.Van {
				continue
			}
			pv := pageVan{Van: vt.Van, Leaves: vt.Leaves, Returns: vt.Returns, DriverPhone: vt.DriverPhone, RouteList: vt.RouteList}
			for _, s := range vt.Stops {
				pv.Stops = append(pv.Stops, other[key(s.TripID, s.Action)])
			}
			pg.Vans = append(pg.Vans, pv)
		}
		pg.Title = "Shuttle timetable"
		if f.Van != 0 {
			pg.Title = fmt.Sprintf("Shuttle van %d: driver's list", f.Van)
			if len(pg.Vans) == 0 {
				return nil, fmt.Errorf("van %d has no stop in version %d of %s", f.Van, tt.Version, tt.Date)
			}
		}
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, pg); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func sortPage(ps []pageStop) {
	slices.SortStableFunc(ps, func(a, b pageStop) int { return strings.Compare(a.Time, b.Time) })
}
