package zones

import "time"

// DistrictZone is the district's time zone (China Standard Time, UTC+8, no
// daylight saving): the zone of "today", of sessions, cut-offs and
// timetables. One definition for every package.
var DistrictZone = time.FixedZone("CST", 8*3600)

// DistrictDate is the district's date (YYYY-MM-DD) at t.
func DistrictDate(t time.Time) string { return t.In(DistrictZone).Format(time.DateOnly) }
