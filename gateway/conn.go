package gateway

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one Py4J connection: accepted from Python, or opened by the
// gateway to Python's callback server. Either way the gateway may both
// answer commands on it and, while waiting for a reply of its own,
// dispatch the commands Python interleaves.
type conn struct {
	s       *Server
	nc      net.Conn
	lr      *lineReader
	w       *bufio.Writer
	name    string
	dialled bool
	authed  bool
	// blocking says reads and writes block their thread (blocking.go).
	blocking bool
	busy     atomic.Bool // a command is being served
	wire     sync.Mutex  // held by a callback's round trip on this connection
	ctx      context.Context
	cancel   context.CancelFunc
}

func (s *Server) newConn(nc net.Conn, name string, dialled bool) *conn {
	c := &conn{s: s, nc: nc, lr: newLineReader(nc, s.maxLine()), w: bufio.NewWriterSize(nc, 32<<10), name: name, dialled: dialled}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.authed = s.AuthToken == "" || dialled
	return c
}

// scope travels in the context of a method Python called, so that a
// callback made in ClientServer mode goes out on the same connection.
type scope struct {
	c    *conn
	held bool        // the caller already holds c.wire (a nested dispatch)
	done atomic.Bool // the call has been answered: the connection is Python's again
}

type scopeKey struct{}

func scopeFrom(ctx context.Context) *scope {
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	return sc
}

func (c *conn) readLine() (string, error) {
	line, err := c.lr.readLine()
	if err == nil && c.s.Trace != nil {
		c.s.Trace(c.name, true, line)
	}
	return line, err
}

func (c *conn) writeLine(line string) error {
	if c.s.Trace != nil {
		for l := range strings.SplitSeq(strings.TrimSuffix(line, "\n"), "\n") {
			c.s.Trace(c.name, false, l)
		}
	}
	c.w.WriteString(line)
	if !strings.HasSuffix(line, "\n") {
		c.w.WriteByte('\n')
	}
	return c.w.Flush()
}

// serve reads and answers commands until the peer closes, the command
// says to close, or the server stops.
func (c *conn) serve() {
	log := c.s.logger()
	log.Debug("gateway: connection opened", "conn", c.name, "remote", c.nc.RemoteAddr().String())
	defer func() {
		c.cancel()
		c.close()
		c.s.removeConn(c)
		log.Debug("gateway: connection closed", "conn", c.name)
	}()
	for {
		first, err := c.readLine()
		if err != nil {
			if err == errLineTooLong {
				c.writeLine("!zsa command name longer than " + strconv.Itoa(c.s.maxLine()) + " bytes")
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				log.Debug("gateway: read", "conn", c.name, "err", err)
			}
			return
		}
		c.busy.Store(true)
		keep := c.command(first, nil)
		c.busy.Store(false)
		if !keep || c.s.isClosing() {
			return
		}
	}
}

// command reads the rest of the command whose first line is first, runs
// it and writes the reply. held is the scope of a call already in
// progress on this connection (a command Python interleaved while the
// gateway waited for a callback's reply), or nil. It reports whether the
// connection may go on.
func (c *conn) command(first string, held *scope) bool {
	if !c.authed {
		return c.authenticate(first)
	}
	cmd, err := readCommand(c.lr, first)
	if c.s.Trace != nil && cmd != nil {
		for _, l := range cmd.lines {
			c.s.Trace(c.name, true, l)
		}
		if commandShapes[cmd.name].ended {
			c.s.Trace(c.name, true, "e")
		}
	}
	var derr *decodeError
	switch {
	case errors.As(err, &derr):
		return c.writeLine("!xs"+escape(derr.msg)) == nil
	case errors.Is(err, errUnknownCommand):
		c.writeLine("!zs" + escape(err.Error()+": this gateway speaks Py4J's protocol"))
		return false
	case errors.Is(err, errTooManyLines):
		c.writeLine("!zs" + escape(err.Error()))
		return false
	case err != nil:
		return false
	}
	switch cmd.name {
	case "s":
		if c.s.RefuseShutdown {
			c.s.logger().Info("gateway: shutdown command refused", "conn", c.name)
			return false
		}
		c.s.logger().Info("gateway: shutdown command", "conn", c.name)
		go c.s.stop(true)
		return false
	case "z":
		c.cancelConns(cmd.lines)
		return false
	case "A":
		// Already authenticated (or no token): a repeated token is fine
		// if it is right.
		if c.s.AuthToken != "" && !c.tokenMatches(cmd.lines[0]) {
			c.writeLine("!xsAuthentication error: bad auth token received.")
			return false
		}
		if c.s.AuthToken == "" && !c.dialled {
			c.writeLine("!xsAuthentication error: this gateway has no auth token; start the client without one")
			return false
		}
		return c.writeLine("!yv") == nil
	}
	sc := held
	if sc == nil {
		sc = &scope{c: c}
	}
	ctx := context.WithValue(c.ctx, scopeKey{}, sc)
	reply := c.s.dispatch(ctx, cmd)
	if held == nil {
		sc.done.Store(true)
		c.wire.Lock()
		defer c.wire.Unlock()
	}
	if err := c.writeLine(reply); err != nil {
		if c.ctx.Err() != nil || c.s.isClosing() {
			c.s.cutOff.Add(1) // the server closed the connection under the call
		}
		return false
	}
	return true
}

func (c *conn) tokenMatches(escaped string) bool {
	return subtle.ConstantTimeCompare([]byte(escaped), []byte(escape(c.s.AuthToken))) == 1
}

// authenticate checks the first command of a connection when a token is
// set: A and the token, else an error reply and the end of the connection.
func (c *conn) authenticate(first string) bool {
	if first != "A" {
		c.writeLine("!xsAuthentication error: unexpected command.")
		c.s.logger().Warn("gateway: connection without auth token", "conn", c.name, "remote", c.nc.RemoteAddr().String())
		return false
	}
	token, err := c.readLine()
	if err != nil {
		return false
	}
	if !c.tokenMatches(token) {
		c.writeLine("!xsAuthentication error: bad auth token received.")
		c.s.logger().Warn("gateway: bad auth token", "conn", c.name, "remote", c.nc.RemoteAddr().String())
		return false
	}
	c.authed = true
	return c.writeLine("!yv") == nil
}

// refuse answers the first command of a connection over the limit with a
// fatal error, which Python raises as Py4JError, and closes it.
func (c *conn) refuse(reason string) {
	defer c.close()
	t := time.AfterFunc(5*time.Second, c.interrupt)
	defer t.Stop()
	if _, err := c.readLine(); err != nil {
		return
	}
	c.writeLine("!zs" + escape(reason))
}

// cancelConns runs Python's cancel command (z, sent on KeyboardInterrupt):
// close the connection whose remote port is the one named.
func (c *conn) cancelConns(lines []string) {
	port := lines[1]
	c.s.mu.Lock()
	var victims []*conn
	for o := range c.s.conns {
		if _, p, err := net.SplitHostPort(o.nc.RemoteAddr().String()); err == nil && p == port {
			victims = append(victims, o)
		}
	}
	c.s.mu.Unlock()
	for _, o := range victims {
		c.s.logger().Info("gateway: connection cancelled by the client", "conn", o.name)
		o.cancel()
		o.close()
	}
}

// maxNesting bounds callbacks within callbacks on one connection.
const maxNesting = 64

// roundTrip sends a command of the gateway's own and returns Python's
// reply line (without the "!"). Commands Python interleaves meanwhile are
// served in turn, as Py4J's ClientServer does.
func (c *conn) roundTrip(ctx context.Context, sc *scope, cmd string) (string, error) {
	if sc == nil || !sc.held {
		c.wire.Lock()
		defer c.wire.Unlock()
	}
	stop := context.AfterFunc(ctx, c.interrupt)
	defer stop()
	if err := c.writeLine(cmd); err != nil {
		return "", fmt.Errorf("send to Python: %w", err)
	}
	nested := &scope{c: c, held: true}
	depth := 0
	for {
		line, err := c.readLine()
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return "", fmt.Errorf("wait for Python's reply: %w", err)
		}
		if strings.HasPrefix(line, "!") {
			return line[1:], nil
		}
		if depth++; depth > maxNesting*1024 {
			return "", errors.New("Python sent too many commands while a callback was pending")
		}
		if !c.command(line, nested) {
			return "", errors.New("the connection closed while a callback was pending")
		}
	}
}

// dispatch runs one command and returns the reply line.
func (s *Server) dispatch(ctx context.Context, cmd *command) string {
	reply, err := s.run(ctx, cmd)
	if err == nil {
		return "!y" + reply
	}
	var derr *dispatchError
	var cerr *conversionError
	var decErr *decodeError
	switch {
	case errors.As(err, &derr), errors.As(err, &cerr), errors.As(err, &decErr):
		return "!xs" + escape(err.Error())
	}
	obj := newErrorObject(err)
	if p, ok := err.(*panicError); ok {
		obj.class, obj.trace = "panic", p.trace
		s.logger().Error("gateway: panic in a method", "command", clip(cmd.String()), "panic", fmt.Sprint(p.value))
	}
	return "!xr" + s.reg.put(obj)
}

// run executes a command; its result is the reply's part (after "!y").
func (s *Server) run(ctx context.Context, cmd *command) (string, error) {
	l := cmd.lines
	switch cmd.name {
	case "c":
		return s.call(ctx, l[0], l[1], l[2:])
	case "i":
		cl, ok := s.classes[l[0]]
		if !ok || cl.construct == nil {
			return "", &dispatchError{fmt.Sprintf("%s is not a class of sockit's gateway: it has only %s", l[0], s.classNames())}
		}
		args, err := s.decodeParts(l[1:])
		if err != nil {
			return "", err
		}
		v, err := cl.construct(args)
		if err != nil {
			return "", err
		}
		return s.encodeValue(v), nil
	case "m":
		if l[0] != "d" || len(l) != 2 {
			return "", &dispatchError{fmt.Sprintf("unknown memory command %q", l[0])}
		}
		if l[1] != "t" && l[1] != "GATEWAY_SERVER" {
			s.reg.release(l[1])
		}
		return "v", nil
	case "p":
		if len(l) != 1 {
			return "", &dispatchError{"p wants one object"}
		}
		v, err := s.decodePart(l[0])
		if err != nil {
			return "", err
		}
		if e, ok := v.(*errorObject); ok {
			return "s" + escape(e.text()), nil
		}
		return "s" + escape(javaString(v)), nil
	case "r":
		return s.reflect(l)
	case "f":
		return s.field(l)
	case "l":
		target, ok := s.reg.get(l[1])
		if !ok {
			return "", &dispatchError{fmt.Sprintf("unknown object id %q", l[1])}
		}
		return s.listOperation(l[0], target, l[2:])
	case "d":
		return s.dir(l)
	case "h":
		return s.help(l)
	case "j":
		return s.jvmView(l)
	case "a":
		return "", &dispatchError{"arrays are not supported by sockit's gateway: Go slices travel as lists"}
	case "S":
		return "", &dispatchError{"stream calls are not supported by sockit's gateway: return []byte instead"}
	case "g":
		return "", &dispatchError{"the gateway holds no Python proxies to release"}
	}
	return "", &dispatchError{fmt.Sprintf("command %q is not supported", cmd.name)}
}

// call runs the c command: a method of a registered object, or of a
// class for targets z:<class>.
func (s *Server) call(ctx context.Context, targetID, method string, parts []string) (string, error) {
	args, err := s.decodeParts(parts)
	if err != nil {
		return "", err
	}
	var result any
	if class, ok := strings.CutPrefix(targetID, "z:"); ok {
		cl, known := s.classes[class]
		fn := cl.statics[method]
		if !known || fn == nil {
			return "", &dispatchError{fmt.Sprintf("%s.%s is not a static method of sockit's gateway", class, method)}
		}
		result, err = fn(args)
	} else {
		target, ok := s.reg.get(targetID)
		if !ok {
			return "", &dispatchError{fmt.Sprintf("unknown object id %q (released, or from an earlier gateway)", targetID)}
		}
		switch t := target.(type) {
		case nil:
			return "", &dispatchError{"the gateway has no entry point"}
		case javaObject:
			result, err = t.invoke(ctx, s, method, args)
		case *Proxy:
			result, err = t.Call(ctx, method, args...)
		default:
			result, err = s.callGo(ctx, target, method, args)
		}
	}
	if err != nil {
		return "", err
	}
	if _, ok := result.(void); ok {
		return "v", nil
	}
	return s.encodeValue(result), nil
}

// reflect answers the r command: gateway.jvm's names.
func (s *Server) reflect(l []string) (string, error) {
	switch {
	case l[0] == "u" && len(l) >= 2:
		kind, fqn := s.resolveClass(l[1])
		switch kind {
		case 'c':
			return "c" + fqn, nil
		case 'p':
			return "p", nil
		}
		return "", &dispatchError{fmt.Sprintf("%s is not a class or package of sockit's gateway: it has only %s", l[1], s.classNames())}
	case l[0] == "m" && len(l) >= 3:
		if cl, ok := s.classes[l[1]]; ok && cl.statics[l[2]] != nil {
			return "m", nil
		}
		return "", &dispatchError{fmt.Sprintf("%s.%s is not a static member of sockit's gateway", l[1], l[2])}
	case l[0] == "c" && len(l) >= 2:
		return "", &dispatchError{fmt.Sprintf("Java classes (%s) do not exist in sockit's gateway", l[1])}
	}
	return "", &dispatchError{fmt.Sprintf("unknown reflection command %q", l[0])}
}

// field answers f: exported fields of Go structs, by lower-camel name.
func (s *Server) field(l []string) (string, error) {
	if len(l) < 3 {
		return "", &dispatchError{"field command is short"}
	}
	target, ok := s.reg.get(l[1])
	if !ok {
		return "", &dispatchError{fmt.Sprintf("unknown object id %q", l[1])}
	}
	rv := reflect.ValueOf(target)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return "o", nil
	}
	sf, ok := rv.Type().FieldByNameFunc(func(n string) bool { return pythonName(n) == l[2] })
	if !ok || !sf.IsExported() {
		return "o", nil
	}
	fv := rv.FieldByIndex(sf.Index)
	switch l[0] {
	case "g":
		return s.encodeValue(fv.Interface()), nil
	case "s":
		if len(l) != 4 || !fv.CanSet() {
			return "o", nil
		}
		v, err := s.decodePart(l[3])
		if err != nil {
			return "", err
		}
		cv, err := s.convert(v, fv.Type())
		if err != nil {
			return "", &dispatchError{fmt.Sprintf("field %s: %v", l[2], err)}
		}
		fv.Set(cv)
		return "v", nil
	}
	return "", &dispatchError{fmt.Sprintf("unknown field command %q", l[0])}
}

// dir answers d: the names dir(obj) shows.
func (s *Server) dir(l []string) (string, error) {
	switch {
	case l[0] == "m" && len(l) == 2:
		target, ok := s.reg.get(l[1])
		if !ok {
			return "", &dispatchError{fmt.Sprintf("unknown object id %q", l[1])}
		}
		return "s" + escape(strings.Join(s.dirNames(target), "\n")), nil
	case l[0] == "f":
		return "s", nil
	case l[0] == "s" && len(l) == 2:
		var names []string
		for n := range s.classes[l[1]].statics {
			names = append(names, n)
		}
		return "s" + escape(strings.Join(names, "\n")), nil
	case l[0] == "v":
		return "n", nil
	}
	return "", &dispatchError{fmt.Sprintf("unknown dir command %q", l[0])}
}

// help answers h with a plain page listing the object's methods (Python
// reads it for help() and __doc__).
func (s *Server) help(l []string) (string, error) {
	if len(l) < 2 {
		return "", &dispatchError{"help command is short"}
	}
	switch l[0] {
	case "o":
		target, ok := s.reg.get(l[1])
		if !ok {
			return "", &dispatchError{fmt.Sprintf("unknown object id %q", l[1])}
		}
		name := fmt.Sprintf("%T", target)
		if o, ok := target.(javaObject); ok {
			name = o.javaClass()
		}
		page := "Help on " + name + " (a Go value served by sockit's gateway)\n\nMethods:\n"
		for _, m := range s.dirNames(target) {
			page += "  " + m + "\n"
		}
		return "s" + escape(page), nil
	case "c":
		return "s" + escape("Help on class "+l[1]+" (sockit's gateway)\n"), nil
	}
	return "", &dispatchError{fmt.Sprintf("unknown help command %q", l[0])}
}

// jvmView answers j: java_import is recorded (it lets gateway.jvm find
// ArrayList by its simple name); other views do not exist.
func (s *Server) jvmView(l []string) (string, error) {
	switch {
	case l[0] == "i" && len(l) == 3:
		s.importsMu.Lock()
		s.imports = append(s.imports, unescape(l[2]))
		s.importsMu.Unlock()
		return "v", nil
	case l[0] == "r" && len(l) == 3:
		s.importsMu.Lock()
		defer s.importsMu.Unlock()
		imp := unescape(l[2])
		for i, x := range s.imports {
			if x == imp {
				s.imports = append(s.imports[:i], s.imports[i+1:]...)
				return "btrue", nil
			}
		}
		return "bfalse", nil
	}
	return "", &dispatchError{"JVM views are not supported by sockit's gateway"}
}
