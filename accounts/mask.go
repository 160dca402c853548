package accounts

import (
	"strings"
	"unicode"
)

// Masking of patients' personal data (names, phone numbers, exact
// addresses) for roles that may not see it (Role.SeesPersonalData). Use
// Masker(role) in handlers so the rule lives in one place:
//
//	m := accounts.Masker(role)
//	stop.Name = m.Name(stop.Name)

// Mask is a set of masking functions; for roles that see personal data
// they return the value unchanged.
type Mask struct{ hide bool }

// Masker returns the masks for a role.
func Masker(r Role) Mask { return Mask{hide: !r.SeesPersonalData()} }

// Hides reports whether this mask changes anything.
func (m Mask) Hides() bool { return m.hide }

// Name keeps the first letter of each word: "Zhang Wei" -> "Z*** W***".
func (m Mask) Name(s string) string {
	if !m.hide {
		return s
	}
	return MaskName(s)
}

// Phone keeps the last two digits: "+86 138 0013 8000" -> "***********00".
func (m Mask) Phone(s string) string {
	if !m.hide {
		return s
	}
	return MaskPhone(s)
}

// Address keeps nothing but a marker: "12 Jinli Road, flat 3" -> "(hidden)".
func (m Mask) Address(s string) string {
	if !m.hide {
		return s
	}
	return MaskAddress(s)
}

// Text masks free text that may hold any of the above (a stop's
// description): every word becomes its first letter and asterisks, and every
// digit an asterisk.
func (m Mask) Text(s string) string {
	if !m.hide {
		return s
	}
	return MaskName(s)
}

// MaskName masks every word to its first letter followed by "***"; digits
// become "*". "" stays "".
func MaskName(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r):
			b.WriteRune(r)
			start = true
		case unicode.IsDigit(r):
			b.WriteByte('*')
			start = true
		case start:
			b.WriteRune(r)
			b.WriteString("***")
			start = false
		}
	}
	return b.String()
}

// MaskPhone replaces every digit but the last two with '*' and drops the
// rest of the formatting.
func MaskPhone(s string) string {
	var digits []rune
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits = append(digits, r)
		}
	}
	if len(digits) <= 2 {
		return strings.Repeat("*", len(digits))
	}
	return strings.Repeat("*", len(digits)-2) + string(digits[len(digits)-2:])
}

// MaskAddress hides an address completely.
func MaskAddress(s string) string {
	if s == "" {
		return ""
	}
	return "(hidden)"
}
