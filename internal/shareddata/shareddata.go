// Package shareddata locates the read-only data set that lives beside the
// repository in ../shared/data (OpenStreetMap extracts, benchmark instances).
// Tests and benchmarks read it in place; it is never copied into the repo.
package shareddata

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Root returns the absolute path of ../shared/data relative to the module
// root (the directory holding go.mod), or LIFELINE_SHARED_DATA if set.
func Root() (string, error) {
	if d := os.Getenv("LIFELINE_SHARED_DATA"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "data")
			if _, err := os.Stat(d); err != nil {
				return "", err
			}
			return filepath.Clean(d), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("shareddata: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Path returns the absolute path of rel inside the shared data set. When the
// file is missing the test is skipped, unless CI is set, where it fails:
// CI always has ../shared beside the clone.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	root, err := Root()
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
