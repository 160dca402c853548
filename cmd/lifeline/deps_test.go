package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryDoesNotImportTesting: the lifeline binary must not link the
// testing package (test helpers live in _test files or in packages only
// tests import, such as internal/shareddata/sdtest).
func TestBinaryDoesNotImportTesting(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps gave %d packages: %q", len(deps), out)
	}
	for _, d := range deps {
		if d == "testing" || strings.HasPrefix(d, "testing/") || strings.HasSuffix(d, "/sdtest") {
			t.Errorf("the binary imports %s", d)
		}
	}
}
