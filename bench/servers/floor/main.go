// Command floor is a reference point, not an MCP library: the least a Go
// server can do to answer the load generator's requests correctly, with bare
// net/http and encoding/json. It keeps a set of session ids, answers
// initialize, accepts notifications with 202, decodes tools/call into a struct
// and encodes the result, and ends sessions on DELETE; nothing else (no schema,
// no validation beyond decoding, no protocol checks). A POST without a session
// whose MCP-Protocol-Version header is 2026-07-28 is served without one, as
// that revision's sessionless requests are, once its Mcp-Method and Mcp-Name
// headers agree with the body. Its numbers show what the machine and the load
// generator allow, i.e. how close to the floor an MCP server gets.
//
// With -stdio it is the floor of the stdio transport instead: one loop that
// reads a line, decodes it with encoding/json, answers initialize and add,
// ignores notifications, and flushes its output whenever no more input is
// buffered (see stdio.go).
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"

	"flag"
	"github.com/fastmcp-go/fastmcp/bench/internal/benchsrv"
)

type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

type callParams struct {
	Name      string `json:"name"`
	Arguments struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	} `json:"arguments"`
	Meta struct {
		ProtocolVersion string `json:"io.modelcontextprotocol/protocolVersion"`
	} `json:"_meta"`
}

type textContent struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result"`
}

// sessionless is the protocol revision whose requests carry no session.
const sessionless = "2026-07-28"

var initResult = json.RawMessage(`{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"bench-add","version":"1.0.0"}}`)

func main() {
	f := benchsrv.Register()
	flag.Parse()
	if f.Stdio {
		if err := serveStdio(os.Stdin, os.Stdout); err != nil {
			log.Print(err)
			os.Exit(1)
		}
		return
	}
	benchsrv.FreeMemoryOnSignal()

	var mu sync.RWMutex
	sessions := map[string]struct{}{}

	handler := func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Mcp-Session-Id")
		if r.Method == http.MethodDelete {
			mu.Lock()
			delete(sessions, id)
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(r.Body)
		var m message
		if err == nil {
			err = json.Unmarshal(body, &m)
		}
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		modern := id == "" && r.Header.Get("Mcp-Protocol-Version") == sessionless
		if m.Method == "initialize" && !modern {
			var b [16]byte
			rand.Read(b[:])
			id = base64.RawURLEncoding.EncodeToString(b[:])
			mu.Lock()
			sessions[id] = struct{}{}
			mu.Unlock()
			w.Header().Set("Mcp-Session-Id", id)
			writeJSON(w, response{JSONRPC: "2.0", ID: m.ID, Result: initResult})
			return
		}
		if !modern {
			mu.RLock()
			_, ok := sessions[id]
			mu.RUnlock()
			if !ok {
				http.Error(w, "session not found", http.StatusNotFound)
				return
			}
		}
		if len(m.ID) == 0 {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if m.Method != "tools/call" {
			http.Error(w, "method not found", http.StatusBadRequest)
			return
		}
		var p callParams
		if err := json.Unmarshal(m.Params, &p); err != nil || p.Name != "add" {
			http.Error(w, "bad params", http.StatusBadRequest)
			return
		}
		if modern && (p.Meta.ProtocolVersion != sessionless || r.Header.Get("Mcp-Method") != m.Method || r.Header.Get("Mcp-Name") != p.Name) {
			http.Error(w, "headers do not match the body", http.StatusBadRequest)
			return
		}
		text := strconv.FormatFloat(p.Arguments.A+p.Arguments.B, 'f', -1, 64)
		writeJSON(w, response{JSONRPC: "2.0", ID: m.ID, Result: map[string]any{"content": []textContent{{Type: "text", Text: text}}}})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mcp", handler)
	if err := benchsrv.Serve(f.Addr(), mux); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
