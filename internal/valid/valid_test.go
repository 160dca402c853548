package valid

import (
	"errors"
	"testing"

	"lifeline/zones"
)

func TestText(t *testing.T) {
	for _, tc := range []struct {
		s        string
		required bool
		max      int
		want     string // the message, "" when valid
	}{
		{"Amlodipine 5mg", true, 20, ""},
		{"", false, 20, ""},
		{"", true, 20, "required"},
		{" \t", true, 20, "required"},
		{"\xff", false, 20, "not valid UTF-8"},
		{"三号楼", true, 3, ""},
		{"三号楼A", true, 3, "at most 3 characters, got 4"},
		{"a\nb", false, 20, "control characters are not allowed"},
		{"a\x00", false, 20, "control characters are not allowed"},
	} {
		err := Text("items[1].name", tc.s, tc.required, tc.max)
		var ve *zones.ValidationError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.s, err)
		case tc.want != "" && (!errors.As(err, &ve) || ve.Path != "items[1].name" || ve.Message != tc.want):
			t.Errorf("%q: got %v, want items[1].name: %s", tc.s, err, tc.want)
		}
	}
}
