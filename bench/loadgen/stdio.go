package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// The stdio measurement: each server is started as a child process with
// pipes for its standard input and output (with -stdio), initialized, and
// then called in a loop over that one connection, with 1 request in flight
// (each call written after the previous answer was read) or with n in flight
// (a writer keeps n requests outstanding, a reader matches the answers by
// id). Every answer is checked like an HTTP one. Each measurement gets a
// fresh process, whose cold start (from exec to the answer to initialize) is
// reported as well.

// stdioConn is the load generator's end of a stdio server's pipes.
type stdioConn struct {
	w    *os.File      // the server's standard input
	r    *os.File      // the server's standard output
	br   *bufio.Reader // over r
	long []byte        // a line longer than br's buffer
	wbuf []byte
	idn  []byte
}

func newStdioConn(w, r *os.File) *stdioConn {
	return &stdioConn{w: w, r: r, br: bufio.NewReaderSize(r, 64<<10), wbuf: make([]byte, 0, 64<<10)}
}

// write writes b (whole lines) with one write.
func (c *stdioConn) write(b []byte) error {
	_, err := c.w.Write(b)
	return err
}

// readLine returns the next line without its newline; it is valid until the
// next read.
func (c *stdioConn) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		c.long = append(c.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = c.br.ReadSlice('\n')
			c.long = append(c.long, line...)
		}
		line = c.long
	}
	if err != nil {
		if len(bytes.TrimSpace(line)) > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, fmt.Errorf("no complete answer in time: %w", err)
		}
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// readAnswer returns the next line that is a response (it has an id),
// skipping the server's notifications. A request from the server is an
// error: the benchmark declares no client capabilities.
func (c *stdioConn) readAnswer() ([]byte, error) {
	for {
		line, err := c.readLine()
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !bytes.Contains(line, idKey) {
			continue // a notification
		}
		if bytes.Contains(line, methodKey) && !bytes.Contains(line, resultNeedle) {
			return nil, fmt.Errorf("unexpected request from the server: %s", snippet(line))
		}
		return line, nil
	}
}

var (
	idKey     = []byte(`"id":`)
	methodKey = []byte(`"method":`)
)

// initialize sends initialize, reads the answer and sends
// notifications/initialized; it returns the negotiated revision.
func (c *stdioConn) initialize() (string, error) {
	if err := c.write(append(append(c.wbuf[:0], initializeBody...), '\n')); err != nil {
		return "", fmt.Errorf("initialize: %w", err)
	}
	line, err := c.readAnswer()
	if err != nil {
		return "", fmt.Errorf("initialize: %w", err)
	}
	var m struct {
		ID     json.RawMessage `json:"id"`
		Result *struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"result"`
		Error *rpcError `json:"error"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		return "", fmt.Errorf("initialize: %v: %s", err, snippet(line))
	}
	switch {
	case m.Error != nil:
		return "", fmt.Errorf("initialize: %v", m.Error)
	case string(m.ID) != "0":
		return "", fmt.Errorf("initialize: answer with id %s", m.ID)
	case m.Result == nil || m.Result.ProtocolVersion == "":
		return "", fmt.Errorf("initialize: no protocolVersion: %s", snippet(line))
	}
	if err := c.write(append(append(c.wbuf[:0], initializedBody...), '\n')); err != nil {
		return "", fmt.Errorf("notifications/initialized: %w", err)
	}
	return m.Result.ProtocolVersion, nil
}

// stdioOperands are the operands of the call with the given id, so an answer
// can be checked from its id alone.
func stdioOperands(id int64) (a, b int) {
	return int(id % (maxOperand + 1)), int(id / (maxOperand + 1) % (maxOperand + 1))
}

// appendStdioCall appends the line of the call with the given id.
func appendStdioCall(buf []byte, id int64) []byte {
	a, b := stdioOperands(id)
	return append(appendCallBody(buf, id, a, b), '\n')
}

// check checks the answer to the call with the given id.
func (c *stdioConn) check(line []byte, id int64) error {
	a, b := stdioOperands(id)
	c.idn = strconv.AppendInt(append(c.idn[:0], idKey...), id, 10)
	if containsID(line, c.idn) && bytes.Contains(line, resultNeedle) &&
		bytes.Contains(line, textNeedles[a+b]) && !bytes.Contains(line, isErrorNeedle) {
		return nil
	}
	return checkCallSlow(line, id, a+b)
}

// answerID returns the integer id of an answer.
func answerID(line []byte) (int64, bool) {
	i := bytes.Index(line, idKey)
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(line[i+len(idKey):], " ")
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	id, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return id, err == nil
}

// startStdio starts a server with -stdio, its standard input and output on
// pipes, GOMAXPROCS=cfg.ServerProcs, and its standard error in a log file.
func startStdio(cfg *Config, spec serverSpec, pprof bool) (*proc, *stdioConn, error) {
	args := append([]string{"-stdio"}, serverArgs(cfg, spec)...)
	p := &proc{spec: spec, exited: make(chan struct{})}
	if pprof {
		pp, err := freePort()
		if err != nil {
			return nil, nil, err
		}
		p.pprofAddr = fmt.Sprintf("127.0.0.1:%d", pp)
		args = append(args, "-pprof", p.pprofAddr)
	}
	logf, err := os.CreateTemp(cfg.workDir, spec.bin()+"-stdio-*.log")
	if err != nil {
		return nil, nil, err
	}
	p.logPath = logf.Name()
	inR, inW, err := os.Pipe()
	if err != nil {
		logf.Close()
		return nil, nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		logf.Close()
		inR.Close()
		inW.Close()
		return nil, nil, err
	}
	cmd := exec.Command(filepath.Join(cfg.BinDir, spec.bin()), args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(cfg.ServerProcs))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.started = time.Now()
	err = cmd.Start()
	// The child has its own copies of its ends.
	inR.Close()
	outW.Close()
	if err != nil {
		logf.Close()
		inW.Close()
		outR.Close()
		return nil, nil, fmt.Errorf("starting %s -stdio: %w", spec.key, err)
	}
	p.cmd = cmd
	p.stdin = inW
	go func() { cmd.Wait(); logf.Close(); close(p.exited) }()
	return p, newStdioConn(inW, outR), nil
}

// endStdio ends a stdio server the way a client does, by closing its input,
// and stops it if it has not exited 5 seconds later.
func (p *proc) endStdio(c *stdioConn) {
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.stop()
	}
	c.r.Close()
}

// measureStdio starts a fresh stdio server, initializes it, and calls add
// with inflight requests outstanding: a warm-up, then the measured window.
func measureStdio(cfg *Config, spec serverSpec, inflight int, prof *profiler) CallsResult {
	res := CallsResult{Sessions: 1, InFlight: inflight}
	var errs errCounter
	defer func() {
		res.Errors += errs.n.Load()
		if res.FirstError == "" {
			res.FirstError = errs.firstErr()
		}
	}()
	p, c, err := startStdio(cfg, spec, prof != nil)
	if err != nil {
		errs.add(err)
		return res
	}
	defer p.endStdio(c)
	if prof != nil {
		prof.addr = p.pprofAddr
	}
	// A server that hangs cannot hang the load generator.
	c.r.SetReadDeadline(time.Now().Add(cfg.Warmup + cfg.Duration + 30*time.Second))
	if _, err := c.initialize(); err != nil {
		errs.add(fmt.Errorf("%w (server log: %s)", err, p.logTail()))
		return res
	}
	res.StartMs = float64(time.Since(p.started)) / 1e6

	t0 := time.Now()
	win := window{start: t0.Add(cfg.Warmup), end: t0.Add(cfg.Warmup + cfg.Duration)}
	cpuDone := make(chan struct{})
	meter := &cpuMeter{p: p}
	go meter.run(win, cpuDone)
	var profDone chan struct{}
	if prof != nil {
		profDone = make(chan struct{})
		go prof.run(win, profDone)
	}
	var lats []int64
	if inflight <= 1 {
		lats = stdioSequential(c, win, &errs)
	} else {
		lats = stdioPipelined(c, win, inflight, &errs)
	}
	<-cpuDone
	if profDone != nil {
		<-profDone
		if prof.err != nil {
			fmt.Fprintf(os.Stderr, "profile: %v\n", prof.err)
		}
	}
	if !p.alive() {
		errs.add(fmt.Errorf("%s -stdio exited during the measurement: %s", spec.key, p.logTail()))
	}
	res.Calls = int64(len(lats))
	slices.Sort(lats)
	secs := cfg.Duration.Seconds()
	res.CallsPerSec = float64(res.Calls) / secs
	res.P50us = percentile(lats, 0.50)
	res.P99us = percentile(lats, 0.99)
	if meter.err == nil && res.Calls > 0 {
		res.ServerCPUus = float64(meter.srv1-meter.srv0) / 1e3 / float64(res.Calls)
		res.LoadgenCPUus = float64(meter.me1-meter.me0) / 1e3 / float64(res.Calls)
	}
	res.ServerCores = (meter.srv1 - meter.srv0).Seconds() / secs
	res.LoadgenCores = (meter.me1 - meter.me0).Seconds() / secs
	return res
}

// stdioSequential writes a call, reads its answer, and repeats until the
// window ends; it returns the latencies of the calls answered inside it.
func stdioSequential(c *stdioConn, win window, errs *errCounter) []int64 {
	lats := make([]int64, 0, 1<<16)
	for id := int64(1); ; id++ {
		start := time.Now()
		if start.After(win.end) {
			return lats
		}
		c.wbuf = appendStdioCall(c.wbuf[:0], id)
		if err := c.write(c.wbuf); err != nil {
			errs.add(fmt.Errorf("writing tools/call: %w", err))
			return lats
		}
		line, err := c.readAnswer()
		end := time.Now()
		if err != nil {
			errs.add(fmt.Errorf("reading the answer to tools/call: %w", err))
			return lats
		}
		if err := c.check(line, id); err != nil {
			errs.add(err)
			continue
		}
		if win.contains(end) {
			lats = append(lats, int64(end.Sub(start)))
		}
	}
}

// stdioSlot is a call in flight: its id (written last, so a reader that
// finds its id finds its start) and when its line was written.
type stdioSlot struct {
	id    atomic.Int64
	start atomic.Int64 // ns since the measurement's base time
}

// stdioPipelined keeps n calls in flight until the window ends: a writer
// goroutine writes as many calls as there are free places (one write for
// all of them), and this goroutine reads the answers, in whatever order
// they come, and frees their places each time it has read everything the
// server had written. It returns the latencies of the calls answered inside
// the window.
func stdioPipelined(c *stdioConn, win window, n int, errs *errCounter) []int64 {
	const ringSize = 1 << 14 // ids in flight at once, far above n
	ring := make([]stdioSlot, ringSize)
	places := make(chan struct{}, n)
	for range n {
		places <- struct{}{}
	}
	var sent atomic.Int64 // calls written (or about to be)
	quit := make(chan struct{})
	writerDone := make(chan struct{})
	base := time.Now()
	go func() {
		defer close(writerDone)
		buf := make([]byte, 0, n*128)
		for id := int64(1); ; {
			select {
			case <-places:
			case <-quit:
				return
			}
			k := 1
		more:
			for k < n {
				select {
				case <-places:
					k++
				default:
					break more
				}
			}
			now := time.Now()
			if now.After(win.end) {
				return
			}
			buf = buf[:0]
			ns := int64(now.Sub(base))
			for range k {
				s := &ring[id&(ringSize-1)]
				s.start.Store(ns)
				s.id.Store(id)
				buf = appendStdioCall(buf, id)
				id++
			}
			sent.Add(int64(k))
			if _, err := c.w.Write(buf); err != nil {
				errs.add(fmt.Errorf("writing tools/call: %w", err))
				return
			}
		}
	}()
	defer func() { close(quit); <-writerDone }()

	lats := make([]int64, 0, 1<<18)
	var received int64
	free := 0
	for {
		// Free the places of the answers handled so far once no complete
		// answer is left to read, so the writer writes the next calls
		// together (and before this goroutine blocks reading).
		if free > 0 {
			buffered, _ := c.br.Peek(c.br.Buffered())
			if free == n || bytes.IndexByte(buffered, '\n') < 0 {
				for ; free > 0; free-- {
					places <- struct{}{}
				}
			}
		}
		if received == sent.Load() && time.Now().After(win.end) {
			<-writerDone // it stops at its next time check
			if received == sent.Load() {
				return lats
			}
		}
		line, err := c.readAnswer()
		end := time.Now()
		if err != nil {
			errs.add(fmt.Errorf("reading answers to tools/call (%d of %d answered): %w", received, sent.Load(), err))
			return lats
		}
		received++
		free++
		id, ok := answerID(line)
		s := &ring[id&(ringSize-1)]
		switch {
		case !ok || s.id.Load() != id:
			errs.add(fmt.Errorf("answer for no call in flight: %s", snippet(line)))
		default:
			if err := c.check(line, id); err != nil {
				errs.add(err)
			} else if win.contains(end) {
				lats = append(lats, int64(end.Sub(base))-s.start.Load())
			}
		}
	}
}
