package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var listCommand = &command{
	name:    "list",
	summary: "list a server's tools, resources, templates and prompts",
	usage: `fastmcp list [flags] <server>
fastmcp list [flags] -- <command> [args...]`,
	help: `List connects to the server, lists what it offers and exits. By default it
lists every kind the server declares; --tools, --resources and --prompts
choose (resources include resource templates).

The text output shows each tool with its arguments (name?: optional) and
description. --json prints one JSON object with the lists as the server sent
them ("tools", "resources", "resourceTemplates", "prompts"), for scripts.
--names prints only names (tools, prompts) and URIs (resources), one per line.

Exit status: 0 on success, 2 on bad usage, 3 when the server cannot be
built, started or reached, 4 when it answers a list request with an error.`,
	examples: `fastmcp list ./examples/everything
fastmcp list ./cmd/server --tools --json | jq -r '.tools[].name'
fastmcp list https://example.com/mcp --bearer "$TOKEN"
fastmcp list http://localhost:8080/sse
fastmcp list -- npx -y @modelcontextprotocol/server-everything`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		var cf connFlags
		var tools, resources, prompts, asJSON, names bool
		f.Bool(&tools, "tools", "", "list tools")
		f.Bool(&resources, "resources", "", "list resources and resource templates")
		f.Bool(&prompts, "prompts", "", "list prompts")
		f.Bool(&asJSON, "json", "", "print JSON")
		f.Bool(&names, "names", "", "print only names and URIs, one per line")
		cf.register(f)
		return func(ctx context.Context, args, server []string) int {
			t, rest, err := a.serverArgs(args, server)
			if err == nil && len(rest) > 0 {
				err = usagef("unexpected arguments %q (give the server's own arguments after --)", rest)
			}
			if err != nil {
				return a.fail("list", err)
			}
			sess, code := a.open(ctx, "list", t, &cf, nil)
			if sess == nil {
				return code
			}
			defer sess.Close()
			all := !tools && !resources && !prompts
			caps := sess.InitializeResult().Capabilities
			if caps == nil {
				caps = &mcp.ServerCapabilities{}
			}
			out := listing{}
			if (all || tools) && (caps.Tools != nil || tools) {
				out.Tools, err = collect(sess.Tools(ctx, nil))
				if err != nil {
					return a.fail("list", sess.classify("tools/list", err))
				}
				if out.Tools == nil {
					out.Tools = []*mcp.Tool{}
				}
			}
			if (all || resources) && (caps.Resources != nil || resources) {
				if out.Resources, err = collect(sess.Resources(ctx, nil)); err != nil {
					return a.fail("list", sess.classify("resources/list", err))
				}
				if out.ResourceTemplates, err = collect(sess.ResourceTemplates(ctx, nil)); err != nil {
					return a.fail("list", sess.classify("resources/templates/list", err))
				}
				if out.Resources == nil {
					out.Resources = []*mcp.Resource{}
				}
				if out.ResourceTemplates == nil {
					out.ResourceTemplates = []*mcp.ResourceTemplate{}
				}
			}
			if (all || prompts) && (caps.Prompts != nil || prompts) {
				if out.Prompts, err = collect(sess.Prompts(ctx, nil)); err != nil {
					return a.fail("list", sess.classify("prompts/list", err))
				}
				if out.Prompts == nil {
					out.Prompts = []*mcp.Prompt{}
				}
			}
			switch {
			case asJSON:
				if err := writeJSON(a.stdout, out); err != nil {
					return a.fail("list", err)
				}
			case names:
				out.writeNames(a.stdout)
			default:
				out.writeText(a.stdout, a.colorFor(a.stdout))
			}
			return exitOK
		}
	},
}

// listing is the output of list.
type listing struct {
	Tools             []*mcp.Tool             `json:"tools,omitempty"`
	Resources         []*mcp.Resource         `json:"resources,omitempty"`
	ResourceTemplates []*mcp.ResourceTemplate `json:"resourceTemplates,omitempty"`
	Prompts           []*mcp.Prompt           `json:"prompts,omitempty"`
}

func collect[T any](seq iter.Seq2[*T, error]) ([]*T, error) {
	var out []*T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (l *listing) writeNames(w io.Writer) {
	for _, t := range l.Tools {
		fmt.Fprintln(w, t.Name)
	}
	for _, r := range l.Resources {
		fmt.Fprintln(w, r.URI)
	}
	for _, r := range l.ResourceTemplates {
		fmt.Fprintln(w, r.URITemplate)
	}
	for _, p := range l.Prompts {
		fmt.Fprintln(w, p.Name)
	}
}

func (l *listing) writeText(w io.Writer, p palette) {
	first := true
	section := func(title string, n int) {
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		fmt.Fprintf(w, "%s (%d)\n", p.bold(title), n)
	}
	if l.Tools != nil {
		section("Tools", len(l.Tools))
		for _, t := range l.Tools {
			writeToolLine(w, p, t)
		}
	}
	if l.Resources != nil {
		section("Resources", len(l.Resources))
		for _, r := range l.Resources {
			writeItem(w, p, p.cyan(r.URI), resourceLabel(r.Name, r.Title, r.MIMEType), r.Description)
		}
	}
	if len(l.ResourceTemplates) > 0 {
		section("Resource templates", len(l.ResourceTemplates))
		for _, r := range l.ResourceTemplates {
			writeItem(w, p, p.cyan(r.URITemplate), resourceLabel(r.Name, r.Title, r.MIMEType), r.Description)
		}
	}
	if l.Prompts != nil {
		section("Prompts", len(l.Prompts))
		for _, pr := range l.Prompts {
			writeItem(w, p, p.bold(pr.Name)+"("+promptSignature(pr)+")", "", pr.Description)
		}
	}
}

func writeToolLine(w io.Writer, p palette, t *mcp.Tool) {
	writeItem(w, p, p.bold(t.Name)+"("+signature(asSchema(t.InputSchema))+")", t.Title, t.Description)
}

func writeItem(w io.Writer, p palette, head, label, desc string) {
	line := "  " + head
	if label != "" {
		line += "  " + p.dim(label)
	}
	fmt.Fprintln(w, line)
	if desc = strings.TrimSpace(desc); desc != "" {
		fmt.Fprintln(w, "      "+strings.ReplaceAll(desc, "\n", "\n      "))
	}
}

func resourceLabel(name, title, mime string) string {
	label := name
	if title != "" {
		label = title
	}
	if mime != "" {
		label += " (" + mime + ")"
	}
	return label
}

func promptSignature(pr *mcp.Prompt) string {
	var parts []string
	for _, arg := range pr.Arguments {
		name := arg.Name
		if !arg.Required {
			name += "?"
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", ")
}

// open builds and connects to the server of a one-shot command. On failure
// it reports and returns nil and the exit status.
func (a *app) open(ctx context.Context, cmd string, t *target, cf *connFlags, h *handlers) (*session, int) {
	if err := cf.check(t); err != nil {
		return nil, a.fail(cmd, err)
	}
	var buildOut io.Writer
	if cf.verbose {
		buildOut = a.stderr
		if h == nil {
			h = &handlers{}
		}
		if h.stderr == nil {
			h.stderr = func(line string) { fmt.Fprintln(a.stderr, line) }
		}
	}
	if err := a.build(ctx, t, buildOut); err != nil {
		return nil, a.fail(cmd, err)
	}
	sess, err := a.connect(ctx, t, cf, h)
	if err != nil {
		return nil, a.fail(cmd, err)
	}
	return sess, exitOK
}
