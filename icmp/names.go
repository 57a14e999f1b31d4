package icmp

import "fmt"

// TypeName returns the name of m's type, such as "echo reply" or "time
// exceeded".
func (m Message) TypeName() string {
	names := typeNames4
	if m.V6 {
		names = typeNames6
	}
	if n, ok := names[m.Type]; ok {
		return n
	}
	return fmt.Sprintf("type %d", m.Type)
}

var typeNames4 = map[int]string{
	0:  "echo reply",
	3:  "destination unreachable",
	4:  "source quench",
	5:  "redirect",
	8:  "echo request",
	9:  "router advertisement",
	10: "router solicitation",
	11: "time exceeded",
	12: "parameter problem",
	13: "timestamp",
	14: "timestamp reply",
}

var typeNames6 = map[int]string{
	1:   "destination unreachable",
	2:   "packet too big",
	3:   "time exceeded",
	4:   "parameter problem",
	128: "echo request",
	129: "echo reply",
	130: "multicast listener query",
	131: "multicast listener report",
	133: "router solicitation",
	134: "router advertisement",
	135: "neighbor solicitation",
	136: "neighbor advertisement",
	137: "redirect",
	143: "multicast listener report v2",
}

// Describe returns what an error message says, in the words iputils ping
// prints after "From ADDR icmp_seq=N": "Destination Host Unreachable",
// "Time to live exceeded", and so on.
func (m Message) Describe() string {
	if m.V6 {
		return m.describe6()
	}
	switch m.Type {
	case typeUnreachable4:
		switch m.Code {
		case 0:
			return "Destination Net Unreachable"
		case 1:
			return "Destination Host Unreachable"
		case 2:
			return "Destination Protocol Unreachable"
		case 3:
			return "Destination Port Unreachable"
		case 4:
			return fmt.Sprintf("Frag needed and DF set (mtu = %d)", m.MTU)
		case 5:
			return "Source Route Failed"
		case 6:
			return "Destination Net Unknown"
		case 7:
			return "Destination Host Unknown"
		case 9:
			return "Destination Net Prohibited"
		case 10:
			return "Destination Host Prohibited"
		case 13:
			return "Packet filtered"
		}
		return fmt.Sprintf("Destination Unreachable, Bad Code: %d", m.Code)
	case typeTimeExceeded4:
		if m.Code == 1 {
			return "Frag reassembly time exceeded"
		}
		return "Time to live exceeded"
	case 12:
		return "Parameter problem"
	case 5:
		return "Redirect"
	}
	return capitalized(m.TypeName())
}

func (m Message) describe6() string {
	switch m.Type {
	case typeUnreachable6:
		switch m.Code {
		case 0:
			return "Destination unreachable: No route"
		case 1:
			return "Destination unreachable: Administratively prohibited"
		case 2:
			return "Destination unreachable: Beyond scope"
		case 3:
			return "Destination unreachable: Address unreachable"
		case 4:
			return "Destination unreachable: Port unreachable"
		case 5:
			return "Destination unreachable: Source address failed ingress/egress policy"
		case 6:
			return "Destination unreachable: Reject route to destination"
		}
		return fmt.Sprintf("Destination unreachable: Unknown code %d", m.Code)
	case typePacketTooBig6:
		return fmt.Sprintf("Packet too big: mtu=%d", m.MTU)
	case typeTimeExceeded6:
		if m.Code == 1 {
			return "Time exceeded: Fragment reassembly"
		}
		return "Time exceeded: Hop limit"
	case 4:
		return "Parameter problem"
	}
	return capitalized(m.TypeName())
}

// Flag returns traceroute's annotation of an unreachable message, such as
// "!H" (host) or "!N" (network); "" for anything else, a port unreachable
// included (that is how a UDP trace ends).
func (m Message) Flag() string {
	switch {
	case !m.IsUnreachable() || m.IsPortUnreachable():
		return ""
	case m.V6:
		switch m.Code {
		case 0:
			return "!N"
		case 1:
			return "!X"
		case 3:
			return "!H"
		}
	default:
		switch m.Code {
		case 0, 6:
			return "!N"
		case 1, 7:
			return "!H"
		case 2:
			return "!P"
		case 4:
			return fmt.Sprintf("!F-%d", m.MTU)
		case 5:
			return "!S"
		case 9, 10, 13:
			return "!X"
		}
	}
	return fmt.Sprintf("!<%d>", m.Code)
}

func capitalized(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
