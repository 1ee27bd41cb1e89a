package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var devCommand = &command{
	name:    "dev",
	summary: "run a server with an interactive terminal client",
	usage: `fastmcp dev [flags] <server> [-- server-args...]
fastmcp dev [flags] -- <command> [args...]`,
	help: `Dev builds and starts the server (or connects to its URL) and opens an
interactive client in the terminal. Type help for the commands:

  tools, call <tool> [JSON | key=value ...], describe <tool|prompt>,
  resources, read <uri|template>, prompts, prompt <name> [...],
  complete <prompt|template> <argument> [prefix], loglevel <level>, roots,
  info, ping, reconnect, quit

A tool's name alone calls it. Without arguments, call and prompt ask for each
argument in turn, showing its description, type, choices and default, and
check what you type against the type (an empty answer skips an optional
argument or takes the default; Ctrl-C cancels). Tab completes commands,
names, URIs and, through the server, prompt and template arguments.

While a request runs: log messages and streamed output are printed, progress
is a live bar (on a terminal), and Ctrl-C cancels the request. When the
server asks the client's LLM (sampling), you type the reply, or
--sampling-reply answers every request; when it asks the user
(elicitation), you fill in the form, or --elicitation-reply answers. The
working directory is reported as the client's root.

--watch (Go packages) polls the module's .go files, go.mod and go.sum, and
on a change rebuilds the server and reconnects; a failed build leaves the
running server in place.

Without a terminal (CI, pipes) dev reads commands line by line from stdin,
without colour or redrawing.`,
	examples: `fastmcp dev ./examples/everything
fastmcp dev ./cmd/server --watch
fastmcp dev https://example.com/mcp --bearer "$TOKEN"
fastmcp dev ./examples/sessions --sampling-reply "I am a canned LLM"
printf 'tools\ncall add a=1 b=2\n' | fastmcp dev ./examples/quickstart`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		d := &dev{a: a}
		f.Bool(&d.watch, "watch", "w", "rebuild and reconnect when the Go package's files change")
		f.String(&d.samplingReply, "sampling-reply", "", "TEXT", "answer sampling requests with TEXT instead of asking")
		f.String(&d.elicitReply, "elicitation-reply", "", "JSON|decline|cancel", "answer elicitation requests instead of asking")
		f.String(&d.logLevel, "log-level", "", "LEVEL", "ask the server for log messages from LEVEL up (debug, info, ...;\nthe default is info, or the server's own before 2026-07-28)")
		f.Bool(&d.quiet, "quiet", "q", "do not show the server's stderr")
		f.Duration(&d.pollInterval, "poll", "DURATION", "how often --watch looks at the files (default 500ms)")
		d.cf.register(f)
		return func(ctx context.Context, args, server []string) int {
			d.elicitSet = f.Set("elicitation-reply")
			d.samplingSet = f.Set("sampling-reply")
			return d.main(ctx, args, server)
		}
	},
}

// dev is the interactive client.
type dev struct {
	a  *app
	cf connFlags

	watch         bool
	samplingReply string
	samplingSet   bool
	elicitReply   string
	elicitSet     bool
	logLevel      string
	quiet         bool
	pollInterval  time.Duration

	t   *target
	con *console
	p   palette

	// busy is held while a command runs, and by a reload.
	busy sync.Mutex

	mu        sync.Mutex
	sess      *session
	tools     []*mcp.Tool
	prompts   []*mcp.Prompt
	resources []*mcp.Resource
	templates []*mcp.ResourceTemplate
	// cancel cancels the running request, if any.
	cancel context.CancelFunc
	// token is the progress token of the running call.
	token string

	// asks holds the server's requests (sampling, elicitation) waiting for
	// the user; wake is signalled when one is added.
	asks []*ask
	wake chan struct{}

	progressID atomic.Int64
	closed     atomic.Bool
}

// ask is a request from the server waiting for the user's answer.
type ask struct {
	sampling *mcp.CreateMessageRequest
	elicit   *mcp.ElicitRequest
	ctx      context.Context
	reply    chan askReply
}

type askReply struct {
	result mcp.Result
	err    error
}

func (d *dev) main(ctx context.Context, args, server []string) int {
	t, rest, err := d.a.serverArgs(args, server)
	if err == nil && len(rest) > 0 {
		err = usagef("unexpected arguments %q (give the server's own arguments after --)", rest)
	}
	if err == nil {
		err = d.cf.check(t)
	}
	if err == nil && d.watch && (t.kind != kindGo || !isLocalPath(t.pkg)) {
		err = usagef("--watch rebuilds a Go package in a local directory; %s is not one", t.display)
	}
	if err == nil && d.elicitSet {
		_, _, err = parseElicitReply(d.elicitReply)
	}
	if err != nil {
		return d.a.fail("dev", err)
	}
	d.t = t
	d.p = d.a.colorFor(d.a.stdout)
	d.con = newConsole(d.a.stdin, d.a.stdout, d.p)
	d.wake = make(chan struct{}, 1)

	// dev takes SIGINT over: it cancels the running request.
	if d.a.stopSignals != nil {
		d.a.stopSignals()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	go d.onSignals(sigs)

	ctx, cancelAll := context.WithCancel(ctx)
	defer cancelAll()
	var w *watcher
	if d.watch {
		// The first scan comes before the first build, so that a change
		// made while it builds is seen.
		w = newWatcher(t.pkg, d.pollInterval)
		d.con.println(d.p.dim("Watching " + w.root + " for changes."))
	}
	if err := d.connect(ctx, "Connecting to"); err != nil {
		d.con.println(d.p.red("error: ") + err.Error())
		if !d.watch {
			return exitStatus(err)
		}
		d.con.println(d.p.dim("Waiting for a change to the files to try again (Ctrl-D quits)."))
	}
	if w != nil {
		go d.watchLoop(ctx, w)
	}
	defer func() {
		// Stop a reload in progress, wait for it, then end the session.
		d.closed.Store(true)
		cancelAll()
		d.busy.Lock()
		defer d.busy.Unlock()
		d.mu.Lock()
		s := d.sess
		d.sess = nil
		d.mu.Unlock()
		s.Close()
	}()

	for {
		d.answerAsks()
		line, err := d.con.readLine(d.prompt(), d.completeLine)
		if errors.Is(err, errInterrupt) {
			d.con.println(d.p.dim("(Ctrl-C: type quit or press Ctrl-D to leave)"))
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				d.con.println(d.p.red("error: ") + err.Error())
			}
			return exitOK
		}
		if quit := d.exec(ctx, strings.TrimSpace(line)); quit {
			return exitOK
		}
	}
}

func (d *dev) prompt() string {
	return d.p.bold("mcp") + "> "
}

// onSignals handles SIGINT: it cancels the running request; with none
// running (only possible off a terminal, since the line editor reads Ctrl-C
// as a key), it ends dev.
func (d *dev) onSignals(sigs chan os.Signal) {
	for range sigs {
		d.mu.Lock()
		cancel := d.cancel
		d.mu.Unlock()
		if cancel != nil {
			d.con.clearBar()
			d.con.println(d.p.yellow("cancelling the request…"))
			cancel()
			continue
		}
		d.mu.Lock()
		s := d.sess
		d.mu.Unlock()
		s.Close()
		os.Exit(exitSignal)
	}
}

// connect builds the server if needed and connects, replacing the current
// session.
func (d *dev) connect(ctx context.Context, verb string) error {
	d.con.println(d.p.dim(verb + " " + d.t.display + "…"))
	var buildOut io.Writer
	if d.cf.verbose {
		buildOut = &lineWriter{fn: func(l string) { d.con.println(d.p.dim(l)) }}
	}
	if err := d.a.build(ctx, d.t, buildOut); err != nil {
		return err
	}
	h := &handlers{
		log: func(m *mcp.LoggingMessageParams) { d.con.println(logLine(d.p, m)) },
		progress: func(m *mcp.ProgressNotificationParams) {
			// Progress of a request that has ended is not shown.
			d.mu.Lock()
			active := d.token != "" && fmt.Sprint(m.ProgressToken) == d.token
			d.mu.Unlock()
			if active {
				d.con.progress(progressBar(d.p, m.Progress, m.Total, m.Message, 30))
			}
		},
		stream: func(sc *streamContent) {
			if text := rawContentText(sc.Content); text != "" {
				d.con.println(d.p.cyan("│ ") + strings.ReplaceAll(text, "\n", "\n"+d.p.cyan("│ ")))
			}
		},
		sampling: d.onSampling,
		elicit:   d.onElicit,
		listChanged: func(kind string) {
			d.con.println(d.p.dim("(the server's " + kind + " changed)"))
			go d.refresh(context.Background())
		},
		resourceUpdated: func(uri string) { d.con.println(d.p.dim("(resource updated: " + uri + ")")) },
	}
	if !d.quiet {
		h.stderr = func(line string) { d.con.println(d.p.dim("server│ " + line)) }
	}
	sess, err := d.a.connect(ctx, d.t, &d.cf, h)
	if err != nil {
		return err
	}
	d.mu.Lock()
	old := d.sess
	d.sess = sess
	d.mu.Unlock()
	if old != nil {
		old.Close()
	}
	if d.logLevel != "" && !sess.modern() {
		if err := sess.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: mcp.LoggingLevel(d.logLevel)}); err != nil {
			d.con.println(d.p.yellow("warning: ") + "setting the log level: " + sess.classify("logging/setLevel", err).Error())
		}
	}
	d.refresh(ctx)
	d.banner(sess)
	return nil
}

func (d *dev) banner(sess *session) {
	init := sess.InitializeResult()
	name := init.ServerInfo.Name
	if init.ServerInfo.Title != "" {
		name = init.ServerInfo.Title
	}
	d.con.printf("Connected to %s %s over %s (protocol %s)", d.p.bold(name), init.ServerInfo.Version, sess.transportName(&d.cf), init.ProtocolVersion)
	if ins := strings.TrimSpace(init.Instructions); ins != "" {
		d.con.println(d.p.dim(ins))
	}
	d.mu.Lock()
	counts := fmt.Sprintf("%s, %s, %s, %s.", plural(len(d.tools), "tool"), plural(len(d.resources), "resource"), plural(len(d.templates), "resource template"), plural(len(d.prompts), "prompt"))
	d.mu.Unlock()
	d.con.println(counts + " Type help for commands; Tab completes; Ctrl-D quits.")
}

// refresh reloads the lists used for completion and by name.
func (d *dev) refresh(ctx context.Context) {
	sess := d.session()
	if sess == nil {
		return
	}
	caps := sess.InitializeResult().Capabilities
	if caps == nil {
		caps = &mcp.ServerCapabilities{}
	}
	var tools []*mcp.Tool
	var prompts []*mcp.Prompt
	var resources []*mcp.Resource
	var templates []*mcp.ResourceTemplate
	if caps.Tools != nil {
		tools, _ = collect(sess.Tools(ctx, nil))
	}
	if caps.Prompts != nil {
		prompts, _ = collect(sess.Prompts(ctx, nil))
	}
	if caps.Resources != nil {
		resources, _ = collect(sess.Resources(ctx, nil))
		templates, _ = collect(sess.ResourceTemplates(ctx, nil))
	}
	d.mu.Lock()
	if d.sess == sess {
		d.tools, d.prompts, d.resources, d.templates = tools, prompts, resources, templates
	}
	d.mu.Unlock()
}

func (d *dev) session() *session {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sess
}

// request runs fn as the current request: Ctrl-C cancels it, and the
// server's questions (sampling, elicitation) are put to the user while it
// runs.
func (d *dev) request(ctx context.Context, fn func(ctx context.Context, s *session) error) error {
	sess := d.session()
	if sess == nil {
		return errors.New("not connected (type reconnect)")
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.mu.Lock()
	d.cancel = cancel
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.cancel = nil
		d.mu.Unlock()
	}()
	done := make(chan error, 1)
	go func() { done <- fn(rctx, sess) }()
	for {
		select {
		case err := <-done:
			d.con.clearBar()
			if errors.Is(err, context.Canceled) && ctx.Err() == nil {
				return errors.New("cancelled")
			}
			return err
		case <-d.wake:
			d.answerAsks()
		}
	}
}

// queue hands a server request to the user and waits for the answer.
func (d *dev) queue(ctx context.Context, k *ask) (mcp.Result, error) {
	k.ctx = ctx
	k.reply = make(chan askReply, 1)
	d.mu.Lock()
	d.asks = append(d.asks, k)
	idle := d.cancel == nil
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	if idle {
		d.con.println(d.p.yellow("The server is asking you something: press Enter to answer."))
	}
	select {
	case r := <-k.reply:
		return r.result, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// answerAsks puts the waiting requests to the user, in order.
func (d *dev) answerAsks() {
	for {
		d.mu.Lock()
		if len(d.asks) == 0 {
			d.mu.Unlock()
			return
		}
		k := d.asks[0]
		d.asks = d.asks[1:]
		d.mu.Unlock()
		if k.ctx.Err() != nil {
			continue // the server gave up
		}
		var r askReply
		if k.sampling != nil {
			r.result, r.err = d.askSampling(k.sampling)
		} else {
			r.result, r.err = d.askElicit(k.elicit)
		}
		k.reply <- r
	}
}

func (d *dev) onSampling(ctx context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	if d.samplingSet {
		d.con.println(d.p.dim("(sampling request answered with --sampling-reply)"))
		return cannedSampling(d.samplingReply)(ctx, req)
	}
	res, err := d.queue(ctx, &ask{sampling: req})
	if err != nil {
		return nil, err
	}
	return res.(*mcp.CreateMessageResult), nil
}

func (d *dev) onElicit(ctx context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	if d.elicitSet {
		action, content, _ := parseElicitReply(d.elicitReply)
		d.con.println(d.p.dim("(elicitation answered with --elicitation-reply: " + action + ")"))
		return &mcp.ElicitResult{Action: action, Content: content}, nil
	}
	res, err := d.queue(ctx, &ask{elicit: req})
	if err != nil {
		return nil, err
	}
	return res.(*mcp.ElicitResult), nil
}

func (d *dev) askSampling(req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	p := req.Params
	d.con.println(d.p.yellow("The server asks for an LLM completion (sampling)") + d.p.dim(fmt.Sprintf(", at most %d tokens:", p.MaxTokens)))
	if p.SystemPrompt != "" {
		d.con.println("  " + d.p.dim("[system]") + " " + p.SystemPrompt)
	}
	for _, m := range p.Messages {
		text := "[" + contentKind(m.Content) + "]"
		if t, ok := m.Content.(*mcp.TextContent); ok {
			text = t.Text
		}
		d.con.println("  " + d.p.dim("["+string(m.Role)+"]") + " " + strings.ReplaceAll(text, "\n", "\n  "))
	}
	d.con.println(d.p.dim("Type the assistant's reply; an empty line declines."))
	line, err := d.con.readLine("reply> ", nil)
	if err != nil || strings.TrimSpace(line) == "" {
		d.con.println(d.p.dim("(declined)"))
		return nil, declined()
	}
	return &mcp.CreateMessageResult{
		Role:       "assistant",
		Content:    &mcp.TextContent{Text: line},
		Model:      "fastmcp-dev (typed by a person)",
		StopReason: "endTurn",
	}, nil
}

func contentKind(c mcp.Content) string {
	if c == nil {
		return "empty"
	}
	b, _ := json.Marshal(c)
	var k struct {
		Type string `json:"type"`
	}
	json.Unmarshal(b, &k)
	return k.Type
}

func (d *dev) askElicit(req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	p := req.Params
	if p.Mode == "url" || p.URL != "" {
		d.con.println(d.p.yellow("The server asks you to open a URL: ") + p.Message)
		d.con.println("  " + d.p.cyan(p.URL))
		line, err := d.con.readLine("Done? (y)es, (n)o to decline, (c)ancel [y]: ", nil)
		if err != nil {
			return &mcp.ElicitResult{Action: "cancel"}, nil
		}
		return &mcp.ElicitResult{Action: elicitAction(line)}, nil
	}
	d.con.println(d.p.yellow("The server asks: ") + p.Message)
	line, err := d.con.readLine("Answer? (y)es, (n)o to decline, (c)ancel [y]: ", nil)
	if err != nil {
		return &mcp.ElicitResult{Action: "cancel"}, nil
	}
	action := elicitAction(line)
	if action != "accept" {
		d.con.println(d.p.dim("(" + action + ")"))
		return &mcp.ElicitResult{Action: action}, nil
	}
	s := asSchema(p.RequestedSchema)
	content, err := d.fillForm(s, s, "", nil)
	if err != nil {
		d.con.println(d.p.dim("(cancelled)"))
		return &mcp.ElicitResult{Action: "cancel"}, nil
	}
	return &mcp.ElicitResult{Action: "accept", Content: content}, nil
}

func elicitAction(line string) string {
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "n", "no", "d", "decline":
		return "decline"
	case "c", "cancel":
		return "cancel"
	}
	return "accept"
}

// fillForm asks for each property of an object schema. complete, when
// set, completes a field's value.
func (d *dev) fillForm(s, root schema, prefix string, complete func(name, typed string) []string) (map[string]any, error) {
	out := map[string]any{}
	fields := s.fields(root)
	for _, f := range fields {
		v, set, err := d.askField(f, root, prefix, complete)
		if err != nil {
			return nil, err
		}
		if set {
			out[f.name] = v
		}
	}
	return out, nil
}

func (d *dev) askField(f field, root schema, prefix string, complete func(name, typed string) []string) (any, bool, error) {
	name := prefix + f.name
	info := "  " + d.p.bold(name) + d.p.dim(" ("+f.s.typeLabel(root))
	if f.required {
		info += d.p.dim(", required")
	}
	info += d.p.dim(")")
	if desc := firstNonEmpty(f.s.str("description"), f.s.str("title")); desc != "" {
		info += " " + desc
	}
	d.con.println(info)
	def, hasDef := f.s.def()
	props := f.s.sub("properties")
	if f.s.mainType() == "object" && props != nil && len(props) > 0 {
		for !f.required {
			line, err := d.con.readLine("  "+name+" — fill in? (y/N, or a JSON object): ", nil)
			if err != nil {
				return nil, false, err
			}
			line = strings.TrimSpace(line)
			switch strings.ToLower(line) {
			case "", "n", "no":
				return nil, false, nil
			case "y", "yes":
				v, err := d.fillForm(f.s, root, name+".", complete)
				return v, err == nil, err
			}
			if strings.HasPrefix(line, "{") {
				if v, err := parseInput(f.s, root, line); err == nil {
					return v, true, nil
				}
			}
			d.con.println(d.p.yellow("  answer y, n or a JSON object"))
		}
		v, err := d.fillForm(f.s, root, name+".", complete)
		return v, err == nil, err
	}
	prompt := "  " + name
	if hasDef {
		prompt += " [" + valueLabel(def) + "]"
	}
	prompt += ": "
	var comp completer
	if complete != nil {
		comp = func(line string) (string, []string) {
			return completeFrom(line, complete(f.name, line))
		}
	} else if cs := f.s.choices(); len(cs) > 0 {
		var vs []string
		for _, c := range cs {
			vs = append(vs, valueLabel(c.value))
		}
		comp = func(line string) (string, []string) { return completeFrom(line, vs) }
	}
	for {
		line, err := d.con.readLine(prompt, comp)
		if err != nil {
			return nil, false, err
		}
		if strings.TrimSpace(line) == "" {
			switch {
			case hasDef:
				return def, true, nil
			case !f.required:
				return nil, false, nil
			}
			d.con.println(d.p.yellow("  a value is required") + d.p.dim(" (Ctrl-C cancels)"))
			continue
		}
		v, err := parseInput(f.s, root, line)
		if err != nil {
			d.con.println(d.p.yellow("  " + err.Error()))
			continue
		}
		return v, true, nil
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// completeFrom completes line from candidates that start with it: to the
// longest common prefix, listing them when several remain.
func completeFrom(line string, candidates []string) (string, []string) {
	var match []string
	for _, c := range candidates {
		if strings.HasPrefix(c, line) {
			match = append(match, c)
		}
	}
	sort.Strings(match)
	switch len(match) {
	case 0:
		return line, nil
	case 1:
		return match[0], nil
	}
	prefix := match[0]
	for _, m := range match[1:] {
		for !strings.HasPrefix(m, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	return prefix, match
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
