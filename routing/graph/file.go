package graph

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
)

// File format (little endian), version 1:
//
//	magic   [8]byte "LLROAD\x00\x1a"
//	version uint32  (FileVersion)
//	count   uint32  number of sections
//	count x { tag [4]byte; length uint64; payload [length]byte }
//	crc     uint32  CRC-32C (Castagnoli) of every byte before it
//
// The section "GRPH" holds the graph; other sections (for example "CH01",
// the contraction hierarchy) are opaque here and returned by Decode.
// Readers reject unknown versions, bad checksums and any count that does
// not fit in the remaining bytes (checked before allocating).
const FileVersion = 1

var fileMagic = [8]byte{'L', 'L', 'R', 'O', 'A', 'D', 0, 0x1a}

// MaxFileSize caps ReadFile and Decode inputs (4 GiB).
const MaxFileSize = 4 << 30

// Section is a named opaque block of a graph file.
type Section struct {
	Tag  [4]byte
	Data []byte
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode serialises g and extra sections into the versioned file format.
func Encode(g *Graph, extra ...Section) []byte {
	secs := append([]Section{{Tag: [4]byte{'G', 'R', 'P', 'H'}, Data: g.marshal()}}, extra...)
	var out []byte
	out = append(out, fileMagic[:]...)
	out = binary.LittleEndian.AppendUint32(out, FileVersion)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(secs)))
	for _, s := range secs {
		out = append(out, s.Tag[:]...)
		out = binary.LittleEndian.AppendUint64(out, uint64(len(s.Data)))
		out = append(out, s.Data...)
	}
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// Write writes Encode(g, extra...) to w.
func Write(w io.Writer, g *Graph, extra ...Section) error {
	_, err := w.Write(Encode(g, extra...))
	return err
}

// WriteFile writes the graph file atomically (temporary file + rename).
func WriteFile(path string, g *Graph, extra ...Section) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, Encode(g, extra...), 0o644); err != nil {
		return fmt.Errorf("write graph: %w", err)
	}
	return os.Rename(tmp, path)
}

// Read reads a whole graph file from r (at most MaxFileSize bytes) and
// decodes it.
func Read(r io.Reader) (*Graph, []Section, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read graph: %w", err)
	}
	return Decode(data)
}

// ReadFile reads and decodes the graph file at path.
func ReadFile(path string) (*Graph, []Section, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read graph: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read graph: %w", err)
	}
	if fi.Size() > MaxFileSize {
		return nil, nil, fmt.Errorf("%w: file larger than %d bytes", ErrFormat, int64(MaxFileSize))
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("read graph: %w", err)
	}
	return Decode(data)
}

// Decode parses a graph file. It never panics on corrupted input: it
// returns ErrFormat, ErrVersion or ErrChecksum (wrapped).
func Decode(data []byte) (*Graph, []Section, error) {
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("%w: file larger than %d bytes", ErrFormat, int64(MaxFileSize))
	}
	if len(data) < 8+4+4+4 || [8]byte(data[:8]) != fileMagic {
		return nil, nil, fmt.Errorf("%w: not a lifeline road graph", ErrFormat)
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, nil, ErrChecksum
	}
	if v := binary.LittleEndian.Uint32(body[8:]); v != FileVersion {
		return nil, nil, fmt.Errorf("%w: %d (want %d)", ErrVersion, v, FileVersion)
	}
	r := &reader{b: body[16:]}
	count := binary.LittleEndian.Uint32(body[12:])
	if uint64(count) > uint64(len(r.b))/12 {
		return nil, nil, fmt.Errorf("%w: section count %d", ErrFormat, count)
	}
	var g *Graph
	var extra []Section
	for i := uint32(0); i < count; i++ {
		tag := r.bytes(4)
		n := r.u64()
		if r.err != nil || n > uint64(len(r.b)) {
			return nil, nil, fmt.Errorf("%w: section %d truncated", ErrFormat, i)
		}
		payload := r.bytes(int(n))
		if string(tag) == "GRPH" {
			var err error
			if g, err = unmarshalGraph(payload); err != nil {
				return nil, nil, err
			}
			continue
		}
		extra = append(extra, Section{Tag: [4]byte(tag), Data: payload})
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, nil, fmt.Errorf("%w: trailing or missing bytes", ErrFormat)
	}
	if g == nil {
		return nil, nil, fmt.Errorf("%w: no graph section", ErrFormat)
	}
	return g, extra, nil
}

func (g *Graph) marshal() []byte {
	var b []byte
	le := binary.LittleEndian
	b = le.AppendUint32(b, uint32(len(g.Profile)))
	b = append(b, g.Profile...)
	n, m := g.NumNodes(), g.NumEdges()
	b = le.AppendUint32(b, uint32(n))
	b = le.AppendUint32(b, uint32(m))
	for v := 0; v < n; v++ {
		b = le.AppendUint64(b, math.Float64bits(g.Lon[v]))
		b = le.AppendUint64(b, math.Float64bits(g.Lat[v]))
	}
	for _, x := range g.FirstOut {
		b = le.AppendUint32(b, uint32(x))
	}
	for e := 0; e < m; e++ {
		b = le.AppendUint32(b, uint32(g.Head[e]))
		b = le.AppendUint32(b, g.Time[e])
		b = le.AppendUint32(b, math.Float32bits(g.Length[e]))
		b = le.AppendUint32(b, uint32(g.Name[e]))
	}
	b = le.AppendUint32(b, uint32(len(g.Names)))
	for _, s := range g.Names {
		b = le.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

func unmarshalGraph(data []byte) (*Graph, error) {
	r := &reader{b: data}
	g := &Graph{}
	g.Profile = string(r.bytes(int(r.u32capped(64))))
	n := r.u32()
	m := r.u32()
	if r.err != nil || uint64(n) > uint64(len(r.b))/20 || uint64(m) > uint64(len(r.b))/16 {
		return nil, fmt.Errorf("%w: graph sizes", ErrFormat)
	}
	g.Lon = make([]float64, n)
	g.Lat = make([]float64, n)
	for v := range g.Lon {
		g.Lon[v] = math.Float64frombits(r.u64())
		g.Lat[v] = math.Float64frombits(r.u64())
		if math.IsNaN(g.Lon[v]) || math.IsNaN(g.Lat[v]) || math.Abs(g.Lon[v]) > 180 || math.Abs(g.Lat[v]) > 90 {
			return nil, fmt.Errorf("%w: node %d coordinates", ErrFormat, v)
		}
	}
	g.FirstOut = make([]int32, n+1)
	for i := range g.FirstOut {
		g.FirstOut[i] = int32(r.u32())
		if r.err != nil || g.FirstOut[i] < 0 || uint32(g.FirstOut[i]) > m || (i > 0 && g.FirstOut[i] < g.FirstOut[i-1]) {
			return nil, fmt.Errorf("%w: edge offsets", ErrFormat)
		}
	}
	if g.FirstOut[0] != 0 || uint32(g.FirstOut[n]) != m {
		return nil, fmt.Errorf("%w: edge offsets", ErrFormat)
	}
	g.Head = make([]NodeID, m)
	g.Time = make([]Weight, m)
	g.Length = make([]float32, m)
	g.Name = make([]int32, m)
	for e := range g.Head {
		h, t, l, nm := r.u32(), r.u32(), math.Float32frombits(r.u32()), r.u32()
		if h >= n || t < 1 || t > MaxWeight || !(l >= 0) || math.IsInf(float64(l), 0) {
			return nil, fmt.Errorf("%w: edge %d", ErrFormat, e)
		}
		g.Head[e], g.Time[e], g.Length[e], g.Name[e] = NodeID(h), t, l, int32(nm)
	}
	nn := r.u32()
	if r.err != nil || nn == 0 || uint64(nn) > uint64(len(r.b))/4 {
		return nil, fmt.Errorf("%w: name table", ErrFormat)
	}
	g.Names = make([]string, nn)
	for i := range g.Names {
		g.Names[i] = string(r.bytes(int(r.u32capped(1 << 16))))
	}
	if r.err != nil || len(r.b) != 0 || g.Names[0] != "" {
		return nil, fmt.Errorf("%w: name table", ErrFormat)
	}
	for e, nm := range g.Name {
		if nm < 0 || int(nm) >= len(g.Names) {
			return nil, fmt.Errorf("%w: edge %d name", ErrFormat, e)
		}
	}
	if n == 0 {
		return nil, ErrEmpty
	}
	g.finish()
	return g, nil
}

// reader is a bounds-checked little-endian cursor; after the first short
// read every call returns zero and err is set.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.fail()
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated", ErrFormat)
	}
	r.b = nil
}

func (r *reader) u32() uint32 {
	s := r.bytes(4)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s)
}

func (r *reader) u32capped(max uint32) uint32 {
	v := r.u32()
	if v > max {
		r.fail()
		return 0
	}
	return v
}

func (r *reader) u64() uint64 {
	s := r.bytes(8)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(s)
}

// Reader is a bounds-checked little-endian cursor over a section payload,
// for other packages (the hierarchy section). Err reports the first error.
type Reader struct{ r reader }

// NewReader returns a Reader over b.
func NewReader(b []byte) *Reader { return &Reader{reader{b: b}} }

// U32 reads a uint32 (0 after an error).
func (r *Reader) U32() uint32 { return r.r.u32() }

// Remaining returns the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.r.b) }

// Err returns ErrFormat (wrapped) after a short read, else nil.
func (r *Reader) Err() error { return r.r.err }

func crc32Of(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
