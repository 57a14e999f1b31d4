package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// closeGrace is how long Close lets a program exit on its own, once its
// input is closed, before killing it.
const closeGrace = 2 * time.Second

// Program is a running program as a Conn: reading takes its standard
// output, writing feeds its standard input, and CloseWrite closes that
// input, so the program reads end-of-file. Its standard error is the
// caller's.
type Program struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser

	closeOnce sync.Once
	exit      error // how the program ended, once Close has returned
}

// Start runs argv (no shell) with env added to this process's environment.
// ctx ending kills it.
func Start(ctx context.Context, argv []string, env []string, stderr io.Writer) (*Program, error) {
	if len(argv) == 0 {
		return nil, errors.New("relay: no program to run")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdin.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("relay: run %s: %w", argv[0], err)
	}
	return &Program{cmd: cmd, stdin: stdin, stdout: stdout}, nil
}

// Read reads the program's standard output.
func (p *Program) Read(b []byte) (int, error) { return p.stdout.Read(b) }

// Write writes to the program's standard input.
func (p *Program) Write(b []byte) (int, error) { return p.stdin.Write(b) }

// CloseWrite closes the program's standard input.
func (p *Program) CloseWrite() error {
	if err := p.stdin.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

// Close closes the program's input and output, waits a moment for it to
// exit, kills it if it has not, and returns how it ended: nil for exit
// status 0, or an *exec.ExitError.
func (p *Program) Close() error {
	p.closeOnce.Do(func() {
		p.CloseWrite()
		p.stdout.Close()
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case p.exit = <-done:
		case <-time.After(closeGrace):
			p.cmd.Process.Kill()
			p.exit = <-done
		}
	})
	return p.exit
}
