// Command lifeline is the single binary of the service: the HTTP server and
// the offline tools (graph build, route, matrix, solve, site, demo).
//
// main only wires: run does the work so that tests can drive it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. args excludes the subcommand's own name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error
}

var commands = map[string]command{}

// register adds a subcommand; each subcommand lives in its own file and
// registers itself from init.
func register(name, summary string, run func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error) {
	if _, dup := commands[name]; dup {
		panic("lifeline: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lifeline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	name, rest := args[0], args[1:]
	// "graph build" is a two-word command.
	if name == "graph" && len(rest) > 0 {
		name, rest = "graph "+rest[0], rest[1:]
	}
	c, ok := commands[name]
	if !ok {
		usage(stderr)
		return fmt.Errorf("unknown command %q", name)
	}
	return c.run(ctx, rest, stdout, stderr, getenv)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lifeline <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'lifeline <command> -h' for the flags of a command.")
}
