package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// rawConn is a minimal HTTP/1.1 client over one keep-alive TCP connection:
// it writes each request with a single write and parses the answer from a
// bufio.Reader (Content-Length or chunked bodies). It exists because
// net/http's client costs about as much CPU per request as the servers under
// test, and on a 2-core machine the load generator would then share the
// bottleneck; see README.md, "The load generator".
type rawConn struct {
	addr string // host:port
	c    net.Conn
	br   *bufio.Reader
	wbuf []byte
	line []byte
}

func newRawConn(addr string) *rawConn {
	return &rawConn{addr: addr, wbuf: make([]byte, 0, 1024)}
}

func (rc *rawConn) close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c, rc.br = nil, nil
	}
}

func (rc *rawConn) dial() error {
	c, err := net.DialTimeout("tcp", rc.addr, 5*time.Second)
	if err != nil {
		return err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	rc.c = c
	if rc.br == nil {
		rc.br = bufio.NewReaderSize(c, 16<<10)
	} else {
		rc.br.Reset(c)
	}
	return nil
}

// do sends one request and reads the answer into w (status, content type,
// session id, body). A request on a reused connection that fails before any
// byte of the answer arrived is retried once on a new connection (the server
// may have closed the idle connection).
func (rc *rawConn) do(w *worker, method, path string, hdr http.Header, body []byte) error {
	b := append(rc.wbuf[:0], method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, rc.addr...)
	b = append(b, "\r\n"...)
	for k, vs := range hdr {
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if body != nil {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	rc.wbuf = b

	for attempt := 0; ; attempt++ {
		reused := rc.c != nil
		if !reused {
			if err := rc.dial(); err != nil {
				return err
			}
		}
		started, err := rc.roundTrip(w, method, b)
		if err == nil {
			return nil
		}
		rc.close()
		if !reused || started || attempt > 0 {
			return err
		}
	}
}

// roundTrip writes the request and reads the answer. started reports whether
// any byte of the answer was read.
func (rc *rawConn) roundTrip(w *worker, method string, req []byte) (started bool, err error) {
	if _, err := rc.c.Write(req); err != nil {
		return false, err
	}
	line, err := rc.readLine()
	if err != nil {
		return len(line) > 0, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return true, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return true, fmt.Errorf("bad status line %q", line)
	}
	w.status, w.ctype, w.rsid = status, "", ""
	contentLength, chunked, closeAfter := int64(-1), false, false
	for {
		line, err := rc.readLine()
		if err != nil {
			return true, err
		}
		if len(line) == 0 {
			break
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return true, fmt.Errorf("bad header line %q", line)
		}
		k, v := line[:i], bytes.TrimSpace(line[i+1:])
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if contentLength, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				return true, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Content-Type")):
			switch {
			case bytes.HasPrefix(v, []byte("application/json")):
				w.ctype = "application/json"
			case bytes.HasPrefix(v, []byte("text/event-stream")):
				w.ctype = "text/event-stream"
			default:
				w.ctype = string(v)
			}
		case bytes.EqualFold(k, []byte("Mcp-Session-Id")):
			w.rsid = string(v)
		case bytes.EqualFold(k, []byte("Connection")):
			closeAfter = bytes.EqualFold(v, []byte("close"))
		}
	}
	w.resp.Reset()
	switch {
	case method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified || status/100 == 1:
	case chunked:
		if err := rc.readChunked(&w.resp); err != nil {
			return true, err
		}
	case contentLength >= 0:
		if _, err := io.CopyN(&w.resp, rc.br, contentLength); err != nil {
			return true, err
		}
	default:
		if _, err := w.resp.ReadFrom(rc.br); err != nil {
			return true, err
		}
		closeAfter = true
	}
	if closeAfter {
		rc.close()
	}
	return true, nil
}

func (rc *rawConn) readLine() ([]byte, error) {
	rc.line = rc.line[:0]
	for {
		frag, err := rc.br.ReadSlice('\n')
		rc.line = append(rc.line, frag...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return rc.line, err
		}
	}
	return bytes.TrimRight(rc.line, "\r\n"), nil
}

func (rc *rawConn) readChunked(dst *bytes.Buffer) error {
	for {
		line, err := rc.readLine()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers
				line, err := rc.readLine()
				if err != nil {
					return err
				}
				if len(line) == 0 {
					return nil
				}
			}
		}
		if _, err := io.CopyN(dst, rc.br, n); err != nil {
			return err
		}
		if line, err := rc.readLine(); err != nil || len(line) != 0 {
			return fmt.Errorf("bad chunk end")
		}
	}
}
