package fastmcp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
// flag alone means true. -h and --help ask for the usage. Any other argument
// is an error, except those after "--", which are left to the program. Start
// and Serve, reading the process's command line (Args nil), then behave as
// flag.Parse does: they print the usage to standard error and exit, with
// status 0 for help and 2 for a bad argument. Resolve, and an Auto with Args
// set, return the error instead (flag.ErrHelp for help).
//
// A program with flags of its own defines Auto's on its flag.FlagSet with
// RegisterFlags, so that one parse reads them all and -help lists them all.
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

	// registered holds the values of flags set through RegisterFlags.
	registered map[string]string
}

// autoFlag is one of Auto's flags.
type autoFlag struct {
	name, env, arg, usage string
	isBool                bool
}

// autoFlags are Auto's flags, in the order the usage lists them.
var autoFlags = []autoFlag{
	{"transport", "FASTMCP_TRANSPORT", "name", "the transport: stdio or http (default stdio)", false},
	{"host", "FASTMCP_HOST", "host", "HTTP listen host (default " + DefaultHTTPHost + ")", false},
	{"port", "FASTMCP_PORT", "n", "HTTP listen port, 0 for a free one (default " + strconv.Itoa(DefaultHTTPPort) + ")", false},
	{"endpoint", "FASTMCP_ENDPOINT", "path", "HTTP endpoint path (default " + DefaultEndpoint + ")", false},
	{"base-path", "FASTMCP_BASE_PATH", "path", "prefix of every HTTP path", false},
	{"stateless", "FASTMCP_STATELESS", "", "serve HTTP without sessions", true},
	{"json-response", "FASTMCP_JSON_RESPONSE", "", "answer HTTP requests with JSON, never an event stream", true},
}

func findAutoFlag(name string) (autoFlag, bool) {
	for _, f := range autoFlags {
		if f.name == name {
			return f, true
		}
	}
	return autoFlag{}, false
}

// RegisterFlags defines Auto's flags (see Auto) on fs, for a program that
// parses a command line of its own: after fs.Parse, a serves with the values
// given, the environment filling what the command line left out, and a no
// longer reads os.Args (RegisterFlags sets Args to an empty slice). The flags
// then follow the flag package's rules: a boolean takes its value as
// --stateless=false, not as a separate word.
//
//	auto := &fastmcp.Auto{}
//	auto.RegisterFlags(flag.CommandLine)
//	verbose := flag.Bool("verbose", false, "log every request")
//	flag.Parse()
//	err := server.Start(ctx, auto)
func (a *Auto) RegisterFlags(fs *flag.FlagSet) {
	if a.registered == nil {
		a.registered = map[string]string{}
	}
	a.Args = []string{}
	for _, f := range autoFlags {
		usage := f.usage + " (or " + f.env + ")"
		set := func(v string) error {
			a.registered[f.name] = v
			return nil
		}
		if f.isBool {
			fs.BoolFunc(f.name, usage, set)
		} else {
			fs.Func(f.name, "`"+f.arg+"`: "+usage, set)
		}
	}
}

// writeUsage writes the usage of a program whose command line Auto reads:
// Auto's flags and their environment variables. It is what -h prints.
func (a Auto) writeUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\nFlags, each also read from the environment variable in brackets:\n", filepath.Base(os.Args[0]))
	for _, f := range autoFlags {
		name := "--" + f.name
		if f.arg != "" {
			name += " " + f.arg
		}
		fmt.Fprintf(w, "  %-18s %s [%s]\n", name, f.usage, f.env)
	}
	fmt.Fprintf(w, "  %-18s %s\n", "-h, --help", "print this help")
}

func (a Auto) serve(ctx context.Context, s *Server) error {
	t, err := a.Resolve()
	var ae *argError
	if a.Args == nil && (errors.Is(err, flag.ErrHelp) || errors.As(err, &ae)) {
		// The process's own command line: answer as flag.Parse does.
		if ae != nil {
			fmt.Fprintln(os.Stderr, err)
			a.writeUsage(os.Stderr)
			os.Exit(2)
		}
		a.writeUsage(os.Stderr)
		os.Exit(0)
	}
	if err != nil {
		return err
	}
	return t.serve(ctx, s)
}

// argError is a command-line argument Auto does not accept.
type argError struct{ msg string }

func (e *argError) Error() string { return "fastmcp: " + e.msg }

// Resolve returns the transport the command line and environment choose: a
// Stdio or an HTTP value. Its error is flag.ErrHelp when the command line
// asks for help.
func (a Auto) Resolve() (Transport, error) {
	args, getenv := a.Args, a.Getenv
	if args == nil {
		args = os.Args[1:]
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	flags, err := parseFlags(args)
	if err != nil {
		return nil, err
	}
	for k, v := range a.registered {
		flags[k] = v
	}
	get := func(flag, env string) (string, bool) {
		if v, ok := flags[flag]; ok {
			return v, true
		}
		v := getenv(env)
		return v, v != ""
	}
	kind := "stdio"
	if v, ok := get("transport", "FASTMCP_TRANSPORT"); ok {
		if kind = parseTransport(v); kind == "" {
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

// parseFlags reads Auto's flags from args; anything else before "--" is an
// error, and -h or --help is flag.ErrHelp.
func parseFlags(args []string) (map[string]string, error) {
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return nil, &argError{fmt.Sprintf("unexpected argument %q", a)}
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if n, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = n, v, true
		}
		if name == "h" || name == "help" {
			return nil, flag.ErrHelp
		}
		f, known := findAutoFlag(name)
		if !known {
			return nil, &argError{fmt.Sprintf("unknown flag %s", a)}
		}
		if !hasValue {
			switch {
			case f.isBool && (i+1 >= len(args) || !isBoolWord(args[i+1])):
				value = "true"
			case i+1 < len(args):
				value = args[i+1]
				i++
			default:
				return nil, &argError{fmt.Sprintf("flag --%s needs a value", name)}
			}
		}
		out[name] = value
	}
	return out, nil
}

// scanFlags picks Auto's flags out of args, ignoring everything else: for a
// look at a command line Auto does not own.
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
		f, known := findAutoFlag(name)
		if !known {
			continue
		}
		if !hasValue {
			switch {
			case f.isBool && (i+1 >= len(args) || !isBoolWord(args[i+1])):
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

// transportKind names the kind of transport t is, or "".
func transportKind(t Transport) string {
	switch t.(type) {
	case Stdio, *Stdio:
		return "stdio"
	case HTTP, *HTTP:
		return "http"
	}
	return ""
}

// parseTransport maps a --transport value to a kind, or "".
func parseTransport(v string) string {
	switch strings.ToLower(v) {
	case "stdio":
		return "stdio"
	case "http", "httpstream", "http-stream", "streamable-http", "streamablehttp":
		return "http"
	}
	return ""
}

// warnOverridden warns when the program serves an explicit transport while
// its command line asks for another with --transport, which only Auto reads:
// "go run ./server --transport http" would otherwise serve stdio silently.
func (s *Server) warnOverridden(t Transport) {
	kind := transportKind(t)
	if kind == "" || len(os.Args) < 2 {
		return
	}
	v, ok := scanFlags(os.Args[1:])["transport"]
	if want := parseTransport(v); !ok || want == "" || want == kind {
		return
	}
	s.logger.Warn(fmt.Sprintf("fastmcp: --transport %s is ignored: the program serves %s, the transport it passes to Start; "+
		"pass nil to let the command line choose (see fastmcp.Auto)", v, kind))
}
