// Package wal is the embedded store's durability layer: an append-only log of
// records in numbered segment files, group-committed (one fsync serves every
// writer waiting at that moment), replayed at start, and compacted into a
// snapshot in the background.
//
// Layout of a log directory:
//
//	snapshot            the state up to (not including) segment N, written atomically
//	wal-000000000N.log  segments N, N+1, ...: records appended after the snapshot
//
// A record on disk is [length uint32 LE][crc32c of payload uint32 LE][payload].
// A segment starts with an 8-byte magic. A snapshot is
// [magic 8][first segment after it uint64 LE][payload][crc32c of payload uint32 LE].
//
// Crash safety: a record is acknowledged (Append returns) only after an fsync
// that covers it. After a crash the last segment may end in a torn record
// (short header, short payload or wrong checksum): Open drops it, truncates
// the file there and reports it in Recovery. A bad record anywhere else, or a
// snapshot with a wrong checksum, is an error: that is corruption, not a
// crash, and nothing is dropped silently.
package wal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

var (
	segMagic   = [8]byte{'L', 'L', 'W', 'A', 'L', '0', '1', '\n'}
	snapMagic  = [8]byte{'L', 'L', 'S', 'N', 'A', 'P', '1', '\n'}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// MaxRecord is the largest record accepted (64 MiB): a length above it in a
// file is taken as damage, never allocated.
const MaxRecord = 64 << 20

const snapshotName = "snapshot"

// ErrClosed is returned by Append and Checkpoint after Close.
var ErrClosed = errors.New("wal: log is closed")

// Options tune a Log.
type Options struct {
	// NoSync skips fsync (tests and benchmarks of everything else only:
	// acknowledged records may then be lost in a crash).
	NoSync bool
}

// Recovery says what Open found.
type Recovery struct {
	Snapshot     bool  // a snapshot was loaded
	Segments     int   // segment files replayed
	Records      int   // records replayed after the snapshot
	TornBytes    int64 // bytes dropped from the end of the last segment (0: clean)
	TornSegment  string
	RemovedTemps int // leftover temporary files of an interrupted snapshot, removed
}

// Log is an open log. Append and Checkpoint are safe for concurrent use.
type Log struct {
	dir  string
	opts Options

	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File // current segment
	seg     uint64   // its number
	size    int64    // bytes in the current segment
	written uint64   // records written (all segments)
	synced  uint64   // records covered by a completed fsync
	syncing bool
	err     error // sticky write/sync error: the log refuses further appends
	closed  bool
}

// Open opens (or creates) the log in dir. It calls snapshot with the latest
// snapshot's payload if there is one, then record with every record written
// after it, in order; an error from either aborts Open. A record slice is
// only valid during the call.
func Open(dir string, opts Options, snapshot func(r io.Reader) error, record func(rec []byte) error) (*Log, Recovery, error) {
	var rec Recovery
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, rec, fmt.Errorf("wal: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, rec, fmt.Errorf("wal: %w", err)
	}
	var segs []uint64
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.Contains(name, ".tmp-"):
			if err := os.Remove(filepath.Join(dir, name)); err == nil {
				rec.RemovedTemps++
			}
		case strings.HasPrefix(name, "wal-") && strings.HasSuffix(name, ".log"):
			n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "wal-"), ".log"), 10, 64)
			if err != nil {
				return nil, rec, fmt.Errorf("wal: unexpected file %s in %s", name, dir)
			}
			segs = append(segs, n)
		}
	}
	slices.Sort(segs)

	first := uint64(1)
	if data, err := os.ReadFile(filepath.Join(dir, snapshotName)); err == nil {
		payload, after, err := decodeSnapshot(data)
		if err != nil {
			return nil, rec, fmt.Errorf("wal: %s: %w", filepath.Join(dir, snapshotName), err)
		}
		if snapshot != nil {
			if err := snapshot(bytes.NewReader(payload)); err != nil {
				return nil, rec, fmt.Errorf("wal: load snapshot: %w", err)
			}
		}
		rec.Snapshot = true
		first = after
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, rec, fmt.Errorf("wal: %w", err)
	}

	l := &Log{dir: dir, opts: opts}
	l.cond = sync.NewCond(&l.mu)
	// Segments before the snapshot's cut are left over from a compaction
	// that stopped before deleting them: they are already in the snapshot.
	var live []uint64
	for _, n := range segs {
		if n < first {
			os.Remove(segPath(dir, n))
			continue
		}
		live = append(live, n)
	}
	for i, n := range live {
		if i > 0 && n != live[i-1]+1 {
			return nil, rec, fmt.Errorf("wal: segment %d is missing between %d and %d", live[i-1]+1, live[i-1], n)
		}
	}
	if len(live) > 0 && live[0] != first {
		return nil, rec, fmt.Errorf("wal: segments start at %d but the snapshot ends before %d", live[0], first)
	}
	for i, n := range live {
		last := i == len(live)-1
		cnt, good, torn, err := replaySegment(segPath(dir, n), last, record)
		if err != nil {
			return nil, rec, err
		}
		rec.Segments++
		rec.Records += cnt
		l.written += uint64(cnt)
		if last {
			if torn > 0 {
				rec.TornBytes, rec.TornSegment = torn, segPath(dir, n)
				if err := os.Truncate(segPath(dir, n), good); err != nil {
					return nil, rec, fmt.Errorf("wal: drop torn record: %w", err)
				}
			}
			f, err := os.OpenFile(segPath(dir, n), os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return nil, rec, fmt.Errorf("wal: %w", err)
			}
			l.f, l.seg, l.size = f, n, good
		}
	}
	l.synced = l.written
	if l.f == nil {
		if err := l.newSegment(first); err != nil {
			return nil, rec, err
		}
	}
	return l, rec, nil
}

func segPath(dir string, n uint64) string {
	return filepath.Join(dir, fmt.Sprintf("wal-%010d.log", n))
}

// replaySegment reads every record of one segment. In the last segment a
// damaged tail is reported as torn (bytes after the last good record); in
// any other it is an error.
func replaySegment(path string, last bool, record func([]byte) error) (n int, good, torn int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("wal: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("wal: %w", err)
	}
	total := st.Size()
	r := bufio.NewReaderSize(f, 1<<20)
	damaged := func(what string) (int, int64, int64, error) {
		if last {
			return n, good, total - good, nil
		}
		return 0, 0, 0, fmt.Errorf("wal: %s: %s at byte %d (not the last segment: corruption, not a crash)", path, what, good)
	}
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		if last && total < 8 {
			// A crash right after creating the segment: rewrite its header.
			if err := os.WriteFile(path, segMagic[:], 0o600); err != nil {
				return 0, 0, 0, fmt.Errorf("wal: %w", err)
			}
			return 0, 8, 0, nil
		}
		return 0, 0, 0, fmt.Errorf("wal: %s: short header", path)
	}
	if magic != segMagic {
		return 0, 0, 0, fmt.Errorf("wal: %s is not a lifeline log segment", path)
	}
	good = 8
	var hdr [8]byte
	buf := make([]byte, 0, 4096)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return n, good, 0, nil
			}
			return damaged("short record header")
		}
		size := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		if size > MaxRecord || int64(size) > total-good-8 {
			return damaged("record length past the end")
		}
		buf = slices.Grow(buf[:0], int(size))[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return damaged("short record")
		}
		if crc32.Checksum(buf, castagnoli) != sum {
			return damaged("checksum mismatch")
		}
		if record != nil {
			if err := record(buf); err != nil {
				return 0, 0, 0, fmt.Errorf("wal: replay %s record %d: %w", path, n, err)
			}
		}
		n++
		good += 8 + int64(size)
	}
}

func (l *Log) newSegment(n uint64) error {
	path := segPath(l.dir, n)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	if _, err := f.Write(segMagic[:]); err != nil {
		f.Close()
		return fmt.Errorf("wal: %w", err)
	}
	if !l.opts.NoSync {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("wal: %w", err)
		}
		syncDir(l.dir)
	}
	l.f, l.seg, l.size = f, n, 8
	return nil
}

// Append writes rec and returns once it is durable. Concurrent calls share
// fsyncs (group commit): while one fsync runs, the records written meanwhile
// wait for the next one, which covers them all.
func (l *Log) Append(rec []byte) error {
	seq, err := l.Write(rec)
	if err != nil {
		return err
	}
	return l.Sync(seq)
}

// Write appends rec without waiting for durability and returns its sequence
// number for Sync. It lets a caller fix the order of records under its own
// lock and wait for the fsync after releasing it.
func (l *Log) Write(rec []byte) (uint64, error) {
	if len(rec) > MaxRecord {
		return 0, fmt.Errorf("wal: record of %d bytes exceeds %d", len(rec), MaxRecord)
	}
	frame := make([]byte, 8+len(rec))
	binary.LittleEndian.PutUint32(frame[0:4], uint32(len(rec)))
	binary.LittleEndian.PutUint32(frame[4:8], crc32.Checksum(rec, castagnoli))
	copy(frame[8:], rec)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, ErrClosed
	}
	if l.err != nil {
		return 0, l.err
	}
	if _, err := l.f.Write(frame); err != nil {
		l.err = fmt.Errorf("wal: write: %w", err)
		return 0, l.err
	}
	l.size += int64(len(frame))
	l.written++
	return l.written, nil
}

// Sync waits until record seq (from Write) is covered by an fsync.
func (l *Log) Sync(seq uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.synced < seq {
		if l.closed {
			return ErrClosed
		}
		if l.err != nil {
			return l.err
		}
		if l.syncing {
			l.cond.Wait()
			continue
		}
		l.syncing = true
		target, f := l.written, l.f
		l.mu.Unlock()
		var err error
		if !l.opts.NoSync {
			err = f.Sync()
		}
		l.mu.Lock()
		l.syncing = false
		if err != nil {
			l.err = fmt.Errorf("wal: fsync: %w", err)
		} else if target > l.synced {
			l.synced = target
		}
		l.cond.Broadcast()
	}
	return l.err
}

// Size returns the bytes in the current segment (a compaction trigger).
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Cut is a point in the log returned by Checkpoint: everything written
// before it goes into the snapshot that WriteSnapshot writes.
type Cut struct {
	l    *Log
	next uint64 // first segment after the cut
}

// Checkpoint starts a new segment and returns the cut between the old and
// the new. The caller must hold whatever lock orders its writes, and take
// the copy of the state that the snapshot will hold under that same lock, so
// that the copy is exactly the records before the cut. It costs one fsync of
// the old segment and the creation of a file.
func (l *Log) Checkpoint() (*Cut, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.err != nil {
		return nil, l.err
	}
	for l.syncing {
		l.cond.Wait()
	}
	old := l.f
	if !l.opts.NoSync {
		if err := old.Sync(); err != nil {
			l.err = fmt.Errorf("wal: fsync: %w", err)
			return nil, l.err
		}
	}
	l.synced = l.written
	l.cond.Broadcast()
	if err := l.newSegment(l.seg + 1); err != nil {
		l.err = err
		return nil, err
	}
	old.Close()
	return &Cut{l: l, next: l.seg}, nil
}

// WriteSnapshot writes the snapshot of the state at the cut (write produces
// its payload), atomically, then removes the segments it covers. It may run
// in the background while Append goes on.
func (c *Cut) WriteSnapshot(write func(w io.Writer) error) error {
	dir := c.l.dir
	f, err := os.CreateTemp(dir, snapshotName+".tmp-*")
	if err != nil {
		return fmt.Errorf("wal: snapshot: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("wal: snapshot: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var head [16]byte
	copy(head[:8], snapMagic[:])
	binary.LittleEndian.PutUint64(head[8:], c.next)
	if _, err := bw.Write(head[:]); err != nil {
		return fail(err)
	}
	h := crc32.New(castagnoli)
	if err := write(io.MultiWriter(bw, h)); err != nil {
		return fail(err)
	}
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], h.Sum32())
	if _, err := bw.Write(tail[:]); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if !c.l.opts.NoSync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wal: snapshot: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, snapshotName)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wal: snapshot: %w", err)
	}
	if !c.l.opts.NoSync {
		syncDir(dir)
	}
	// The snapshot is durable: the segments before the cut are redundant.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "wal-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "wal-"), ".log"), 10, 64)
		if err == nil && n < c.next {
			os.Remove(filepath.Join(dir, name))
		}
	}
	return nil
}

func decodeSnapshot(data []byte) (payload []byte, next uint64, err error) {
	if len(data) < 20 || !bytes.Equal(data[:8], snapMagic[:]) {
		return nil, 0, errors.New("not a lifeline snapshot")
	}
	next = binary.LittleEndian.Uint64(data[8:16])
	payload = data[16 : len(data)-4]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, 0, errors.New("snapshot checksum mismatch (damaged file)")
	}
	return payload, next, nil
}

// Close syncs and closes the current segment. Records written with Write
// but not yet synced are synced first.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	for l.syncing {
		l.cond.Wait()
	}
	l.closed = true
	var err error
	if !l.opts.NoSync {
		err = l.f.Sync()
	}
	if err == nil {
		l.synced = l.written
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.cond.Broadcast()
	return err
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system supports it
		d.Close()
	}
}
