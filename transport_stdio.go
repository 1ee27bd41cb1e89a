package fastmcp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// DefaultMaxMessageSize is the default limit on one incoming message of a
// stream transport.
const DefaultMaxMessageSize = 16 << 20

// Stdio serves one client over standard input and output: newline-delimited
// JSON-RPC messages, one session. Nothing but protocol messages is written to
// the output; diagnostics go to Options.Logger (standard error by default).
//
// While it serves the process's own standard output (Writer nil), anything
// else the program writes to os.Stdout (a stray fmt.Println in a handler)
// goes to standard error instead, so it cannot corrupt the protocol; see
// LeaveStdout. When standard input is a terminal, a one-line notice on
// standard error says the program is waiting for an MCP client.
//
// Serving ends when the input reaches end of file or the context passed to
// Start or Serve is cancelled (by SIGINT or SIGTERM with Start). Either way,
// reading stops, and in-flight requests are given Options.ShutdownTimeout to
// finish; those still running then are cancelled and answered with an error.
//
// A client may have at most Options.MaxInFlight requests in flight (running,
// or their answers waiting for the client to read them): beyond that, a
// request is refused with an error, written by the goroutine that reads the
// input, so a client that writes requests without reading the answers stops
// the reading of its input rather than growing the server's memory. Messages
// that belong to no request (list changes, resource updates) wait in a
// bounded queue: a client that lets it outgrow DefaultMaxStreamBacklog has its
// session ended.
type Stdio struct {
	// Reader is the input. Default os.Stdin.
	Reader io.Reader
	// Writer is the output. Default os.Stdout.
	Writer io.Writer
	// MaxMessageSize limits one incoming message; a longer line is answered
	// with a parse error and skipped. Default DefaultMaxMessageSize (16 MiB).
	MaxMessageSize int
	// LeaveStdout keeps os.Stdout as it is while serving the process's own
	// standard output. Default false: output written to os.Stdout by
	// anything but the transport goes to standard error (Unix only).
	LeaveStdout bool
}

func (t Stdio) serve(ctx context.Context, s *Server) error {
	r, w := t.Reader, t.Writer
	if r == nil {
		r = os.Stdin
		if isTerminal(os.Stdin) {
			fmt.Fprintf(os.Stderr, "fastmcp: %s is serving MCP over standard input and output, for an MCP client to start; press Ctrl-C to stop.\n", s.info.Name)
		}
	}
	if w == nil {
		w = os.Stdout
		if !t.LeaveStdout {
			proto, restore, err := protectStdout()
			if err != nil {
				s.logger.Debug("fastmcp: os.Stdout left as it is", "error", err)
			} else {
				defer restore()
				w = proto
			}
		}
	}
	max := t.MaxMessageSize
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return s.serveStream(ctx, r, w, max)
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// streamOut writes newline-delimited messages to a stream transport's output.
// Writers that find others waiting leave the flush to the last of them, so
// answers to pipelined requests go out in few writes.
type streamOut struct {
	waiting atomic.Int32
	// hold is set while the reader has more complete lines to read: the
	// answers to them will follow soon, so messages wait in the buffer
	// until the reader runs out of input and calls release (or until a
	// writer finds hold cleared).
	hold atomic.Bool
	mu   sync.Mutex
	w    *bufio.Writer
	err  error
	// abandoned are the ids of requests answered by abandon: their
	// handlers' own responses are dropped.
	abandoned map[string]struct{}
}

// release clears hold and flushes what it held back.
func (o *streamOut) release() {
	o.hold.Store(false)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil && o.w.Buffered() > 0 {
		if err := o.w.Flush(); err != nil {
			o.err = fmt.Errorf("fastmcp: writing to the client: %w", err)
		}
	}
}

func (o *streamOut) send(msg []byte) error {
	o.waiting.Add(1)
	o.mu.Lock()
	o.waiting.Add(-1)
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	if o.abandoned != nil {
		var m jsonrpc.Message
		if jsonrpc.Decode(msg, &m) == nil && m.IsResponse() {
			if _, ok := o.abandoned[jsonrpc.CompactID(m.ID)]; ok {
				return nil // answered already, by abandon
			}
		}
	}
	o.w.Write(msg)
	if err := o.w.WriteByte('\n'); err == nil && (o.waiting.Load() > 0 || o.hold.Load()) {
		return nil // a waiting writer flushes, or the reader's release
	}
	if err := o.w.Flush(); err != nil {
		o.err = fmt.Errorf("fastmcp: writing to the client: %w", err)
		return o.err
	}
	return nil
}

// stdioConn is the engine's view of a stream connection (see conn): one
// session, whose requests run concurrently with the reading of later lines.
// Reading is handed from goroutine to goroutine: the goroutine that read a
// request serves it, after starting a new reader, so a request needs no
// hand-off between goroutines before its handler runs.
type stdioConn struct {
	s    *Server
	ctx  context.Context
	sess *Session
	out  *streamOut
	br   *bufio.Reader
	max  int
	// stop is closed when serving ends: subscriptions end gracefully.
	stop chan struct{}
	// slots bounds the requests in flight (Options.MaxInFlight); nil
	// when unbounded. A reader that cannot take a slot stops reading.
	slots chan struct{}
	// gen numbers the reading goroutines: a reader that handed reading
	// over sees a newer generation and stops, and so do all when serving
	// ends. reading is the generation of the goroutine reading now, set
	// and read by that goroutine only.
	gen     atomic.Int64
	reading int64
	// idle hands reading (its generation) to a goroutine that finished
	// serving a request, so requests run on goroutines whose stacks have
	// already grown to what serving needs: a new goroutine per request
	// spent a third of the CPU of pipelined calls growing its stack.
	idle chan int64
	// handlers counts the requests being served.
	handlers sync.WaitGroup
	// ended is closed when reading ends, with the reason in readErr.
	ended   chan struct{}
	endOnce sync.Once
	readErr error

	authOnce sync.Once
	authData any
	authErr  error
}

// serveStream serves one session over newline-delimited JSON on r and w.
func (s *Server) serveStream(ctx context.Context, r io.Reader, w io.Writer, max int) error {
	c := &stdioConn{
		s: s,
		// Requests end with the session (closed when serving ends) or
		// at the client's notifications/cancelled: their context itself
		// never ends, which spares each a cancellation watch.
		ctx:   context.WithoutCancel(ctx),
		out:   &streamOut{w: bufio.NewWriterSize(w, 32<<10)},
		br:    bufio.NewReaderSize(r, 64<<10),
		max:   max,
		stop:  make(chan struct{}),
		ended: make(chan struct{}),
		idle:  make(chan int64),
	}
	if n := s.peerLimit(); n > 0 {
		c.slots = make(chan struct{}, n)
	}
	own := &stdioSessionOut{c: c, q: newOutQueue(DefaultMaxStreamBacklog)}
	c.sess = newSession(s, own)
	c.sess.transport = TransportStdio
	s.addSession(c.sess)
	go own.drain()
	defer own.q.close()
	go c.read(c.gen.Load())

	eof := false
	select {
	case <-ctx.Done():
	case <-c.ended:
		eof = true
	case <-c.sess.done: // Session.Close
	}
	c.gen.Add(1) // readers stop at the next line
	// Subscriptions end gracefully, whatever ended serving; other
	// requests get the shutdown timeout to finish.
	close(c.stop)
	c.out.release() // answers held for requests that will not be read now
	drained := waitTimeout(&c.handlers, s.opts.ShutdownTimeout)
	if !drained {
		s.logger.Warn("fastmcp: in-flight requests still running at shutdown; answering and cancelling them", "timeout", s.opts.ShutdownTimeout)
		c.abandon()
	}
	if eof {
		c.sess.close(ErrSessionInputClosed)
	} else {
		c.sess.close(ErrServerShutdown)
	}
	if !drained {
		// Cancelled requests answer with an error; give them a moment.
		waitTimeout(&c.handlers, s.opts.ShutdownTimeout)
	}
	// Background work (roots fetches, event handlers, OnDisconnect among
	// them) finishes before Serve returns.
	c.sess.bg.wait(s.opts.ShutdownTimeout)
	if !eof {
		return nil
	}
	// readErr was written before ended was closed.
	if err := c.readErr; err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) && !errors.Is(err, io.ErrClosedPipe) {
		return fmt.Errorf("fastmcp: reading from the client: %w", err)
	}
	return nil
}

// read reads and serves lines until reading ends or is handed to another
// goroutine (async); then it waits to be handed reading again, until
// serving ends.
func (c *stdioConn) read(gen int64) {
	for {
		c.readLines(gen)
		select {
		case gen = <-c.idle:
		case <-c.stop:
			return
		}
	}
}

func (c *stdioConn) readLines(gen int64) {
	for c.gen.Load() == gen {
		if !c.lineBuffered() {
			c.out.release() // before waiting for input
		}
		data, tooLong, err := readLine(c.br, c.max)
		if c.gen.Load() != gen {
			// Serving ended while this line was read: a request is told
			// so rather than left unanswered.
			var m jsonrpc.Message
			if !tooLong && jsonrpc.Decode(data, &m) == nil && m.IsRequest() {
				c.out.send(jsonrpc.AppendError(nil, m.ID, int64(CodeInternalError), "Server shutting down: the request was not served", nil))
			}
			return
		}
		switch {
		case tooLong:
			c.out.send(tooLongResponse)
		case len(bytes.TrimSpace(data)) > 0:
			if c.sess.isClosed() {
				return // Session.Close raced the line: serve no more
			}
			if jsonrpc.IsBatch(data) {
				// A batch is served on this goroutine and may wait for
				// the client: hold nothing back meanwhile.
				c.out.release()
			}
			c.reading = gen
			c.s.serveMessage(c.ctx, c, data)
		}
		if err != nil {
			c.endOnce.Do(func() { c.readErr = err; close(c.ended) })
			return
		}
	}
}

// stdioSessionOut is the stdio session's own channel, for messages that
// belong to no request (list changes, resource updates, the server's
// session-level requests): they wait in a queue that one goroutine writes, so
// a broadcast to every session never waits on a client that stopped reading
// its output. A client whose backlog outgrows DefaultMaxStreamBacklog has its
// session ended.
type stdioSessionOut struct {
	c *stdioConn
	q *outQueue
}

func (o *stdioSessionOut) send(msg []byte) error {
	err := o.q.push(bytes.Clone(msg))
	if err == errStreamStalled {
		o.c.s.logger.Warn("fastmcp: ending the stdio session: the client does not read its output", "backlog", DefaultMaxStreamBacklog)
		o.c.sess.end(ErrSessionStalled)
	}
	return err
}

// drain writes the queued messages until the queue closes.
func (o *stdioSessionOut) drain() {
	for {
		select {
		case <-o.q.done:
			return
		case <-o.q.wake:
			for _, m := range o.q.take() {
				if o.c.out.send(m) != nil {
					return
				}
			}
		}
	}
}

func (c *stdioConn) info() connInfo {
	return connInfo{concurrent: true, streams: true, stop: c.stop, peer: &c.sess.peer, transport: TransportStdio}
}

func (c *stdioConn) session(bool) (*Session, bool) { return c.sess, true }

// auth authenticates the connection once, with no HTTP request.
func (c *stdioConn) auth() (any, error) {
	a := c.s.opts.Authenticate
	if a == nil {
		return nil, nil
	}
	c.authOnce.Do(func() { c.authData, c.authErr = safeAuthenticate(c.s, a, nil) })
	return c.authData, c.authErr
}

func (c *stdioConn) validate(*request) *Error { return nil }

func (c *stdioConn) send(msg []byte) error { return c.out.send(msg) }

// lineBuffered reports whether a complete line waits in the input buffer.
// Only the reader calls it.
func (c *stdioConn) lineBuffered() bool {
	b, _ := c.br.Peek(c.br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// async serves f on this goroutine after handing reading to a new one. It
// first takes a slot, held until the answer is written: with
// Options.MaxInFlight requests in flight (running, or their answers waiting
// for the client to read), the request is refused instead. The refusal is
// written by this reader, so a client that stops reading its output stops
// the reading of its input too.
func (c *stdioConn) async(f func()) bool {
	if c.slots != nil {
		select {
		case c.slots <- struct{}{}:
		default:
			c.out.release() // answers held back may be what the client waits for
			select {
			case c.slots <- struct{}{}:
			default:
				return false
			}
		}
	}
	// The reader holds answers back while more requests are buffered;
	// once serving ends, nothing is held (serveStream releases after
	// closing stop, so one of the two sees the other).
	c.out.hold.Store(c.lineBuffered())
	select {
	case <-c.stop:
		c.out.release()
	default:
	}
	c.handlers.Add(1)
	// Reading goes on in an idle goroutine or a new one, unless serving
	// ended meanwhile (the generation moved on).
	if next := c.reading + 1; c.gen.CompareAndSwap(c.reading, next) {
		select {
		case c.idle <- next:
		default:
			go c.read(next)
		}
	}
	defer func() {
		if c.slots != nil {
			<-c.slots
		}
		c.handlers.Done()
	}()
	f()
	return true
}

// resumable: the connection's requests end with its session.
func (c *stdioConn) resumable() bool { return true }

func (c *stdioConn) reply(resp []byte, _ answer) {
	if len(resp) > 0 {
		c.out.send(resp)
	}
}

// abandon answers the requests still running with a JSON-RPC error saying
// that the server is shutting down; their handlers' own answers, if they come,
// are dropped.
func (c *stdioConn) abandon() {
	o := c.out
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return
	}
	// A request is untracked before its answer is written: those answered
	// from now on are running still, and must not be answered twice.
	ids := c.sess.peer.running()
	if len(ids) == 0 {
		return
	}
	if o.abandoned == nil {
		o.abandoned = make(map[string]struct{}, len(ids))
	}
	for _, id := range ids {
		o.abandoned[jsonrpc.CompactID(id)] = struct{}{}
		o.w.Write(jsonrpc.AppendError(nil, id, int64(CodeInternalError), shutdownMessage, nil))
		o.w.WriteByte('\n')
	}
	if err := o.w.Flush(); err != nil {
		o.err = fmt.Errorf("fastmcp: writing to the client: %w", err)
	}
}

// waitTimeout waits for wg, up to d. It reports whether wg finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// readLine reads one line without its terminator. A line longer than max is
// consumed and reported with tooLong.
func readLine(br *bufio.Reader, max int) (data []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(data)+len(chunk) > max+2 {
				tooLong, data = true, nil
			} else {
				data = append(data, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimRight(data, "\r\n"), tooLong, err
	}
}

var tooLongResponse = jsonrpc.AppendError(nil, nil, jsonrpc.CodeParseError, "Parse error: message too large", nil)
