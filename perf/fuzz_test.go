package perf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

var unitSeeds = []string{
	"0", "1", "1460", "128K", "128k", "10M", "10m", "1.5G", "2T", "0.5K", ".5K", "1.",
	"100M", "500K", "10G", "100M/s", "0/s", "/s",
	"", "-1", "+1", "1e3", "M", "12Q", "NaN", "Inf", "inf", "0x10", "1_000", " 1",
	"4194304T", "4194305T", "99999999999999999999", "1.7976931348623157e308",
	"0.0000000000000000000001", "000000000000000000000000000001K",
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range unitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseBytes(s)
		if err != nil {
			if n != 0 {
				t.Errorf("ParseBytes(%q) = %d with error %v", s, n, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseBytes(%q) = %d < 0", s, n)
		}
		again, err := ParseBytes(s)
		if err != nil || again != n {
			t.Fatalf("ParseBytes(%q) = %d, then %d, %v", s, n, again, err)
		}
		// Its value written plainly reads back the same: a result is
		// always one ParseBytes can produce.
		plain := itoa(uint64(n))
		if back, err := ParseBytes(plain); err != nil || back != n {
			t.Fatalf("ParseBytes(%q) = %d, but ParseBytes(%q) = %d, %v", s, n, plain, back, err)
		}
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range unitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if r != 0 {
				t.Errorf("ParseRate(%q) = %d with error %v", s, r, err)
			}
			return
		}
		if int64(r) < 0 {
			t.Fatalf("ParseRate(%q) = %d, past int64", s, r)
		}
		again, err := ParseRate(s)
		if err != nil || again != r {
			t.Fatalf("ParseRate(%q) = %d, then %d, %v", s, r, again, err)
		}
		plain := itoa(r)
		if back, err := ParseRate(plain); err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %d, but ParseRate(%q) = %d, %v", s, r, plain, back, err)
		}
		if back, err := ParseRate(plain + "/s"); err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %d, %v; want %d", plain+"/s", back, err, r)
		}
	})
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// countingReader counts what readJSON takes from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

func FuzzReadJSON(f *testing.F) {
	for _, doc := range realParams {
		f.Add(frame(doc))
	}
	for _, doc := range realResults {
		f.Add(frame(doc))
	}
	for _, b := range [][]byte{
		nil, {0}, {0, 0, 0, 0}, {0, 0, 0, 1, '{'}, {0xff, 0xff, 0xff, 0xff},
		binary.BigEndian.AppendUint32(nil, maxJSON), binary.BigEndian.AppendUint32(nil, maxJSON+1),
		frame(`{}`), frame(`null`), frame(`[]`), frame(`{"streams":[{"id":1,"retransmits":-1e400}]}`),
		frame(`{"streams":[{"packets":"x"}]}`), frame(`{"sender_has_retransmits":1e308}`),
		frame(`{"parallel":99999999999999999999}`), frame(`{"len":-1,"num":-5}`),
		append(frame(`{"tcp":true}`), frame(`{"udp":true}`)...),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, v := range []any{new(params), new(results)} {
			cr := &countingReader{r: bytes.NewReader(in)}
			err := readJSON(cr, v)
			if cr.n > maxJSON+4 {
				t.Fatalf("readJSON read %d bytes", cr.n)
			}
			if len(in) >= 4 {
				size := binary.BigEndian.Uint32(in)
				switch {
				case size == 0 || size > maxJSON:
					if !errors.Is(err, errBadJSON) {
						t.Fatalf("length %d: readJSON = %v; want errBadJSON", size, err)
					}
					if cr.n != 4 {
						// The bad length is refused before any body is read.
						t.Fatalf("length %d: read %d bytes", size, cr.n)
					}
				case uint64(len(in)-4) < uint64(size):
					if err == nil {
						t.Fatalf("length %d, %d bytes: readJSON = nil", size, len(in)-4)
					}
				}
			} else if err == nil {
				t.Fatalf("readJSON(%x) = nil", in)
			}
			if err != nil {
				continue
			}
			// What was read writes out and reads back the same.
			var buf bytes.Buffer
			if err := writeJSON(&buf, v); err != nil {
				t.Fatalf("writeJSON(%+v): %v", v, err)
			}
			var again any = new(params)
			if _, ok := v.(*results); ok {
				again = new(results)
			}
			if err := readJSON(&buf, again); err != nil {
				t.Fatalf("readJSON(writeJSON(%+v)): %v", v, err)
			}
		}
	})
}
