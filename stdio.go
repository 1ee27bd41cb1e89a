package fastmcp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
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
// Serving ends when the input reaches end of file (in-flight requests are then
// given Options.ShutdownTimeout to finish) or the context passed to Start or
// Serve is cancelled (in-flight requests are cancelled at once).
type Stdio struct {
	// Reader is the input. Default os.Stdin.
	Reader io.Reader
	// Writer is the output. Default os.Stdout.
	Writer io.Writer
	// MaxMessageSize limits one incoming message; a longer line is answered
	// with a parse error and skipped. Default DefaultMaxMessageSize (16 MiB).
	MaxMessageSize int
}

func (t Stdio) serve(ctx context.Context, s *Server) error {
	r, w := t.Reader, t.Writer
	if r == nil {
		r = os.Stdin
	}
	if w == nil {
		w = os.Stdout
	}
	max := t.MaxMessageSize
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return s.serveStream(ctx, r, w, max)
}

// streamOut writes newline-delimited messages to a stream transport's output.
type streamOut struct {
	mu  sync.Mutex
	w   *bufio.Writer
	err error
}

func (o *streamOut) send(msg []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	o.w.Write(msg)
	o.w.WriteByte('\n')
	if err := o.w.Flush(); err != nil {
		o.err = fmt.Errorf("fastmcp: writing to the client: %w", err)
		return o.err
	}
	return nil
}

// line is one message read from a stream, or a marker for one that was too long.
type line struct {
	data    []byte
	tooLong bool
}

// serveStream serves one session over newline-delimited JSON on r and w.
func (s *Server) serveStream(ctx context.Context, r io.Reader, w io.Writer, max int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := &streamOut{w: bufio.NewWriterSize(w, 32<<10)}
	sess := newSession(s, out)
	sess.stream = &streamConn{stopping: make(chan struct{})}
	s.addSession(sess)

	lines := make(chan line)
	readDone := make(chan error, 1)
	go func() { readDone <- readLines(r, max, lines, ctx.Done()) }()

	var wg sync.WaitGroup
	var readErr error
	eof := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case l := <-lines:
			if sess.isClosed() {
				break loop // Session.Close raced the line: serve no more
			}
			s.handleLine(ctx, sess, out, l, &wg)
		case err := <-readDone:
			eof, readErr = true, err
			break loop
		case <-sess.done:
			break loop // Session.Close
		}
	}
	// Subscriptions end gracefully, whatever ended serving.
	close(sess.stream.stopping)
	if eof {
		// The client closed its side: let in-flight requests finish.
		if !waitTimeout(&wg, s.opts.ShutdownTimeout) {
			s.logger.Warn("fastmcp: in-flight requests still running at shutdown; cancelling them")
		}
	}
	if eof {
		sess.close(ErrSessionInputClosed)
	} else {
		sess.close(ErrServerShutdown)
	}
	waitTimeout(&wg, s.opts.ShutdownTimeout)
	// Background work (roots fetches, event handlers, OnDisconnect among
	// them) finishes before Serve returns.
	sess.bg.wait(s.opts.ShutdownTimeout)
	if readErr != nil && !errors.Is(readErr, io.EOF) && !errors.Is(readErr, os.ErrClosed) {
		return fmt.Errorf("fastmcp: reading from the client: %w", readErr)
	}
	return nil
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

// readLines reads newline-delimited messages until EOF or an error, which it
// returns.
func readLines(r io.Reader, max int, lines chan<- line, done <-chan struct{}) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		data, tooLong, err := readLine(br, max)
		if len(bytes.TrimSpace(data)) > 0 || tooLong {
			select {
			case lines <- line{data: data, tooLong: tooLong}:
			case <-done:
				return nil
			}
		}
		if err != nil {
			return err
		}
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

var (
	parseErrorResponse = jsonrpc.AppendError(nil, nil, jsonrpc.CodeParseError, "Parse error", nil)
	tooLongResponse    = jsonrpc.AppendError(nil, nil, jsonrpc.CodeParseError, "Parse error: message too large", nil)
)

// decodeFailure returns the error response for a message that could not be
// decoded.
func decodeFailure(err error) []byte {
	var inv *jsonrpc.InvalidError
	if errors.As(err, &inv) {
		return jsonrpc.AppendError(nil, inv.ID, jsonrpc.CodeInvalidRequest, "Invalid Request: "+inv.Reason, nil)
	}
	return parseErrorResponse
}

// handleLine serves one incoming line of a stream transport. Requests run
// concurrently, except initialize, which is answered before the next line is
// read so that later messages see the negotiated session.
func (s *Server) handleLine(ctx context.Context, sess *Session, out *streamOut, l line, wg *sync.WaitGroup) {
	if l.tooLong {
		out.send(tooLongResponse)
		return
	}
	if jsonrpc.IsBatch(l.data) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp := s.handleBatch(ctx, sess, out, l.data); resp != nil {
				out.send(resp)
			}
		}()
		return
	}
	var m jsonrpc.Message
	if err := jsonrpc.Decode(l.data, &m); err != nil {
		out.send(decodeFailure(err))
		return
	}
	switch {
	case m.IsRequest():
		if _, modern := metaVersion(m.Params); modern {
			// A 2026-07-28 request: served without the session, which
			// only tracks it for notifications/cancelled.
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := getBuf()
				*b = s.serveModernStream(ctx, sess, &m, out, *b)
				if len(*b) > 0 {
					out.send(*b)
				}
				putBuf(b)
			}()
			return
		}
		if m.Method == "initialize" {
			out.send(s.handleRequest(ctx, sess, &m, out, nil))
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := getBuf()
			*b = s.handleRequest(ctx, sess, &m, out, *b)
			if len(*b) > 0 {
				out.send(*b)
			}
			putBuf(b)
		}()
	case m.IsNotification():
		s.handleNotification(sess, &m)
	default:
		sess.deliver(&m)
	}
}

// streamConn is the state of a stream connection (stdio) that its
// 2026-07-28 requests share.
type streamConn struct {
	// stopping is closed when serving ends: subscriptions end gracefully.
	stopping chan struct{}
	// auth is the authenticator's result for the connection, computed
	// once (with no HTTP request) for its 2026-07-28 requests.
	authOnce sync.Once
	auth     any
	authErr  error
}

// serveModernStream serves a 2026-07-28 request that came in on the stream
// connection of sess.
func (s *Server) serveModernStream(ctx context.Context, sess *Session, m *jsonrpc.Message, out outbound, b []byte) []byte {
	r := &request{id: m.ID, method: m.Method, params: m.Params, out: out, modern: true, conn: sess, stop: sess.stream.stopping}
	if a := s.opts.Authenticate; a != nil {
		st := sess.stream
		st.authOnce.Do(func() { st.auth, st.authErr = safeAuthenticate(s, a, nil) })
		if st.authErr != nil {
			s.logger.Warn("fastmcp: authentication failed", "error", st.authErr)
			return appendWireError(b, m.ID, NewError(CodeInvalidRequest, "authentication failed: %v", st.authErr))
		}
		r.auth, r.hasAuth = st.auth, true
	}
	return s.serveRequest(ctx, nil, r, b)
}

// handleBatch serves a JSON-RPC batch, which only protocol revision 2025-03-26
// allows. It returns the batch response, or nil when there is nothing to send.
func (s *Server) handleBatch(ctx context.Context, sess *Session, out outbound, data []byte) []byte {
	if v := sess.protocol(); v != v20250326 {
		msg := "Invalid Request: JSON-RPC batches are not supported"
		if v != vUnknown {
			msg += " in protocol version " + v.String()
		}
		return jsonrpc.AppendError(nil, nil, jsonrpc.CodeInvalidRequest, msg+" (only 2025-03-26 allows them)", nil)
	}
	elems, err := jsonrpc.SplitBatch(data)
	if err != nil {
		return parseErrorResponse
	}
	if len(elems) == 0 {
		return jsonrpc.AppendError(nil, nil, jsonrpc.CodeInvalidRequest, "Invalid Request: empty batch", nil)
	}
	responses := make([][]byte, len(elems))
	var wg sync.WaitGroup
	for i, raw := range elems {
		var m jsonrpc.Message
		if err := jsonrpc.Decode(raw, &m); err != nil {
			responses[i] = decodeFailure(err)
			continue
		}
		switch {
		case m.IsRequest():
			wg.Add(1)
			go func() {
				defer wg.Done()
				responses[i] = s.handleRequest(ctx, sess, &m, out, nil)
			}()
		case m.IsNotification():
			s.handleNotification(sess, &m)
		default:
			sess.deliver(&m)
		}
	}
	wg.Wait()
	var parts []json.RawMessage
	for _, r := range responses {
		if len(r) > 0 {
			parts = append(parts, r)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	b, _ := json.Marshal(parts)
	return b
}
