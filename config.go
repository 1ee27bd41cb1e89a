package fastmcp

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Auto lets the command line and the environment choose the transport, so one
// binary serves stdio or HTTP without code changes. Start(ctx, nil) uses
// Auto{}.
//
// The transport is chosen by the flag --transport (stdio or http; httpStream,
// http-stream and streamable-http also mean http), else the variable
// FASTMCP_TRANSPORT, else stdio. For HTTP, these fill the fields of Auto.HTTP
// left at their zero value, a flag winning over its variable:
//
//	--host        FASTMCP_HOST         listen host (default 127.0.0.1)
//	--port        FASTMCP_PORT         listen port (default 8080)
//	--endpoint    FASTMCP_ENDPOINT     endpoint path (default /mcp)
//	--base-path   FASTMCP_BASE_PATH    prefix of every path
//	--stateless   FASTMCP_STATELESS    true for stateless mode
//	--json-response FASTMCP_JSON_RESPONSE  true for JSON-only answers
//
// Flags take the forms --name value, --name=value and -name value; a boolean
// flag alone means true. Arguments Auto does not know are ignored, so the
// program may parse them with its own flag set.
type Auto struct {
	// Stdio is used when the transport is stdio.
	Stdio Stdio
	// HTTP is used when the transport is http, with the zero fields filled
	// from the flags and the environment.
	HTTP HTTP
	// Args are the command-line arguments to read. A nil Args means
	// os.Args[1:]; pass an empty, non-nil slice to read none (in tests, for
	// instance, where os.Args holds the test binary's flags).
	Args []string
	// Getenv reads the environment. Default os.Getenv.
	Getenv func(string) string
}

func (a Auto) serve(ctx context.Context, s *Server) error {
	t, err := a.Resolve()
	if err != nil {
		return err
	}
	return t.serve(ctx, s)
}

// Resolve returns the transport the command line and environment choose: a
// Stdio or an HTTP value.
func (a Auto) Resolve() (Transport, error) {
	args, getenv := a.Args, a.Getenv
	if args == nil {
		args = os.Args[1:]
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	flags := scanFlags(args)
	get := func(flag, env string) (string, bool) {
		if v, ok := flags[flag]; ok {
			return v, true
		}
		v := getenv(env)
		return v, v != ""
	}
	kind := "stdio"
	if v, ok := get("transport", "FASTMCP_TRANSPORT"); ok {
		switch strings.ToLower(v) {
		case "stdio":
		case "http", "httpstream", "http-stream", "streamable-http", "streamablehttp":
			kind = "http"
		default:
			return nil, fmt.Errorf("fastmcp: unknown transport %q (want stdio or http)", v)
		}
	}
	if kind == "stdio" {
		return a.Stdio, nil
	}
	h := a.HTTP
	if v, ok := get("host", "FASTMCP_HOST"); ok && h.Host == "" {
		h.Host = v
	}
	if v, ok := get("port", "FASTMCP_PORT"); ok && h.Port == 0 {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return nil, fmt.Errorf("fastmcp: invalid port %q", v)
		}
		if n == 0 {
			n = -1 // a free port
		}
		h.Port = n
	}
	if v, ok := get("endpoint", "FASTMCP_ENDPOINT"); ok && h.Endpoint == "" {
		h.Endpoint = v
	}
	if v, ok := get("base-path", "FASTMCP_BASE_PATH"); ok && h.BasePath == "" {
		h.BasePath = v
	}
	for _, b := range []struct {
		flag, env string
		dst       *bool
	}{
		{"stateless", "FASTMCP_STATELESS", &h.Stateless},
		{"json-response", "FASTMCP_JSON_RESPONSE", &h.JSONResponse},
	} {
		if v, ok := get(b.flag, b.env); ok && !*b.dst {
			on, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("fastmcp: invalid value %q for %s", v, b.flag)
			}
			*b.dst = on
		}
	}
	return h, nil
}

// autoFlags are the flags Auto reads; the booleans may stand alone.
var autoFlags = map[string]bool{
	"transport": false, "host": false, "port": false, "endpoint": false, "base-path": false,
	"stateless": true, "json-response": true,
}

// scanFlags picks Auto's flags out of args, ignoring everything else.
func scanFlags(args []string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if n, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = n, v, true
		}
		isBool, known := autoFlags[name]
		if !known {
			continue
		}
		if !hasValue {
			switch {
			case isBool && (i+1 >= len(args) || !isBoolWord(args[i+1])):
				value = "true"
			case i+1 < len(args):
				value = args[i+1]
				i++
			default:
				continue
			}
		}
		out[name] = value
	}
	return out
}

func isBoolWord(s string) bool {
	_, err := strconv.ParseBool(s)
	return err == nil
}
