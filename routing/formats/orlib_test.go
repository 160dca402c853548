package formats

import (
	"bytes"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"lifeline/internal/shareddata/sdtest"
	"lifeline/routing"
)

func TestReadPMedianTable(t *testing.T) {
	inf := routing.Unreachable
	for _, tc := range []struct {
		name string
		in   string
		want []float64 // row-major distances
		p    int
		err  error
	}{
		{"path", " 3 2 1\n 1 2 5\n 2 3 7\n", []float64{0, 5, 12, 5, 0, 7, 12, 7, 0}, 1, nil},
		{"last duplicate wins", "3 3 2\n1 2 5\n2 3 7\n2 1 9\n", []float64{0, 9, 16, 9, 0, 7, 16, 7, 0}, 2, nil},
		{"later larger duplicate wins", "2 2 1\n1 2 1\n1 2 4\n", []float64{0, 4, 4, 0}, 1, nil},
		{"shortcut", "3 3 1\n1 2 5\n2 3 7\n1 3 20\n", []float64{0, 5, 12, 5, 0, 7, 12, 7, 0}, 1, nil},
		{"disconnected", "3 1 1\n1 2 5\n", []float64{0, 5, inf, 5, 0, inf, inf, inf, 0}, 1, nil},
		{"self loop ignored", "2 2 1\n1 1 3\n1 2 4\n", []float64{0, 4, 4, 0}, 1, nil},
		{"free-form whitespace", "\n\n 2   1 1 \r\n\n 1 2 3 \r\n\n", []float64{0, 3, 3, 0}, 1, nil},
		{"empty", "", nil, 0, ErrFormat},
		{"short header", "3 2\n", nil, 0, ErrFormat},
		{"missing edges", "3 2 1\n1 2 5\n", nil, 0, ErrFormat},
		{"extra line", "2 1 1\n1 2 5\n1 2 6\n", nil, 0, ErrFormat},
		{"vertex out of range", "2 1 1\n1 3 5\n", nil, 0, ErrFormat},
		{"vertex zero", "2 1 1\n0 1 5\n", nil, 0, ErrFormat},
		{"negative cost", "2 1 1\n1 2 -5\n", nil, 0, ErrFormat},
		{"nan cost", "2 1 1\n1 2 NaN\n", nil, 0, ErrFormat},
		{"p zero", "2 1 0\n1 2 5\n", nil, 0, ErrFormat},
		{"p over n", "2 1 3\n1 2 5\n", nil, 0, ErrFormat},
		{"n too large", "5000 1 1\n1 2 5\n", nil, 0, ErrTooLarge},
		{"m too large", "5 99999999 1\n", nil, 0, ErrTooLarge},
		{"garbage", "a b c\n", nil, 0, ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadPMedian(strings.NewReader(tc.in))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.P != tc.p || got.Dist.Rows*got.Dist.Cols != len(tc.want) {
				t.Fatalf("p %d size %dx%d", got.P, got.Dist.Rows, got.Dist.Cols)
			}
			for k, v := range tc.want {
				if got.Dist.Data[k] != v {
					t.Fatalf("dist %v, want %v", got.Dist.Data, tc.want)
				}
			}
		})
	}
}

// floyd is the oracle for the shortest paths: Floyd–Warshall over the
// same last-wins edge table, parsed independently.
func floyd(t *testing.T, data []byte) (n int, d []float64) {
	t.Helper()
	f := strings.Fields(string(data))
	atoi := func(s string) int {
		var v int
		for _, c := range s {
			v = v*10 + int(c-'0')
		}
		return v
	}
	n, m := atoi(f[0]), atoi(f[1])
	d = make([]float64, n*n)
	for k := range d {
		d[k] = math.Inf(1)
	}
	for i := 0; i < n; i++ {
		d[i*n+i] = 0
	}
	for e := 0; e < m; e++ {
		i, j, c := atoi(f[3+3*e])-1, atoi(f[4+3*e])-1, float64(atoi(f[5+3*e]))
		if i != j {
			d[i*n+j], d[j*n+i] = c, c
		}
	}
	for k := 0; k < n; k++ {
		for i := 0; i < n; i++ {
			dik := d[i*n+k]
			for j := 0; j < n; j++ {
				if v := dik + d[k*n+j]; v < d[i*n+j] {
					d[i*n+j] = v
				}
			}
		}
	}
	return n, d
}

func TestReadPMedianORLib(t *testing.T) {
	for _, name := range []string{"pmed1", "pmed6"} {
		path := sdtest.Path(t, "bench/orlib-pmedian/instances/"+name+".txt")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadPMedian(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		n, want := floyd(t, data)
		if got.N != n || got.Dist.Rows != n {
			t.Fatalf("%s: n %d, want %d", name, got.N, n)
		}
		for k := range want {
			if got.Dist.Data[k] != want[k] {
				t.Fatalf("%s: dist[%d][%d] = %v, Floyd–Warshall %v", name, k/n, k%n, got.Dist.Data[k], want[k])
			}
		}
	}
}

func TestReadPMedianBKS(t *testing.T) {
	path := sdtest.Path(t, "bench/orlib-pmedian/bks.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := ReadPMedianBKS(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 40 || rows[0].Instance != "pmed1" || rows[0].Value != 5819 || rows[0].N != 100 || rows[0].P != 5 ||
		rows[39].Instance != "pmed40" || rows[39].Value != 5128 || rows[39].M != 16200 {
		t.Fatalf("rows %d: first %+v last %+v", len(rows), rows[0], rows[len(rows)-1])
	}
	for _, bad := range []string{"", "name,score\nx,1\n", "instance,value\npmed1,abc\n", "instance,value,p\npmed1,3,x\n", "instance,value\n,3\n"} {
		if _, err := ReadPMedianBKS(strings.NewReader(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err %v, want ErrFormat", bad, err)
		}
	}
}

func FuzzReadPMedian(f *testing.F) {
	for _, s := range []string{" 3 2 1\n 1 2 5\n 2 3 7\n", "3 3 2\n1 2 5\n2 3 7\n2 1 9\n", "2 1 1\n1 2 -5\n", "1 0 1\n", "4 3 2\n1 2 1.5\n3 4 2\n2 3 1e3\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readPMedian(bytes.NewReader(data), 64)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		n := got.N
		if n < 1 || n > 64 || got.P < 1 || got.P > n || got.Dist.Rows != n || got.Dist.Cols != n {
			t.Fatalf("bad instance n=%d p=%d", n, got.P)
		}
		for i := 0; i < n; i++ {
			if got.Dist.At(i, i) != 0 {
				t.Fatalf("dist[%d][%d] = %v", i, i, got.Dist.At(i, i))
			}
			for j := 0; j < n; j++ {
				if v := got.Dist.At(i, j); v < 0 || v != got.Dist.At(j, i) {
					t.Fatalf("asymmetric or negative dist[%d][%d] = %v", i, j, v)
				}
			}
		}
	})
}
