package scan

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePorts reads a port list: single ports and ranges, separated by
// commas, as in "22", "20-25,80,443" or "1-65535". Ports run from 1 to
// 65535; the result is sorted with duplicates removed.
func ParsePorts(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("bad port list %q: empty", s)
	}
	var seen [65536]bool
	n := 0
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		first, err := parsePort(s, lo)
		if err != nil {
			return nil, err
		}
		last := first
		if isRange {
			if last, err = parsePort(s, hi); err != nil {
				return nil, err
			}
			if last < first {
				return nil, fmt.Errorf("bad port list %q: range %s runs backwards", s, item)
			}
		}
		for p := first; p <= last; p++ {
			if !seen[p] {
				seen[p] = true
				n++
			}
		}
	}
	ports := make([]int, 0, n)
	for p, ok := range seen {
		if ok {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

func parsePort(list, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("bad port list %q: a port is missing (want forms like 22, 20-25,80)", list)
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 || s[0] == '+' {
		return 0, fmt.Errorf("bad port list %q: %q is not a port from 1 to 65535", list, s)
	}
	return p, nil
}
