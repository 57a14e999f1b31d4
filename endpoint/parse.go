package endpoint

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseError reports text that is not an address in sockit's grammar.
type ParseError struct {
	Input  string // the text given to Parse
	Reason string // what is wrong with it, in words
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("bad address %q: %s", e.Input, e.Reason)
}

// maxUnixPath is the longest path or abstract name (without its '@') that
// fits sockaddr_un.sun_path on Linux: 108 bytes, one kept for the NUL.
const maxUnixPath = 107

// schemes lists the networks in the order --help and errors name them.
var schemes = []string{
	"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "unixgram", "unixpacket", "tls", "tls4", "tls6",
	"icmp", "icmp6",
}

func isScheme(s string) bool {
	for _, n := range schemes {
		if s == n {
			return true
		}
	}
	return false
}

func isUnixNetwork(n string) bool {
	return n == "unix" || n == "unixgram" || n == "unixpacket"
}

func isICMPNetwork(n string) bool { return n == "icmp" || n == "icmp6" }

// Parse parses one address of sockit's grammar (see the package
// documentation). Errors are *ParseError and name the input and the reason.
func Parse(s string) (Endpoint, error) {
	e, reason := parse(s)
	if reason != "" {
		return Endpoint{}, &ParseError{Input: s, Reason: reason}
	}
	return e, nil
}

// MustParse is like Parse but panics on error. It is meant for tests and
// addresses fixed in the program text.
func MustParse(s string) Endpoint {
	e, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return e
}

func parse(s string) (Endpoint, string) {
	if s == "" {
		return Endpoint{}, "empty address"
	}
	if s == "-" {
		return Endpoint{Network: Stdio}, ""
	}
	if path, ok := strings.CutPrefix(s, File+":"); ok {
		if path == "" {
			return Endpoint{}, "file: needs a path, as in file:/tmp/upload.bin"
		}
		return Endpoint{Network: File, Address: path}, ""
	}
	if cmd, ok := strings.CutPrefix(s, Exec+":"); ok {
		// Everything after the colon is the command, '?' and all.
		words, reason := splitWords(cmd)
		if reason != "" {
			return Endpoint{}, reason
		}
		if len(words) == 0 {
			return Endpoint{}, "exec: needs a command, as in exec:cat"
		}
		return Endpoint{Network: Exec, Address: cmd}, ""
	}
	main, query, hasQuery := strings.Cut(s, "?")
	network, rest, reason := splitScheme(main)
	if reason != "" {
		return Endpoint{}, reason
	}
	e := Endpoint{Network: network}
	switch {
	case isICMPNetwork(network):
		if hasQuery {
			return Endpoint{}, network + " addresses take no options"
		}
		e.Address, reason = parseICMPHost(network, rest)
	case isUnixNetwork(network):
		e.Address, reason = parseUnixPath(network, rest)
	default:
		e.Address, reason = parseHostPort(network, rest)
	}
	if reason != "" {
		return Endpoint{}, reason
	}
	if hasQuery {
		if e.Options, reason = parseOptions(network, query); reason != "" {
			return Endpoint{}, reason
		}
	}
	return e, ""
}

// splitScheme separates the network from the rest of the address. rest
// keeps the "//" of "unix:///path" so that parseUnixPath can tell the forms
// apart.
func splitScheme(s string) (network, rest, reason string) {
	if scheme, after, ok := strings.Cut(s, "://"); ok && looksLikeScheme(scheme) {
		if !isScheme(scheme) {
			return "", "", fmt.Sprintf("unknown scheme %q (want one of %s)", scheme, strings.Join(schemes, ", "))
		}
		if isUnixNetwork(scheme) {
			return scheme, "//" + after, ""
		}
		return scheme, after, ""
	}
	if scheme, after, ok := strings.Cut(s, ":"); ok && isScheme(scheme) {
		if isUnixNetwork(scheme) {
			return scheme, after, ""
		}
		return "", "", fmt.Sprintf(`missing "//" after %q (write %s://host:port)`, scheme+":", scheme)
	}
	for _, n := range schemes {
		if strings.HasPrefix(s, n+"/") {
			return "", "", `missing "://" after scheme`
		}
	}
	// No scheme: host:port or :port, shorthand for tcp.
	return "tcp", s, ""
}

// looksLikeScheme reports whether s has the shape of a URL scheme, so that
// "foo://x" is called an unknown scheme rather than a bad host.
func looksLikeScheme(s string) bool {
	if s == "" || !isLower(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLower(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func parseUnixPath(network, rest string) (string, string) {
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		if after == "" || (after[0] != '/' && after[0] != '@') {
			return "", fmt.Sprintf(`a path after %q must be absolute (%s:///tmp/x.sock); for a relative path write %s:%s`,
				network+"://", network, network, after)
		}
		rest = after
	}
	return checkUnixName(rest)
}

// checkUnixName validates a Unix socket path or '@'-prefixed abstract name.
func checkUnixName(name string) (string, string) {
	switch {
	case name == "":
		return "", "missing socket path"
	case name == "@":
		return "", `missing abstract name after "@"`
	case strings.IndexByte(name, 0) >= 0:
		return "", "socket path contains a NUL byte"
	}
	n := len(name)
	if name[0] == '@' {
		n-- // the '@' stands for the leading NUL of an abstract name
	}
	if n > maxUnixPath {
		return "", fmt.Sprintf("socket path is %d bytes, longer than the %d Linux allows", n, maxUnixPath)
	}
	return name, ""
}

func parseHostPort(network, rest string) (string, string) {
	if rest == "" {
		return "", "missing host:port"
	}
	host, port, reason := splitHostPort(rest)
	if reason != "" {
		return "", reason
	}
	if reason := checkHost(network, host); reason != "" {
		return "", reason
	}
	if reason := checkPort(port); reason != "" {
		return "", reason
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port, ""
	}
	return host + ":" + port, ""
}

// parseICMPHost reads the host of an icmp or icmp6 address: an IP address
// (IPv6 with or without brackets) or a name, and no port. An empty host
// means every local address.
func parseICMPHost(network, rest string) (string, string) {
	host := rest
	if strings.HasPrefix(host, "[") {
		inner, after, ok := strings.Cut(host[1:], "]")
		switch {
		case !ok:
			return "", `missing "]" after IPv6 address`
		case after != "":
			return "", fmt.Sprintf("%s addresses have no port (write %s://HOST)", network, network)
		}
		host = inner
	}
	addr, err := netip.ParseAddr(host)
	switch {
	case err == nil && strings.ContainsAny(addr.Zone(), "[]/?&#% "):
		return "", fmt.Sprintf("zone %q is not an interface name", addr.Zone())
	case host == "" && network == "icmp":
		return "0.0.0.0", ""
	case host == "":
		return "::", ""
	case err == nil && network == "icmp" && !addr.Unmap().Is4():
		return "", fmt.Sprintf("icmp needs an IPv4 address, not %s (write icmp6://[%s])", host, host)
	case err == nil && network == "icmp6" && addr.Is4():
		return "", fmt.Sprintf("icmp6 needs an IPv6 address, not %s (write icmp://%s)", host, host)
	case err == nil:
		return host, ""
	case strings.Count(host, ":") == 1:
		return "", fmt.Sprintf("%s addresses have no port (write %s://HOST)", network, network)
	}
	if reason := checkHost(network, host); reason != "" {
		return "", reason
	}
	return host, ""
}

// splitHostPort is net.SplitHostPort with errors a user can act on.
func splitHostPort(s string) (host, port, reason string) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", `missing "]" after IPv6 address`
		}
		host, after := s[1:end], s[end+1:]
		if !strings.HasPrefix(after, ":") {
			return "", "", "missing :port after ]"
		}
		if !strings.Contains(host, ":") {
			return "", "", fmt.Sprintf("brackets are for IPv6 addresses, not %q", host)
		}
		return host, after[1:], ""
	}
	i := strings.LastIndexByte(s, ':')
	switch {
	case i < 0 && allDigits(s):
		return "", "", fmt.Sprintf(`missing ":" before the port (did you mean ":%s"?)`, s)
	case i < 0:
		return "", "", "missing :port"
	case strings.Count(s, ":") > 1:
		return "", "", "IPv6 addresses need brackets, as in [::1]:7777"
	}
	return s[:i], s[i+1:], ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func checkHost(network, host string) string {
	if host == "" {
		return "" // all local addresses
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		switch {
		case strings.HasSuffix(network, "4") && !addr.Unmap().Is4():
			return fmt.Sprintf("%s needs an IPv4 address, not %s", network, host)
		case strings.HasSuffix(network, "6") && addr.Is4():
			return fmt.Sprintf("%s needs an IPv6 address, not %s", network, host)
		}
		return ""
	}
	if strings.Contains(host, ":") || strings.Contains(host, "%") {
		return fmt.Sprintf("%q is not an IPv6 address", host)
	}
	if len(host) > 253 {
		return "host name longer than 253 bytes"
	}
	name := strings.TrimSuffix(host, ".") // a fully qualified name may end in a dot
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Sprintf("host name %q has an empty or over-long label", host)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isLower(c|0x20) && !isDigit(c) && c != '-' && c != '_' {
				return fmt.Sprintf("host name %q has the character %q", host, c)
			}
		}
	}
	return ""
}

func checkPort(port string) string {
	if port == "" {
		return "missing port number after \":\""
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil || !allDigits(port) {
		return fmt.Sprintf("port %q is not a number from 0 to 65535", port)
	}
	return ""
}

// splitWords splits a command line into words as a shell would, without
// expanding anything: white space separates words; 'single quotes' keep
// everything; in "double quotes" a backslash escapes only " \ $ and `;
// a backslash outside quotes keeps the next character, and itself when
// nothing follows.
func splitWords(s string) ([]string, string) {
	var words []string
	var word strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, "exec: unterminated ' quote"
			}
			word.WriteString(s[i+1 : i+1+end])
			i += 1 + end
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				word.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, `exec: unterminated " quote`
			}
			inWord = true
		case c == '\\':
			if i+1 < len(s) {
				i++
			} // a backslash that ends the line stands for itself, as in sh
			word.WriteByte(s[i])
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, ""
}
