package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorFor reports whether to colour what goes to w: only on a terminal,
// never with NO_COLOR set (https://no-color.org) or TERM=dumb.
func (a *app) colorFor(w io.Writer) palette {
	if a.getenv("NO_COLOR") != "" || a.getenv("TERM") == "dumb" {
		return palette{}
	}
	return palette{on: isTerminal(w)}
}

// palette colours text with ANSI escapes, or not at all.
type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) bold(s string) string   { return p.wrap("1", s) }
func (p palette) dim(s string) string    { return p.wrap("2", s) }
func (p palette) red(s string) string    { return p.wrap("31", s) }
func (p palette) green(s string) string  { return p.wrap("32", s) }
func (p palette) yellow(s string) string { return p.wrap("33", s) }
func (p palette) blue(s string) string   { return p.wrap("34", s) }
func (p palette) cyan(s string) string   { return p.wrap("36", s) }

// levelColor colours a log level by severity.
func (p palette) level(l mcp.LoggingLevel) string {
	s := string(l)
	switch l {
	case "debug":
		return p.dim(s)
	case "info", "notice":
		return p.blue(s)
	case "warning":
		return p.yellow(s)
	default:
		return p.red(s)
	}
}

// writeContent writes content blocks for a person: text as it is, other
// blocks as a one-line summary (with the text of embedded text resources).
func writeContent(w io.Writer, p palette, blocks []mcp.Content) {
	for _, b := range blocks {
		switch c := b.(type) {
		case *mcp.TextContent:
			fmt.Fprintln(w, c.Text)
		case *mcp.ImageContent:
			fmt.Fprintln(w, p.dim(fmt.Sprintf("[image %s, %d bytes]", c.MIMEType, len(c.Data))))
		case *mcp.AudioContent:
			fmt.Fprintln(w, p.dim(fmt.Sprintf("[audio %s, %d bytes]", c.MIMEType, len(c.Data))))
		case *mcp.ResourceLink:
			label := c.Name
			if c.Title != "" {
				label = c.Title
			}
			fmt.Fprintln(w, p.dim("[link]")+" "+label+" "+p.cyan(c.URI))
		case *mcp.EmbeddedResource:
			writeResourceContents(w, p, c.Resource)
		default:
			raw, _ := json.Marshal(b)
			fmt.Fprintln(w, string(raw))
		}
	}
}

func writeResourceContents(w io.Writer, p palette, r *mcp.ResourceContents) {
	if r == nil {
		return
	}
	head := "[resource " + r.URI
	if r.MIMEType != "" {
		head += " " + r.MIMEType
	}
	if r.Blob != nil {
		fmt.Fprintln(w, p.dim(fmt.Sprintf("%s, %d bytes]", head, len(r.Blob))))
		return
	}
	fmt.Fprintln(w, p.dim(head+"]"))
	fmt.Fprintln(w, r.Text)
}

// rawContentText returns the text of raw content blocks (streamed
// content), summarizing the others.
func rawContentText(blocks []json.RawMessage) string {
	var parts []string
	for _, raw := range blocks {
		var c struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			MIMEType string `json:"mimeType"`
			Data     string `json:"data"`
			URI      string `json:"uri"`
		}
		if json.Unmarshal(raw, &c) != nil {
			continue
		}
		switch c.Type {
		case "text":
			parts = append(parts, c.Text)
		case "image", "audio":
			n, _ := base64.StdEncoding.DecodeString(c.Data)
			parts = append(parts, fmt.Sprintf("[%s %s, %d bytes]", c.Type, c.MIMEType, len(n)))
		default:
			parts = append(parts, "["+c.Type+"]")
		}
	}
	return strings.Join(parts, "\n")
}

// toolText joins the text blocks of a result.
func toolText(res *mcp.CallToolResult) string {
	var parts []string
	for _, b := range res.Content {
		if t, ok := b.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// logData renders the data of a log notification: a string as it is,
// anything else as compact JSON.
func logData(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// progressBar renders progress: a bar when the total is known, the count
// otherwise.
func progressBar(p palette, progress, total float64, message string, width int) string {
	if width < 10 {
		width = 10
	}
	var s string
	if total > 0 {
		frac := min(max(progress/total, 0), 1)
		filled := int(frac * float64(width))
		bar := strings.Repeat("=", filled)
		if filled < width {
			bar += ">" + strings.Repeat(" ", width-filled-1)
		}
		s = fmt.Sprintf("[%s] %3.0f%%", p.green(bar), frac*100)
	} else {
		s = fmt.Sprintf("[progress %v]", progress)
	}
	if message != "" {
		s += " " + message
	}
	return s
}
