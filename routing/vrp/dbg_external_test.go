package vrp_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"lifeline/internal/shareddata"
	"lifeline/routing/formats"
	"lifeline/routing/vrp"
)

func TestDbgProgress(t *testing.T) {
	name := os.Getenv("DBG_INST")
	if name == "" {
		t.Skip()
	}
	inst, err := formats.ReadFile(shareddata.Path(t, "bench/cordeau-darp/instances/"+name+".txt"), formats.Cordeau)
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	s, _ := vrp.Solve(context.Background(), inst.Problem, vrp.Options{Seed: 1, TimeLimit: 8 * time.Second, Progress: func(p vrp.Progress) {
		last = p.Iteration
	}})
	fmt.Println(s.Vehicles, s.Distance, last)
}
