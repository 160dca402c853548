package wal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// collect opens dir and returns the snapshot payload and the records replayed.
func collect(t *testing.T, dir string) (*Log, string, []string, Recovery) {
	t.Helper()
	var snap string
	var recs []string
	l, rec, err := Open(dir, Options{}, func(r io.Reader) error {
		b, err := io.ReadAll(r)
		snap = string(b)
		return err
	}, func(b []byte) error {
		recs = append(recs, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l, snap, recs, rec
}

func TestAppendReplay(t *testing.T) {
	dir := t.TempDir()
	l, _, recs, _ := collect(t, dir)
	if len(recs) != 0 {
		t.Fatalf("fresh log replayed %d records", len(recs))
	}
	var want []string
	for i := range 100 {
		r := fmt.Sprintf("record %d %s", i, strings.Repeat("x", i))
		want = append(want, r)
		if err := l.Append([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Append(nil); err != nil { // empty records are records too
		t.Fatal(err)
	}
	want = append(want, "")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append([]byte("late")); err != ErrClosed {
		t.Fatalf("append after close: %v, want ErrClosed", err)
	}
	l, _, got, rec := collect(t, dir)
	defer l.Close()
	if !slices.Equal(got, want) {
		t.Fatalf("replayed %d records, want %d (first diff at %v)", len(got), len(want), firstDiff(got, want))
	}
	if rec.TornBytes != 0 || rec.Records != len(want) || rec.Segments != 1 {
		t.Fatalf("recovery %+v", rec)
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestConcurrentAppendGroupCommit(t *testing.T) {
	dir := t.TempDir()
	l, _, _, _ := collect(t, dir)
	var wg sync.WaitGroup
	for w := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				if err := l.Append([]byte(fmt.Sprintf("%d/%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	l.Close()
	l, _, got, _ := collect(t, dir)
	defer l.Close()
	if len(got) != 2000 {
		t.Fatalf("replayed %d records, want 2000", len(got))
	}
	// Each writer's records keep their order.
	last := map[string]int{}
	for _, r := range got {
		w, i, _ := strings.Cut(r, "/")
		n, _ := strconv.Atoi(i)
		if p, ok := last[w]; ok && n != p+1 {
			t.Fatalf("writer %s: record %d after %d", w, n, p)
		}
		last[w] = n
	}
}

// TestTornTail cuts the last record at every byte and flips each of its
// bytes: Open keeps every record before it, drops the damage, reports it,
// and appending goes on from there.
func TestTornTail(t *testing.T) {
	base := t.TempDir()
	l, _, _, _ := collect(t, base)
	for i := range 3 {
		l.Append([]byte(fmt.Sprintf("keep %d", i)))
	}
	l.Append([]byte("the last record"))
	l.Close()
	seg := segPath(base, 1)
	full, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	lastLen := 8 + len("the last record")
	goodLen := len(full) - lastLen
	cases := map[string][]byte{}
	for cut := goodLen + 1; cut < len(full); cut++ {
		cases[fmt.Sprintf("cut at %d", cut)] = full[:cut]
	}
	for i := goodLen; i < len(full); i++ {
		b := slices.Clone(full)
		b[i] ^= 0x40
		cases[fmt.Sprintf("flip byte %d", i)] = b
	}
	for name, data := range cases {
		dir := t.TempDir()
		if err := os.WriteFile(segPath(dir, 1), data, 0o600); err != nil {
			t.Fatal(err)
		}
		l, _, got, rec := collect(t, dir)
		if !slices.Equal(got, []string{"keep 0", "keep 1", "keep 2"}) {
			t.Fatalf("%s: replayed %q", name, got)
		}
		if rec.TornBytes != int64(len(data)-goodLen) {
			t.Fatalf("%s: torn %d bytes, want %d", name, rec.TornBytes, len(data)-goodLen)
		}
		if err := l.Append([]byte("after")); err != nil {
			t.Fatal(err)
		}
		l.Close()
		l, _, got, rec = collect(t, dir)
		l.Close()
		if !slices.Equal(got, []string{"keep 0", "keep 1", "keep 2", "after"}) || rec.TornBytes != 0 {
			t.Fatalf("%s: after repair replayed %q, %+v", name, got, rec)
		}
	}
}

func TestDamageInOlderSegmentIsAnError(t *testing.T) {
	dir := t.TempDir()
	l, _, _, _ := collect(t, dir)
	l.Append([]byte("one"))
	if _, err := l.Checkpoint(); err != nil { // segment 2 starts; no snapshot written
		t.Fatal(err)
	}
	l.Append([]byte("two"))
	l.Close()
	data, _ := os.ReadFile(segPath(dir, 1))
	data[len(data)-1] ^= 1
	os.WriteFile(segPath(dir, 1), data, 0o600)
	if _, _, err := Open(dir, Options{}, nil, nil); err == nil || !strings.Contains(err.Error(), "corruption") {
		t.Fatalf("open with a damaged older segment: %v", err)
	}
}

func TestCheckpointSnapshot(t *testing.T) {
	dir := t.TempDir()
	l, _, _, _ := collect(t, dir)
	l.Append([]byte("a"))
	l.Append([]byte("b"))
	cut, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	l.Append([]byte("c"))
	// A crash before the snapshot is written: both segments replay.
	l2, snap, got, _ := collectNoClose(t, dir)
	_ = l2
	if snap != "" || !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("before snapshot: %q %q", snap, got)
	}
	if err := cut.WriteSnapshot(func(w io.Writer) error { _, err := io.WriteString(w, "state:a,b"); return err }); err != nil {
		t.Fatal(err)
	}
	l.Append([]byte("d"))
	l.Close()
	if _, err := os.Stat(segPath(dir, 1)); !os.IsNotExist(err) {
		t.Fatalf("segment 1 still there after the snapshot: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "snapshot.tmp-123"), []byte("junk"), 0o600)
	l, snap, got, rec := collect(t, dir)
	defer l.Close()
	if snap != "state:a,b" || !slices.Equal(got, []string{"c", "d"}) {
		t.Fatalf("after snapshot: %q %q", snap, got)
	}
	if !rec.Snapshot || rec.RemovedTemps != 1 {
		t.Fatalf("recovery %+v", rec)
	}
	// A damaged snapshot is refused, not skipped.
	data, _ := os.ReadFile(filepath.Join(dir, "snapshot"))
	data[17] ^= 1
	os.WriteFile(filepath.Join(dir, "snapshot"), data, 0o600)
	if _, _, err := Open(dir, Options{}, nil, nil); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("damaged snapshot: %v", err)
	}
}

// collectNoClose reads a log directory another Log still has open (a
// simulated crash: the reader sees what is on disk).
func collectNoClose(t *testing.T, dir string) (*Log, string, []string, Recovery) {
	t.Helper()
	cp := t.TempDir()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		os.WriteFile(filepath.Join(cp, e.Name()), b, 0o600)
	}
	l, s, r, rec := collect(t, cp)
	l.Close()
	return l, s, r, rec
}

func TestRecordLimits(t *testing.T) {
	dir := t.TempDir()
	l, _, _, _ := collect(t, dir)
	defer l.Close()
	if err := l.Append(make([]byte, MaxRecord+1)); err == nil {
		t.Fatal("oversized record accepted")
	}
	// A length field far beyond the file is damage, never an allocation.
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[:4], 0xFFFFFFF0)
	d2 := t.TempDir()
	os.WriteFile(segPath(d2, 1), append(segMagic[:], hdr[:]...), 0o600)
	l2, _, got, rec := collect(t, d2)
	l2.Close()
	if len(got) != 0 || rec.TornBytes != 8 {
		t.Fatalf("huge length: %q %+v", got, rec)
	}
}

// TestKillDuringWrites runs 200 concurrent writers in a child process,
// kills it with SIGKILL while they write, and checks that every record the
// child acknowledged is replayed. Five times.
func TestKillDuringWrites(t *testing.T) {
	if os.Getenv("WAL_CHILD_DIR") != "" {
		childWriter(os.Getenv("WAL_CHILD_DIR"))
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for round := range 5 {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$")
		cmd.Env = append(os.Environ(), "WAL_CHILD_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]bool{}
		sc := bufio.NewScanner(out)
		deadline := time.Now().Add(20 * time.Second)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "ack ") {
				acked[strings.TrimPrefix(line, "ack ")] = true
			}
			if len(acked) >= 300+round*200 || time.Now().After(deadline) {
				break
			}
		}
		cmd.Process.Kill()
		// Acks already printed but not read yet still count.
		rest, _ := io.ReadAll(out)
		for _, line := range strings.Split(string(rest), "\n") {
			if strings.HasPrefix(line, "ack ") {
				acked[strings.TrimPrefix(line, "ack ")] = true
			}
		}
		cmd.Wait()
		if len(acked) == 0 {
			t.Fatalf("round %d: the child acknowledged nothing", round)
		}
		l, _, got, rec := collect(t, dir)
		l.Close()
		have := map[string]bool{}
		for _, r := range got {
			have[r] = true
		}
		for id := range acked {
			if !have[id] {
				t.Fatalf("round %d: acknowledged record %s lost (%d acked, %d replayed, %+v)", round, id, len(acked), len(got), rec)
			}
		}
		t.Logf("round %d: %d acknowledged, %d replayed, torn %d bytes", round, len(acked), len(got), rec.TornBytes)
	}
}

func childWriter(dir string) {
	l, _, err := Open(dir, Options{}, nil, nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("%d-%d-%s", g, i, bytes.Repeat([]byte{'p'}, (g*7+i)%300))
				if err := l.Append([]byte(id)); err != nil {
					return
				}
				mu.Lock()
				fmt.Fprintf(w, "ack %s\n", id)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func FuzzOpen(f *testing.F) {
	f.Add(append(segMagic[:], 3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'))
	f.Add(segMagic[:])
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(segPath(dir, 1), data, 0o600); err != nil {
			t.Fatal(err)
		}
		l, rec, err := Open(dir, Options{NoSync: true}, nil, func([]byte) error { return nil })
		if err != nil {
			return
		}
		if err := l.Append([]byte("x")); err != nil {
			t.Fatal(err)
		}
		l.Close()
		n := 0
		l, _, err = Open(dir, Options{NoSync: true}, nil, func([]byte) error { n++; return nil })
		if err != nil {
			t.Fatalf("reopen after repair: %v", err)
		}
		l.Close()
		if n != rec.Records+1 {
			t.Fatalf("reopen replayed %d, want %d", n, rec.Records+1)
		}
	})
}

// BenchmarkAppend50 measures acknowledged (fsynced) appends with 50
// concurrent writers, the store's target load; records of 512 bytes.
func BenchmarkAppend50(b *testing.B) {
	l, _, err := Open(b.TempDir(), Options{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rec := bytes.Repeat([]byte{'z'}, 512)
	b.SetParallelism((50 + 1) / 2) // with GOMAXPROCS=2: 50 goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Append(rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAppend1 is one writer alone: one fsync per record.
func BenchmarkAppend1(b *testing.B) {
	l, _, err := Open(b.TempDir(), Options{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rec := bytes.Repeat([]byte{'z'}, 512)
	for b.Loop() {
		if err := l.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
}
