// Package shareddata locates the read-only data set that lives beside the
// repository in ../shared/data (OpenStreetMap extracts, benchmark instances).
// Tests and benchmarks read it in place; it is never copied into the repo.
// Tests find files through the sdtest subpackage, which alone imports
// testing.
package shareddata

import (
	"errors"
	"os"
	"path/filepath"
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
