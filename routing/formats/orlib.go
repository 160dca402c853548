package formats

import (
	"bufio"
	"container/heap"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"lifeline/routing"
)

// MaxPMedianNodes caps the vertex count of an OR-Library p-median file: the
// all-pairs distance matrix costs 8*n*n bytes (4096: 134 MB).
const MaxPMedianNodes = 4096

// MaxPMedianEdges caps the edge lines of an OR-Library p-median file.
const MaxPMedianEdges = 4 << 20

// PMedian is an OR-Library uncapacitated p-median instance (Beasley 1985,
// pmed1..pmed40). Every vertex is a client of weight 1 and a candidate
// site; vertex v of the file (1-based) is row/column v-1 of Dist.
type PMedian struct {
	N     int // vertices
	Edges int // edge lines in the file (duplicates included)
	P     int // medians to open
	// Dist is the N x N matrix of shortest-path distances over the
	// undirected graph, routing.Unreachable between disconnected vertices.
	Dist routing.Matrix
}

// ReadPMedian reads an OR-Library p-median file: a header line "n m p"
// then m lines "i j cost" (1-based vertices, undirected edge, cost >= 0).
// When a vertex pair appears more than once the LAST line wins (the
// published optima hold only under that rule); self-loops are ignored.
// Distances are all-pairs shortest paths (n Dijkstras, O(n·m log n)).
// Whitespace and line breaks are free-form. Errors wrap ErrFormat (with the
// line number) or ErrTooLarge (n > MaxPMedianNodes, m > MaxPMedianEdges,
// input over MaxInputBytes), checked before allocating.
func ReadPMedian(r io.Reader) (*PMedian, error) {
	return readPMedian(r, MaxPMedianNodes)
}

func readPMedian(r io.Reader, maxN int) (*PMedian, error) {
	lr := &io.LimitedReader{R: r, N: MaxInputBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	// fields returns the next non-empty line's fields.
	next := func() ([]string, error) {
		for sc.Scan() {
			line++
			if f := strings.Fields(sc.Text()); len(f) > 0 {
				return f, nil
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, line+1, err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("%w: input over %d bytes", ErrTooLarge, MaxInputBytes)
		}
		return nil, io.EOF
	}
	head, err := next()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: empty p-median file", ErrFormat)
	} else if err != nil {
		return nil, err
	}
	if len(head) != 3 {
		return nil, fmt.Errorf("%w: line %d: header wants \"n m p\", got %d fields", ErrFormat, line, len(head))
	}
	var hv [3]int
	for k, s := range head {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%w: line %d: header field %q", ErrFormat, line, s)
		}
		hv[k] = v
	}
	n, m, p := hv[0], hv[1], hv[2]
	if n < 1 {
		return nil, fmt.Errorf("%w: line %d: n = %d", ErrFormat, line, n)
	}
	if n > maxN {
		return nil, fmt.Errorf("%w: n = %d > %d", ErrTooLarge, n, maxN)
	}
	if m > MaxPMedianEdges {
		return nil, fmt.Errorf("%w: m = %d > %d", ErrTooLarge, m, MaxPMedianEdges)
	}
	if p < 1 || p > n {
		return nil, fmt.Errorf("%w: line %d: p = %d not in 1..%d", ErrFormat, line, p, n)
	}
	// Direct edge costs, last occurrence wins; -1 = no edge.
	w := make([]float64, n*n)
	for k := range w {
		w[k] = -1
	}
	for e := 0; e < m; e++ {
		f, err := next()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: %d edge lines, header says %d", ErrFormat, e, m)
		} else if err != nil {
			return nil, err
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: line %d: edge wants \"i j cost\", got %d fields", ErrFormat, line, len(f))
		}
		i, err1 := strconv.Atoi(f[0])
		j, err2 := strconv.Atoi(f[1])
		c, err3 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("%w: line %d: edge %q", ErrFormat, line, strings.Join(f, " "))
		}
		if i < 1 || i > n || j < 1 || j > n {
			return nil, fmt.Errorf("%w: line %d: vertex out of 1..%d", ErrFormat, line, n)
		}
		if math.IsNaN(c) || math.IsInf(c, 0) || c < 0 {
			return nil, fmt.Errorf("%w: line %d: cost %v", ErrFormat, line, c)
		}
		if i == j {
			continue
		}
		w[(i-1)*n+(j-1)] = c
		w[(j-1)*n+(i-1)] = c
	}
	if f, err := next(); err == nil {
		return nil, fmt.Errorf("%w: line %d: unexpected %q after %d edges", ErrFormat, line, strings.Join(f, " "), m)
	} else if err != io.EOF {
		return nil, err
	}
	return &PMedian{N: n, Edges: m, P: p, Dist: allPairs(n, w)}, nil
}

// allPairs turns the dense direct-cost table w (-1 = no edge) into
// shortest-path distances with one Dijkstra per source over adjacency
// lists built from w.
func allPairs(n int, w []float64) routing.Matrix {
	start := make([]int32, n+1)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if w[i*n+j] >= 0 {
				start[i+1]++
			}
		}
	}
	for i := 0; i < n; i++ {
		start[i+1] += start[i]
	}
	to := make([]int32, start[n])
	cost := make([]float64, start[n])
	k := 0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if c := w[i*n+j]; c >= 0 {
				to[k], cost[k] = int32(j), c
				k++
			}
		}
	}
	d := routing.NewMatrix(n, n)
	h := &distHeap{}
	for s := 0; s < n; s++ {
		row := d.Data[s*n : (s+1)*n]
		for j := range row {
			row[j] = routing.Unreachable
		}
		row[s] = 0
		h.items = h.items[:0]
		heap.Push(h, distItem{int32(s), 0})
		for h.Len() > 0 {
			it := heap.Pop(h).(distItem)
			if it.d > row[it.v] {
				continue
			}
			for e := start[it.v]; e < start[it.v+1]; e++ {
				if nd := it.d + cost[e]; nd < row[to[e]] {
					row[to[e]] = nd
					heap.Push(h, distItem{to[e], nd})
				}
			}
		}
	}
	return d
}

type distItem struct {
	v int32
	d float64
}

type distHeap struct{ items []distItem }

func (h *distHeap) Len() int           { return len(h.items) }
func (h *distHeap) Less(a, b int) bool { return h.items[a].d < h.items[b].d }
func (h *distHeap) Swap(a, b int)      { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *distHeap) Push(x any)         { h.items = append(h.items, x.(distItem)) }
func (h *distHeap) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}

// PMedianBKS is one row of the OR-Library p-median bks.csv
// (columns instance,value,n,m,p,source; all values are proven optima).
type PMedianBKS struct {
	Instance string
	Value    float64
	N, M, P  int
	Source   string
}

// ReadPMedianBKS reads the p-median bks.csv. The header must name instance
// and value; n, m, p and source are read when present. Errors wrap
// ErrFormat or ErrTooLarge.
func ReadPMedianBKS(r io.Reader) ([]PMedianBKS, error) {
	cr := csv.NewReader(&io.LimitedReader{R: r, N: MaxInputBytes})
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: p-median bks header: %v", ErrFormat, err)
	}
	col := map[string]int{}
	for k, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = k
	}
	ci, ok1 := col["instance"]
	cv, ok2 := col["value"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: p-median bks header lacks instance or value", ErrFormat)
	}
	var out []PMedianBKS
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: p-median bks line %d: %v", ErrFormat, line, err)
		}
		if len(out) >= MaxBKSRows {
			return nil, fmt.Errorf("%w: more than %d bks rows", ErrTooLarge, MaxBKSRows)
		}
		get := func(name string) (string, bool) {
			k, ok := col[name]
			if !ok || k >= len(rec) {
				return "", false
			}
			return strings.TrimSpace(rec[k]), true
		}
		if ci >= len(rec) || cv >= len(rec) {
			return nil, fmt.Errorf("%w: p-median bks line %d: too few columns", ErrFormat, line)
		}
		b := PMedianBKS{Instance: strings.TrimSpace(rec[ci])}
		if b.Instance == "" {
			return nil, fmt.Errorf("%w: p-median bks line %d: empty instance", ErrFormat, line)
		}
		if b.Value, err = strconv.ParseFloat(strings.TrimSpace(rec[cv]), 64); err != nil || math.IsNaN(b.Value) {
			return nil, fmt.Errorf("%w: p-median bks line %d: value %q", ErrFormat, line, rec[cv])
		}
		for name, dst := range map[string]*int{"n": &b.N, "m": &b.M, "p": &b.P} {
			if s, ok := get(name); ok && s != "" {
				if *dst, err = strconv.Atoi(s); err != nil {
					return nil, fmt.Errorf("%w: p-median bks line %d: %s %q", ErrFormat, line, name, s)
				}
			}
		}
		b.Source, _ = get("source")
		out = append(out, b)
	}
}
