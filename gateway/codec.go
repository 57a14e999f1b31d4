package gateway

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The one-letter type tags that open every value on the wire
// (../shared/py4j-protocol.md, section 3.1).
const (
	tagNull      = 'n'
	tagVoid      = 'v'
	tagBool      = 'b'
	tagInt       = 'i'
	tagLong      = 'L'
	tagDouble    = 'd'
	tagDecimal   = 'D'
	tagString    = 's'
	tagBytes     = 'j'
	tagReference = 'r'
	tagList      = 'l'
	tagMap       = 'a'
	tagSet       = 'h'
	tagArray     = 't'
	tagIterator  = 'g'
	tagProxy     = 'f'
)

// escape makes s fit on one line: backslash, CR and LF become \\, \r and
// \n. Invalid UTF-8 becomes U+FFFD, because Python decodes every line
// strictly and one bad byte would make the whole reply unreadable.
func escape(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if !strings.ContainsAny(s, "\\\r\n") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescape reverses escape: \n is LF, \r is CR, and a backslash before
// any other character stands for that character (as Py4J's Java side
// reads it). A lone backslash at the end is kept.
func unescape(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i == len(s)-1 {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// formatDouble writes f as Python's float() and Java's Double.parseDouble
// both read it, exactly: Infinity, -Infinity and NaN in Java's spelling.
func formatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// parseDouble reads what Python's repr(float) sends (0.1, 1e-05, Infinity,
// -Infinity, NaN).
func parseDouble(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil // ±Inf or 0 for out-of-range exponents, as Java does
		}
		return 0, fmt.Errorf("%q is not a double", s)
	}
	return f, nil
}

// formatDecimal writes r as a decimal Python's Decimal reads: exactly when
// the denominator divides a power of ten, else rounded to 34 digits after
// the point (34 is DECIMAL128's precision, which Java counts in
// significant digits rather than after the point).
func formatDecimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	d := new(big.Int).Set(r.Denom())
	digits := 0
	ten, two, five := big.NewInt(10), big.NewInt(2), big.NewInt(5)
	m := new(big.Int)
	for d.Cmp(big.NewInt(1)) != 0 && digits < 64 {
		switch {
		case m.Mod(d, ten).Sign() == 0:
			d.Quo(d, ten)
		case m.Mod(d, two).Sign() == 0:
			d.Quo(d, two)
		case m.Mod(d, five).Sign() == 0:
			d.Quo(d, five)
		default:
			return r.FloatString(34)
		}
		digits++
	}
	return r.FloatString(digits)
}

// parseDecimal reads Python's str(Decimal): 1.25, -14.456, 1E+3.
func parseDecimal(s string) (*big.Rat, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/") {
		return nil, fmt.Errorf("%q is not a decimal", s)
	}
	return r, nil
}

// parseLong reads an L value: an int64 when it fits, else a *big.Int
// (Python sends integers of any size).
func parseLong(s string) (any, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("%q is not an integer", s)
	}
	return b, nil
}

// encodeBytes is standard, padded base64, as Python's standard_b64encode.
func encodeBytes(p []byte) string { return base64.StdEncoding.EncodeToString(p) }

func decodeBytes(s string) ([]byte, error) {
	p, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bytes value is not base64: %w", err)
	}
	return p, nil
}
