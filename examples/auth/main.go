// Command auth is an MCP server over HTTP guarded by API keys, with access
// checks on its tools, resources and prompts, custom HTTP routes, and OAuth
// discovery.
//
//	go run ./examples/auth                          # http://127.0.0.1:8080/mcp
//	go run ./examples/auth --port 9000 --keys keys.json
//
// A client sends its key in the X-API-Key header (or as Authorization: Bearer
// <key>); a request carrying two different keys, one in each, is refused with
// 401 rather than served as either user. The built-in demonstration keys are
//
//	admin-key  user alice, role admin, scopes read and write
//	user-key   user bob, role user, scope read
//
// What each caller sees and may use:
//
//	whoami         tool      any authenticated caller: {"userId", "role", "scopes"}
//	write_note     tool      scope write (alice)
//	admin_action   tool      role admin (alice)
//	notes://all    resource  scope read (alice and bob): the notes written so far
//	admin_report   prompt    role admin (alice)
//	GET /api/status          public: {"ok": true}
//	GET /api/me              any authenticated caller: its user data, never its key
//
// A caller without the right role or scope does not see the item in the lists,
// and calling it directly fails as for an item that does not exist (a hidden
// tool is an "Unknown tool"). A request without a key, or with a wrong one, is
// answered 401 with a WWW-Authenticate challenge naming the OAuth protected
// resource metadata, which is served at
// /.well-known/oauth-protected-resource and
// /.well-known/oauth-protected-resource/mcp.
//
// Flags:
//
//	--host HOST              listen host (default FASTMCP_HOST, else 127.0.0.1)
//	--port N                 listen port, 0 for a free one (default FASTMCP_PORT, else 8080)
//	--keys FILE              API keys from FILE instead of the built-in ones
//	--keys-env VAR           API keys from the environment variable VAR instead
//	--keys-poll DURATION     reread FILE and VAR at this period (rotation without restart)
//	--resource URL           the protected resource identifier (default: the URL of /mcp as reached)
//	--authorization-server URL[,URL...]  authorization servers to advertise (default none)
//	--resource-name NAME     the resource_name of the metadata
//
// A key file is JSON or lines of "key subject [roles [scopes]]" (see
// auth.APIKeysOptions.File); both --keys and --keys-env may be given, and their
// keys are merged:
//
//	printf 'k-ops carol admin read,write\nk-ro dave user read\n' > keys.txt
//	go run ./examples/auth --keys keys.txt --keys-poll 10s
//	MCP_KEYS='k-ops carol admin read,write; k-ro dave user read' go run ./examples/auth --keys-env MCP_KEYS
//
// Try it with curl:
//
//	curl -s localhost:8080/api/status
//	curl -s -H 'X-API-Key: user-key' localhost:8080/api/me
//	curl -si localhost:8080/api/me                  # 401 with WWW-Authenticate
//	curl -s localhost:8080/.well-known/oauth-protected-resource/mcp
//
// and a tool call in the sessionless 2026-07-28 revision, one POST:
//
//	curl -s localhost:8080/mcp -H 'X-API-Key: admin-key' \
//	     -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
//	     -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: whoami' \
//	     -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{},
//	          "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",
//	                   "io.modelcontextprotocol/clientCapabilities":{}}}}'
//
// With -H 'X-API-Key: user-key' and the tool admin_action, the same call
// answers the JSON-RPC error -32602 "Unknown tool: admin_action".
//
// Or point an MCP client (such as the MCP Inspector) at
// http://127.0.0.1:8080/mcp with the header X-API-Key: admin-key.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

// demoKeys are the keys used when neither --keys nor --keys-env is given.
var demoKeys = map[string]auth.User{
	"admin-key": {Subject: "alice", Roles: []string{"admin"}, Scopes: []string{"read", "write"}},
	"user-key":  {Subject: "bob", Roles: []string{"user"}, Scopes: []string{"read"}},
}

// Scopes and roles the access checks use.
const (
	scopeRead  = "read"
	scopeWrite = "write"
	roleAdmin  = "admin"
	notesURI   = "notes://all"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Getenv, os.Stderr, slog.Default(), nil)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		log.Fatal(err)
	}
}

// config is the command line.
type config struct {
	host        string
	port        int
	keysFile    string
	keysEnv     string
	keysPoll    time.Duration
	resource    string
	authServers []string
	name        string
}

// parseFlags reads the command line; defaults for host and port come from
// FASTMCP_HOST and FASTMCP_PORT, as for fastmcp.Auto.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("auth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defHost := cmp.Or(getenv("FASTMCP_HOST"), fastmcp.DefaultHTTPHost)
	defPort := fastmcp.DefaultHTTPPort
	if v := getenv("FASTMCP_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("FASTMCP_PORT: invalid port %q", v)
		}
		defPort = n
	}
	fs.StringVar(&c.host, "host", defHost, "listen host")
	fs.IntVar(&c.port, "port", defPort, "listen port; 0 for a free one")
	fs.StringVar(&c.keysFile, "keys", "", "read API keys from this `file` instead of the built-in demonstration keys")
	fs.StringVar(&c.keysEnv, "keys-env", "", "read API keys from this environment `variable` instead of the built-in ones")
	fs.DurationVar(&c.keysPoll, "keys-poll", 0, "reread --keys and --keys-env at this period; 0 disables")
	fs.StringVar(&c.resource, "resource", "", "protected resource identifier (`URL`); default: the /mcp URL as reached")
	fs.Func("authorization-server", "comma-separated issuer `URLs` of the authorization servers to advertise", func(v string) error {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.authServers = append(c.authServers, s)
			}
		}
		return nil
	})
	fs.StringVar(&c.name, "resource-name", "FastMCP auth example", "human-readable resource_name of the metadata")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.port < 0 || c.port > 65535 {
		return c, fmt.Errorf("invalid port %d", c.port)
	}
	return c, nil
}

// run serves the example until ctx ends or a signal arrives. onListen, when
// set, receives the listening address.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, logger *slog.Logger, onListen func(net.Addr)) error {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	keys, err := newKeys(cfg)
	if err != nil {
		return err
	}
	defer keys.Close()
	server := newServer(keys, oauthDiscovery(cfg), logger)
	port := cfg.port
	if port == 0 {
		port = -1 // fastmcp.HTTP: a free port
	}
	return server.Start(ctx, fastmcp.HTTP{Host: cfg.host, Port: port, OnListen: onListen})
}

// newKeys returns the API key verifier: the demonstration keys, or those of
// --keys and --keys-env. Keys may also be sent as Authorization: Bearer, the
// method the OAuth metadata advertises.
func newKeys(cfg config) (*auth.APIKeys, error) {
	opts := auth.APIKeysOptions{
		Header:       "X-API-Key",
		Bearer:       true,
		File:         cfg.keysFile,
		Env:          cfg.keysEnv,
		PollInterval: cfg.keysPoll,
	}
	if cfg.keysFile == "" && cfg.keysEnv == "" {
		opts.Keys = demoKeys
	}
	return auth.NewAPIKeys(opts)
}

// oauthDiscovery describes the server as an OAuth protected resource (RFC
// 9728).
func oauthDiscovery(cfg config) *fastmcp.OAuthDiscovery {
	return &fastmcp.OAuthDiscovery{ProtectedResource: fastmcp.ProtectedResourceMetadata{
		Resource:               cfg.resource,
		AuthorizationServers:   cfg.authServers,
		ScopesSupported:        []string{scopeRead, scopeWrite},
		BearerMethodsSupported: []string{"header"},
		ResourceName:           cfg.name,
	}}
}

// UserInfo is what whoami and GET /api/me answer: who the caller is, without
// the key.
type UserInfo struct {
	UserID string   `json:"userId" jsonschema:"the user's subject"`
	Role   string   `json:"role" jsonschema:"the user's first role, empty when none"`
	Scopes []string `json:"scopes" jsonschema:"the scopes granted"`
}

// userInfo describes u.
func userInfo(u *auth.User) UserInfo {
	info := UserInfo{UserID: u.Subject, Scopes: slices.Clone(u.Scopes)}
	if len(u.Roles) > 0 {
		info.Role = u.Roles[0]
	}
	if info.Scopes == nil {
		info.Scopes = []string{}
	}
	return info
}

// Note is a note written with write_note.
type Note struct {
	ID     int    `json:"id" jsonschema:"the note's number, from 1"`
	Author string `json:"author" jsonschema:"the user who wrote it"`
	Text   string `json:"text" jsonschema:"the note"`
}

// NoteArgs are the arguments of write_note.
type NoteArgs struct {
	Text string `json:"text" jsonschema:"the note" minLength:"1" maxLength:"1000"`
}

// AdminActionArgs are the arguments of admin_action.
type AdminActionArgs struct {
	Action string `json:"action" jsonschema:"what to do: ping checks the server, clear_notes deletes every note" enum:"ping,clear_notes"`
}

// AdminActionResult is the result of admin_action.
type AdminActionResult struct {
	Action      string `json:"action" jsonschema:"the action performed"`
	PerformedBy string `json:"performedBy" jsonschema:"the admin who performed it"`
	Detail      string `json:"detail" jsonschema:"what happened"`
}

// notebook holds the notes and the admin actions, shared by every session.
type notebook struct {
	mu      sync.Mutex
	notes   []Note
	nextID  int
	actions []string
}

func (nb *notebook) add(author, text string) Note {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	nb.nextID++
	n := Note{ID: nb.nextID, Author: author, Text: text}
	nb.notes = append(nb.notes, n)
	return n
}

func (nb *notebook) list() []Note {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	return append([]Note{}, nb.notes...)
}

func (nb *notebook) clear() int {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	n := len(nb.notes)
	nb.notes = nil
	return n
}

func (nb *notebook) logAction(s string) {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	nb.actions = append(nb.actions, s)
}

func (nb *notebook) actionLog() []string {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	return slices.Clone(nb.actions)
}

// newServer returns the example server, authenticating with a and serving
// the OAuth discovery documents of oauth.
func newServer(a fastmcp.Authenticator, oauth *fastmcp.OAuthDiscovery, logger *slog.Logger) *fastmcp.Server {
	server := fastmcp.New(fastmcp.Options{
		Name:         "fastmcp-auth",
		Version:      "1.0.0",
		Instructions: "Notes guarded by API keys: whoami tells who you are; write_note needs scope write; admin tools need role admin.",
		Logger:       logger,
		Authenticate: a,
		OAuth:        oauth,
	})
	nb := &notebook{}

	fastmcp.AddTool(server, fastmcp.Tool{Name: "whoami", Description: "The calling user: id, role and scopes",
		Annotations: &fastmcp.ToolAnnotations{ReadOnlyHint: fastmcp.Bool(true)}},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (UserInfo, error) {
			u, err := fastmcp.AuthSession[*auth.User](ctx)
			if err != nil {
				return UserInfo{}, err
			}
			return userInfo(u), nil
		})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "write_note", Description: "Write a note (needs scope write)",
		CanAccess: fastmcp.RequireScopes(scopeWrite)},
		func(ctx *fastmcp.Context, args NoteArgs) (Note, error) {
			u, err := fastmcp.AuthSession[*auth.User](ctx)
			if err != nil {
				return Note{}, err
			}
			n := nb.add(u.Subject, args.Text)
			server.ResourceUpdated(notesURI)
			return n, nil
		})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "admin_action", Description: "Perform an administrative action (role admin only)",
		CanAccess: fastmcp.RequireRole(roleAdmin)},
		func(ctx *fastmcp.Context, args AdminActionArgs) (AdminActionResult, error) {
			u, err := fastmcp.AuthSession[*auth.User](ctx)
			if err != nil {
				return AdminActionResult{}, err
			}
			res := AdminActionResult{Action: args.Action, PerformedBy: u.Subject}
			switch args.Action {
			case "ping":
				res.Detail = "pong"
			case "clear_notes":
				res.Detail = fmt.Sprintf("cleared %d notes", nb.clear())
				server.ResourceUpdated(notesURI)
			}
			nb.logAction(u.Subject + ": " + args.Action)
			return res, nil
		})

	server.AddResource(fastmcp.Resource{URI: notesURI, Name: "notes", Title: "All notes",
		Description: "Every note written with write_note (needs scope read)", MIMEType: "application/json",
		CanAccess: fastmcp.RequireScopes(scopeRead),
		Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
			b, err := json.Marshal(map[string]any{"notes": nb.list()})
			if err != nil {
				return nil, err
			}
			return []*fastmcp.ResourceContents{{Text: string(b)}}, nil
		}})

	fastmcp.AddPrompt(server, fastmcp.Prompt{Name: "admin_report", Description: "Ask for a report on the notes and admin actions (role admin only)",
		CanAccess: fastmcp.RequireRole(roleAdmin)},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			u, err := fastmcp.AuthSession[*auth.User](ctx)
			if err != nil {
				return "", err
			}
			return adminReport(u.Subject, nb.list(), nb.actionLog()), nil
		})

	server.RouteFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]bool{"ok": true})
	}, fastmcp.RouteOptions{Public: true})

	// Not public: the server authenticates the request before the handler
	// runs, so a user is always there.
	server.RouteFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		u, ok := auth.UserFromRequest(r)
		if !ok {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		writeJSON(w, userInfo(u))
	}, fastmcp.RouteOptions{})

	return server
}

// adminReport is the text of the admin_report prompt.
func adminReport(admin string, notes []Note, actions []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Write a short status report for the administrator %s.\n\n", admin)
	fmt.Fprintf(&b, "Notes (%d):\n", len(notes))
	for _, n := range notes {
		fmt.Fprintf(&b, "- #%d by %s: %s\n", n.ID, n.Author, n.Text)
	}
	fmt.Fprintf(&b, "\nAdmin actions (%d):\n", len(actions))
	for _, a := range actions {
		fmt.Fprintf(&b, "- %s\n", a)
	}
	return b.String()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
