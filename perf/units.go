package perf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseBytes reads a byte count as iperf3's -n, -l and -w take it: a
// number with an optional suffix K, M, G or T, each 1024 times the one
// before (10M is 10,485,760 bytes); a fraction is allowed (1.5G).
func ParseBytes(s string) (int64, error) {
	v, err := parseSuffixed(s, 1024)
	if err != nil || v > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q: want a byte count such as 1460, 128K, 10M or 1.5G", s)
	}
	return int64(v), nil
}

// ParseRate reads a bit rate as iperf3's -b takes it: bits a second with
// an optional suffix K, M, G or T, each 1000 times the one before (100M
// is 100,000,000 bits a second). 0 means unlimited.
func ParseRate(s string) (uint64, error) {
	s = strings.TrimSuffix(s, "/s")
	v, err := parseSuffixed(s, 1000)
	if err != nil || v > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q: want a rate in bits a second such as 0 (unlimited), 500K, 100M or 10G", s)
	}
	return uint64(v), nil
}

func parseSuffixed(s string, base float64) (float64, error) {
	mult := 1.0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult = base
		case 'm', 'M':
			mult = base * base
		case 'g', 'G':
			mult = base * base * base
		case 't', 'T':
			mult = base * base * base * base
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	if s == "" || strings.ContainsAny(s, "eExXpP_+-") {
		return 0, strconv.ErrSyntax
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, strconv.ErrSyntax
	}
	return math.Trunc(v * mult), nil // as iperf3, which casts
}

// FormatBytes writes n as iperf3 writes a transfer: "2.59 GBytes",
// "960 KBytes", "0.00 Bytes", with 1024 per step. unit, if not 0, fixes
// the unit: 'K', 'M', 'G', 'T' (a small letter counts as its capital).
// iperf3 writes transfers in adaptive units whatever its -f.
func FormatBytes(n float64, unit byte) string {
	return formatUnits(n, 1024, []string{"Bytes", "KBytes", "MBytes", "GBytes", "TBytes"}, unit)
}

// FormatBits writes a rate in bits a second as iperf3 does: "22.2
// Gbits/sec", "10.0 Mbits/sec", with 1000 per step; a fixed unit in
// capitals ('K', 'M', 'G', 'T') writes bytes a second instead, with 1024
// per step ("2.75 GBytes/sec"), as iperf3's -f does.
func FormatBits(bps float64, unit byte) string {
	if unit >= 'A' && unit <= 'Z' {
		return formatUnits(bps/8, 1024, []string{"Bytes/sec", "KBytes/sec", "MBytes/sec", "GBytes/sec", "TBytes/sec"}, unit)
	}
	return formatUnits(bps, 1000, []string{"bits/sec", "Kbits/sec", "Mbits/sec", "Gbits/sec", "Tbits/sec"}, unit)
}

// formatUnits scales v to a unit as iperf3's unit_snprintf does: by
// multiplying with the unit's reciprocal (not dividing, which rounds the
// other way at the edges), then 2, 1 or 0 decimals for 4 figures.
func formatUnits(v, base float64, names []string, unit byte) string {
	i := 0
	if unit != 0 {
		if i = strings.IndexByte("_KMGT", unit&^0x20); i < 0 {
			i = 0
		}
	} else {
		for t := v; t >= base && i < len(names)-1; t /= base {
			i++
		}
	}
	factor := 1.0 // 1.0 / base / base ..., as iperf3's tables are written
	for range i {
		factor /= base
	}
	v *= factor
	switch {
	case v < 9.995:
		return fmt.Sprintf("%4.2f %s", v, names[i])
	case v < 99.95:
		return fmt.Sprintf("%4.1f %s", v, names[i])
	}
	return fmt.Sprintf("%4.0f %s", v, names[i])
}
