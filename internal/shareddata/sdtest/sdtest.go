// Package sdtest is the test-only half of shareddata: it finds a file of the
// shared data set for a test or benchmark and skips (or, under CI, fails)
// when the file is missing. Only _test.go files import it, so the testing
// package stays out of the lifeline binary.
package sdtest

import (
	"os"
	"path/filepath"
	"testing"

	"lifeline/internal/shareddata"
)

// Path returns the absolute path of rel inside the shared data set. When the
// file is missing the test is skipped, unless CI is set, where it fails:
// CI always has ../shared beside the clone.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	root, err := shareddata.Root()
	if err == nil {
		p := filepath.Join(root, rel)
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("shared data %s missing: %v", rel, err)
	}
	tb.Skipf("shared data %s missing: %v", rel, err)
	return ""
}
