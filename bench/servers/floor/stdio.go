package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// stdioMessage is all of a message the stdio floor looks at, decoded in one
// pass: the id, the method, and add's name and operands.
type stdioMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name      string `json:"name"`
		Arguments struct {
			A float64 `json:"a"`
			B float64 `json:"b"`
		} `json:"arguments"`
	} `json:"params"`
}

// maxLine bounds one input line, like an MCP library's message size limit.
const maxLine = 16 << 20

// serveStdio is the fastest honest newline-delimited JSON-RPC loop: one
// goroutine reads a line, decodes it fully with encoding/json (so malformed
// input is refused, not guessed at), answers initialize and tools/call add by
// appending bytes to a buffered writer, ignores notifications, and flushes
// only when no more input is buffered, so pipelined requests are answered in
// few writes and a lone request at once. It returns at end of input.
func serveStdio(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	var (
		m    stdioMessage
		long []byte
		out  = make([]byte, 0, 256)
	)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it (up to maxLine).
			long = append(long[:0], line...)
			tooLong := false
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				tooLong = tooLong || len(long)+len(line) > maxLine+1
				if !tooLong {
					long = append(long, line...)
				}
			}
			line = long
			if tooLong {
				line = []byte("too long") // answered as a parse error
			}
		}
		if len(bytes.TrimSpace(line)) > 0 {
			m.ID, m.Method, m.Params.Name = m.ID[:0], "", ""
			m.Params.Arguments.A, m.Params.Arguments.B = 0, 0
			out = out[:0]
			switch {
			case json.Unmarshal(line, &m) != nil:
				out = append(out, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`...)
			case len(m.ID) == 0: // a notification: no answer
			case m.Method == "initialize":
				out = appendResultStart(out, m.ID)
				out = append(out, initResult...)
				out = append(out, '}')
			case m.Method == "tools/call" && m.Params.Name == "add":
				out = appendResultStart(out, m.ID)
				out = append(out, `{"content":[{"type":"text","text":"`...)
				out = strconv.AppendFloat(out, m.Params.Arguments.A+m.Params.Arguments.B, 'f', -1, 64)
				out = append(out, `"}]}}`...)
			default:
				out = append(out, `{"jsonrpc":"2.0","id":`...)
				out = append(out, m.ID...)
				out = append(out, `,"error":{"code":-32601,"message":"Method not found"}}`...)
			}
			if len(out) > 0 {
				out = append(out, '\n')
				if _, werr := bw.Write(out); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			if ferr := bw.Flush(); ferr != nil {
				return ferr
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

// appendResultStart appends a response up to its result: the caller appends
// the result and the closing brace.
func appendResultStart(out, id []byte) []byte {
	out = append(out, `{"jsonrpc":"2.0","id":`...)
	out = append(out, id...)
	return append(out, `,"result":`...)
}
