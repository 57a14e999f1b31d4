package cli

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sockit/sockit/bench"
	"github.com/sockit/sockit/engine"
	"github.com/sockit/sockit/gateway"
	"github.com/sockit/sockit/icmp"
	"github.com/sockit/sockit/service"
)

// A scheme is the start of an address, offered as a completion with what
// it opens.
type scheme struct{ prefix, desc string }

// The schemes of endpoint.Parse, by what each command accepts: serve and
// bench take plain sockets, connect and listen TLS too, listen also raw
// ICMP, and relay standard input and output, programs and files.
var (
	socketSchemes = []scheme{
		{"tcp://", "TCP over IPv4 or IPv6"},
		{"tcp4://", "TCP over IPv4"},
		{"tcp6://", "TCP over IPv6"},
		{"udp://", "UDP over IPv4 or IPv6"},
		{"udp4://", "UDP over IPv4"},
		{"udp6://", "UDP over IPv6"},
		{"unix:", "Unix stream socket: a path or @abstract name"},
		{"unixgram:", "Unix datagram socket: a path or @abstract name"},
		{"unixpacket:", "Unix sequenced-packet socket: a path or @abstract name"},
	}
	tlsSchemes = []scheme{
		{"tls://", "TLS over TCP, IPv4 or IPv6"},
		{"tls4://", "TLS over TCP over IPv4"},
		{"tls6://", "TLS over TCP over IPv6"},
	}
	icmpSchemes = []scheme{
		{"icmp://", "raw receive of every ICMP packet, IPv4"},
		{"icmp6://", "raw receive of every ICMPv6 packet"},
	}
	relaySchemes = []scheme{
		{"-", "standard input and output"},
		{"exec:", "a program, run for each pairing"},
		{"file:", "a file: its content is sent, what arrives appended"},
	}
)

// addCompletions makes the shell completion of "sockit completion"
// complete the values of root's flags and the addresses its commands take,
// not only command and flag names. It finds the commands and flags by
// name, so the commands' own files need not know of it; a command or flag
// that is not there is passed over, and one that already completes keeps
// its own completion.
func addCompletions(root *cobra.Command) {
	engines := oneOf(engine.Names()...)
	sockets := addressCompletion(socketSchemes)
	none := cobra.NoFileCompletions
	flags := []struct {
		cmd, flag string
		f         cobra.CompletionFunc
	}{
		{"serve", "engine", engines},
		{"demo", "engine", engines},
		{"bench", "engine", oneOf(append(engine.Names(), "all")...)},
		{"serve", "service", oneOf(service.Names()...)},
		{"serve", "log-format", oneOf("text", "json")},
		{"bench", "mode", oneOf(modeNames()...)},
		{"bench", "serve", sockets},
		{"gateway", "mode", oneOf(gateway.ModeGateway.String(), gateway.ModeClientServer.String())},
		{"ping", "socket", oneOf(icmp.Auto.String(), icmp.Raw.String(), icmp.Datagram.String())},
		{"trace", "socket", oneOf(icmp.Auto.String(), icmp.Raw.String(), icmp.Datagram.String())},
		{"connect", "ca", anyFile},
		{"relay", "ca", anyFile},
		{"bench", "report", fileExt("html")},
		{"bench merge", "report", fileExt("html")},
		{"bench", "png", dirs},
		{"bench merge", "png", dirs},
		{"perf", "report", fileExt("html")},
		{"perf", "png", dirs},
		{"listen", "exec", programs},
		{"connect", "exec", programs},
		{"listen", "allowfile", anyFile},
		{"listen", "denyfile", anyFile},
		{"connect", "sh-exec", none},
		{"connect", "source", none},
		{"listen", "source", none},
		{"connect", "tos", oneOf("lowdelay", "throughput", "reliability", "mincost", "ef", "cs0", "cs1", "cs6", "af11", "af21", "af31", "af41")},
		{"listen", "tos", oneOf("lowdelay", "throughput", "reliability", "mincost", "ef", "cs0", "cs1", "cs6", "af11", "af21", "af31", "af41")},
		// Free text: nothing to offer, and not the files of the directory.
		{"listen", "sh-exec", none},
		{"bench", "label", none},
		{"gateway", "auth-token", none},
		{"gateway", "bind", none},
		{"gateway", "callback-host", none},
		{"connect", "proxy", oneOf("socks5://", "socks5h://", "socks4://", "socks4a://", "http://")},
		{"connect", "proxy-type", oneOf("http", "socks4", "socks5")},
		{"connect", "proxy-auth", none},
		{"connect", "proxy-dns", oneOf("local", "remote")},
		{"connect", "proxy-ca", anyFile},
		{"relay", "proxy", oneOf("socks5://", "socks5h://", "socks4://", "socks4a://", "http://")},
		{"relay", "proxy-type", oneOf("http", "socks4", "socks5")},
		{"relay", "proxy-auth", none},
		{"relay", "proxy-dns", oneOf("local", "remote")},
		{"relay", "proxy-ca", anyFile},
		{"perf", "proxy", oneOf("socks5://", "socks5h://", "socks4://", "socks4a://", "http://")},
		{"perf", "proxy-type", oneOf("http", "socks4", "socks5")},
		{"perf", "proxy-auth", none},
		{"perf", "proxy-dns", oneOf("local", "remote")},
		{"perf", "proxy-ca", anyFile},
		{"perf", "client", addressCompletion(socketSchemes, tlsSchemes)},
		{"perf", "congestion", oneOf("cubic", "reno", "bbr")},
		{"perf", "format", oneOf("k", "m", "g", "t", "K", "M", "G", "T")},
		{"perf", "bind", none},
		{"perf", "bitrate", none},
		{"perf", "blockcount", none},
		{"perf", "bytes", none},
		{"perf", "length", none},
		{"perf", "window", none},
		{"perf", "fq-rate", none},
		{"perf", "zerocopy", oneOf("sendfile", "msg")},
	}
	for _, fl := range flags {
		if c := subcommand(root, fl.cmd); c != nil && c.Flags().Lookup(fl.flag) != nil {
			if _, ok := c.GetFlagCompletionFunc(fl.flag); !ok {
				c.RegisterFlagCompletionFunc(fl.flag, fl.f)
			}
		}
	}

	args := []struct {
		cmd string
		f   cobra.CompletionFunc
	}{
		{"serve", atMost(-1, sockets)},
		{"bench", atMost(1, sockets)},
		{"connect", ncArgs(addressCompletion(socketSchemes, tlsSchemes))},
		{"listen", ncArgs(addressCompletion(socketSchemes, tlsSchemes, icmpSchemes))},
		{"relay", atMost(2, addressCompletion(socketSchemes, tlsSchemes, relaySchemes))},
		{"bench merge", fileExt("json")},
		{"perf", atMost(1, addressCompletion(socketSchemes, tlsSchemes))},
		{"scan", none},  // HOST PORTS
		{"ping", none},  // HOST
		{"trace", none}, // HOST
	}
	for _, a := range args {
		if c := subcommand(root, a.cmd); c != nil && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = a.f
		}
	}

	// What is left takes no file names: commands without arguments, and
	// flags with numbers, durations, sizes or address lists. A new string
	// flag is left to the default, file names, until it is listed above.
	visitCommands(root, func(c *cobra.Command) {
		if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 {
			c.ValidArgsFunction = none
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden { // nc's and ncat's flags that sockit refuses
				if _, ok := c.GetFlagCompletionFunc(f.Name); !ok && f.Value.Type() != "bool" {
					c.RegisterFlagCompletionFunc(f.Name, none)
				}
				return
			}
			if t := f.Value.Type(); t == "bool" || t == "string" {
				return
			}
			if _, ok := c.GetFlagCompletionFunc(f.Name); !ok {
				c.RegisterFlagCompletionFunc(f.Name, none)
			}
		})
	})
}

// subcommand is the command at path under root, as "bench merge", or nil.
func subcommand(root *cobra.Command, path string) *cobra.Command {
	c := root
	for _, name := range strings.Fields(path) {
		i := slices.IndexFunc(c.Commands(), func(s *cobra.Command) bool { return s.Name() == name })
		if i < 0 {
			return nil
		}
		c = c.Commands()[i]
	}
	return c
}

func visitCommands(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, s := range c.Commands() {
		visitCommands(s, f)
	}
}

func modeNames() []string {
	var names []string
	for _, m := range bench.Modes() {
		names = append(names, string(m))
	}
	return names
}

// oneOf completes one of values.
func oneOf(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var comps []cobra.Completion
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				comps = append(comps, v)
			}
		}
		return comps, cobra.ShellCompDirectiveNoFileComp
	}
}

func anyFile(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}

func dirs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// fileExt completes the names of directories and of files ending in .ext.
func fileExt(ext string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{ext}, cobra.ShellCompDirectiveFilterFileExt
	}
}

// atMost completes the first n arguments (any number if n < 0) with f.
func atMost(n int, f cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if n >= 0 && len(args) >= n {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, args, toComplete)
	}
}

// ncArgs completes the arguments of connect and listen: an address, or
// with nc's -U a path; the HOST PORT form (-u, -4, -6 or -z) has nothing
// to complete.
func ncArgs(addr cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		set := func(name string) bool {
			f := cmd.Flags().Lookup(name)
			return f != nil && f.Changed
		}
		switch {
		case len(args) > 0 || set("udp") || set("ipv4") || set("ipv6") || set("zero"):
			return nil, cobra.ShellCompDirectiveNoFileComp
		case set("unix"):
			return nil, cobra.ShellCompDirectiveDefault
		}
		return addr(cmd, args, toComplete)
	}
}

// addressCompletion completes an address of the given schemes: first the
// scheme, then, after a Unix scheme or file:, a path, and after exec: a
// program. A host and port are for the user to type.
func addressCompletion(sets ...[]scheme) cobra.CompletionFunc {
	schemes := slices.Concat(sets...)
	has := func(prefix string) bool {
		return slices.ContainsFunc(schemes, func(s scheme) bool { return s.prefix == prefix })
	}
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if network, rest, ok := strings.Cut(toComplete, ":"); ok && has(network+":") {
			switch network {
			case "exec":
				return programCompletion("exec:", rest)
			case "file":
				return pathCompletion("file:", rest, false)
			}
			return unixCompletion(network+":", rest)
		}
		// "bench me" is a subcommand's name, not an address.
		if toComplete != "" && slices.ContainsFunc(cmd.Commands(), func(c *cobra.Command) bool {
			return strings.HasPrefix(c.Name(), toComplete)
		}) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var comps []cobra.Completion
		for _, s := range schemes {
			if strings.HasPrefix(s.prefix, toComplete) {
				comps = append(comps, cobra.CompletionWithDesc(s.prefix, s.desc))
			}
		}
		return comps, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// unixCompletion completes the path of a Unix socket address: rest is
// what follows prefix ("unix:"). It offers directories and sockets;
// "@abstract" names are not files, so it has none to offer for them.
func unixCompletion(prefix, rest string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		// unix:///abs/path: the path after "//" must be absolute.
		prefix, rest = prefix+"//", after
		if rest == "" {
			return []cobra.Completion{prefix + "/"}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		if rest[0] != '/' {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
	}
	if strings.HasPrefix(rest, "@") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return pathCompletion(prefix, rest, true)
}

// pathCompletion completes the path that follows prefix: the entries of
// its directory whose names begin with its last element, directories with
// a slash, the others only if they are sockets when sockets is true.
func pathCompletion(prefix, path string, sockets bool) ([]cobra.Completion, cobra.ShellCompDirective) {
	dir, base := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, base = path[:i+1], path[i+1:]
	}
	entries, err := os.ReadDir(cmp.Or(dir, "."))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var comps []cobra.Completion
	onlyDir := false
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		mode := e.Type()
		if mode&os.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(cmp.Or(dir, "."), name)); err == nil {
				mode = fi.Mode().Type()
			}
		}
		switch {
		case mode.IsDir():
			comps = append(comps, prefix+dir+name+"/")
			onlyDir = true
		case !sockets || mode&os.ModeSocket != 0:
			comps = append(comps, prefix+dir+name)
			onlyDir = false
		}
	}
	directive := cobra.ShellCompDirectiveNoFileComp
	if len(comps) != 1 || onlyDir {
		// Let the user go on into the directory.
		directive |= cobra.ShellCompDirectiveNoSpace
	}
	return comps, directive
}

// programs completes a program for listen --exec.
func programs(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return programCompletion("", toComplete)
}

// programCompletion completes the program that follows prefix: one in
// $PATH, or a file when the name has a slash. Once there is a space, the
// rest is the program's arguments, not completed.
func programCompletion(prefix, name string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if strings.ContainsAny(name, " \t") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if strings.Contains(name, "/") {
		return pathCompletion(prefix, name, false)
	}
	seen := make(map[string]bool)
	var comps []cobra.Completion
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		dir = cmp.Or(dir, ".")
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			n := e.Name()
			if seen[n] || !strings.HasPrefix(n, name) {
				continue
			}
			if fi, err := os.Stat(filepath.Join(dir, n)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				continue
			}
			seen[n] = true
			comps = append(comps, prefix+n)
		}
	}
	slices.Sort(comps)
	return comps, cobra.ShellCompDirectiveNoFileComp
}
