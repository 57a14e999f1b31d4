// Command perfbench measures sockit perf against iperf3 on loopback, each
// tool as both client and server, interleaved round by round, and prints
// the medians and their ratios: the rate received, and the server's CPU
// time per gigabyte (or per million datagrams) received.
//
//	go -C tools run ./perfbench -sockit /tmp/sockit -rounds 5 -t 5
//
// Each test gets a fresh one-off server (-1), so that the server's CPU
// time is its rusage over exactly one test.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type testCase struct {
	name   string
	args   []string // both tools
	extra  []string // sockit's only
	udp    bool
	iperf3 bool   // run iperf3 too
	peer   string // or compare with iperf3's figures of this case
}

type measure struct {
	rate      float64 // bits a second received, or datagrams a second for UDP
	serverCPU float64 // server CPU seconds per GB (TCP) or per million datagrams (UDP) received
	clientCPU float64 // the same for the client
	lost      float64 // UDP: percent
}

func main() {
	sockit := flag.String("sockit", "sockit", "the sockit binary")
	iperf3 := flag.String("iperf3", "iperf3", "the iperf3 binary")
	rounds := flag.Int("rounds", 5, "rounds; each runs every case with each tool")
	secs := flag.Int("t", 5, "seconds a test")
	only := flag.String("cases", "", "comma-separated case names to run (default all)")
	flag.Parse()
	t := strconv.Itoa(*secs)
	cases := []testCase{
		{name: "tcp", args: []string{"-t", t}, iperf3: true},
		{name: "tcp -P 2", args: []string{"-t", t, "-P", "2"}, iperf3: true},
		{name: "tcp -R", args: []string{"-t", t, "-R"}, iperf3: true},
		{name: "tcp -R -Z", args: []string{"-t", t, "-R", "-Z"}, iperf3: true},
		{name: "tcp -Z", args: []string{"-t", t, "-Z"}, iperf3: true},
		{name: "tcp --zerocopy=msg", args: []string{"-t", t}, extra: []string{"--zerocopy=msg"}, peer: "tcp -Z"},
		{name: "udp -l 64 -b 0", args: []string{"-t", t, "-u", "-b", "0", "-l", "64"}, udp: true, iperf3: true},
		{name: "udp -l 64 -b 0 --no-gso", args: []string{"-t", t, "-u", "-b", "0", "-l", "64"}, extra: []string{"--no-gso"}, udp: true, peer: "udp -l 64 -b 0"},
	}
	if *only != "" {
		want := strings.Split(*only, ",")
		cases = slices.DeleteFunc(cases, func(c testCase) bool { return !slices.Contains(want, c.name) })
	}
	results := map[string]map[string][]measure{}
	for r := range *rounds {
		for _, c := range cases {
			tools := []string{"iperf3", "sockit"}
			if r%2 == 1 {
				tools = []string{"sockit", "iperf3"} // interleaved: each goes first in turn
			}
			for _, tool := range tools {
				if tool == "iperf3" && !c.iperf3 {
					continue
				}
				bin := *sockit
				if tool == "iperf3" {
					bin = *iperf3
				}
				m, err := run(bin, tool, c)
				if err != nil {
					fmt.Fprintf(os.Stderr, "round %d, %s, %s: %v\n", r+1, c.name, tool, err)
					continue
				}
				if results[c.name] == nil {
					results[c.name] = map[string][]measure{}
				}
				results[c.name][tool] = append(results[c.name][tool], m)
				fmt.Fprintf(os.Stderr, "round %d  %-28s %-6s %s\n", r+1, c.name, tool, m.String(c.udp))
			}
		}
	}
	fmt.Println("| case | iperf3 | sockit | ratio | server CPU, iperf3 | server CPU, sockit | ratio | client CPU, iperf3 | client CPU, sockit | ratio |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, c := range cases {
		ip, sk := median(results[c.name]["iperf3"]), median(results[c.name]["sockit"])
		if c.peer != "" {
			ip = median(results[c.peer]["iperf3"])
		}
		unit, cpuUnit := "Gbit/s", "s/GB"
		scale := 1e9
		if c.udp {
			unit, cpuUnit, scale = "kdatagrams/s", "s/Mdatagrams", 1e3
		}
		ratio := func(a, b float64) string {
			if b == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2fx", a/b)
		}
		fmt.Printf("| %s | %.2f %s | %.2f %s | %s | %.3f %s | %.3f %s | %s | %.3f %s | %.3f %s | %s |\n", c.name,
			ip.rate/scale, unit, sk.rate/scale, unit, ratio(sk.rate, ip.rate),
			ip.serverCPU, cpuUnit, sk.serverCPU, cpuUnit, ratio(sk.serverCPU, ip.serverCPU),
			ip.clientCPU, cpuUnit, sk.clientCPU, cpuUnit, ratio(sk.clientCPU, ip.clientCPU))
	}
}

func (m measure) String(udp bool) string {
	if udp {
		return fmt.Sprintf("%.0f kdatagrams/s received, %.1f%% lost, server %.3f s/Mdatagrams, client %.3f", m.rate/1e3, m.lost, m.serverCPU, m.clientCPU)
	}
	return fmt.Sprintf("%.2f Gbit/s received, server %.3f s/GB, client %.3f s/GB", m.rate/1e9, m.serverCPU, m.clientCPU)
}

// median is the median of each figure on its own.
func median(ms []measure) measure {
	if len(ms) == 0 {
		return measure{}
	}
	pick := func(f func(measure) float64) float64 {
		v := make([]float64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return measure{
		rate:      pick(func(m measure) float64 { return m.rate }),
		serverCPU: pick(func(m measure) float64 { return m.serverCPU }),
		clientCPU: pick(func(m measure) float64 { return m.clientCPU }),
		lost:      pick(func(m measure) float64 { return m.lost }),
	}
}

// run starts a one-off server of tool on a free port, runs the client of
// the same tool against it with -J, and reads what the client reports
// and what the server spent.
func run(bin, tool string, c testCase) (measure, error) {
	port, err := freePort()
	if err != nil {
		return measure{}, err
	}
	p := strconv.Itoa(port)
	sargs := []string{"-s", "-1", "-p", p}
	if tool == "iperf3" {
		sargs = append(sargs, "--forceflush")
	} else {
		sargs = append([]string{"perf"}, sargs...)
	}
	srv := exec.Command(bin, sargs...)
	out, err := srv.StdoutPipe()
	if err != nil {
		return measure{}, err
	}
	if err := srv.Start(); err != nil {
		return measure{}, err
	}
	defer srv.Process.Kill()
	lines := bufio.NewScanner(out)
	for lines.Scan() && !strings.Contains(lines.Text(), "Server listening on") {
	}
	go func() {
		for lines.Scan() {
		}
	}()
	cargs := append([]string{"-c", "127.0.0.1", "-p", p, "-J"}, c.args...)
	if tool == "sockit" {
		cargs = append(append([]string{"perf"}, cargs...), c.extra...)
	}
	client := exec.Command(bin, cargs...)
	doc, err := client.Output()
	if err != nil {
		return measure{}, fmt.Errorf("client: %v: %s", err, doc)
	}
	cru := client.ProcessState.SysUsage().(*syscall.Rusage)
	ccpu := time.Duration(cru.Utime.Nano() + cru.Stime.Nano()).Seconds()
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return measure{}, fmt.Errorf("the server did not exit after its one test")
	}
	ru := srv.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	var d struct {
		End struct {
			SumReceived struct {
				Bytes         float64 `json:"bytes"`
				Seconds       float64 `json:"seconds"`
				BitsPerSecond float64 `json:"bits_per_second"`
				Packets       float64 `json:"packets"`
				LostPackets   float64 `json:"lost_packets"`
				LostPercent   float64 `json:"lost_percent"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || d.Error != "" {
		return measure{}, fmt.Errorf("client's JSON: %v %s", err, d.Error)
	}
	s := d.End.SumReceived
	if c.udp {
		got := s.Packets - s.LostPackets
		if s.Seconds == 0 || got <= 0 {
			return measure{}, fmt.Errorf("no datagrams received")
		}
		return measure{rate: got / s.Seconds, serverCPU: cpu / (got / 1e6), clientCPU: ccpu / (got / 1e6), lost: s.LostPercent}, nil
	}
	if s.Bytes == 0 {
		return measure{}, fmt.Errorf("no bytes received")
	}
	return measure{rate: s.BitsPerSecond, serverCPU: cpu / (s.Bytes / 1e9), clientCPU: ccpu / (s.Bytes / 1e9)}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
