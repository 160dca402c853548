// Package valid holds the checks of user text that several domain packages
// share; their errors are *zones.ValidationError with the given path.
package valid

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"lifeline/zones"
)

// Errorf is a *zones.ValidationError at path.
func Errorf(path, format string, a ...any) *zones.ValidationError {
	return &zones.ValidationError{Path: path, Message: fmt.Sprintf(format, a...)}
}

// Text checks a one-line text field: valid UTF-8, at most max characters,
// no control characters, and not blank when required.
func Text(path, s string, required bool, max int) error {
	if required && strings.TrimSpace(s) == "" {
		return Errorf(path, "required")
	}
	if !utf8.ValidString(s) {
		return Errorf(path, "not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(path, "at most %d characters, got %d", max, n)
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return Errorf(path, "control characters are not allowed")
		}
	}
	return nil
}
