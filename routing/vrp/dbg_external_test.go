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
	inst, err := formats.ReadFile(shareddata.Path(t, "bench/solomon-vrptw/instances/"+name+".txt"), formats.Solomon)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := vrp.Solve(context.Background(), inst.Problem, vrp.Options{Seed: 1, TimeLimit: 8 * time.Second, Progress: func(p vrp.Progress) {
		fmt.Printf("%6d %5.2fs prio %d veh %d cost %.2f\n", p.Iteration, p.Elapsed.Seconds(), p.Priority, p.Vehicles, p.Cost)
	}})
	fmt.Println(s.Vehicles, s.Distance)
}
