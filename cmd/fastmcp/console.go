package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/term"
)

// errInterrupt is returned by readLine when the user pressed Ctrl-C.
var errInterrupt = errors.New("interrupted")

// console is the terminal of dev: lines read with a prompt, and output
// that may arrive at any time (logs, progress, the server's stderr) without
// garbling the line being typed.
//
// On a terminal, input is read by golang.org/x/term's line editor (history,
// cursor keys, Tab completion) in raw mode, switched on only while a line is
// read: between prompts the terminal is in its normal mode, so Ctrl-C sends
// SIGINT, which dev uses to cancel the running request. Off a terminal
// (pipes, CI), lines are read plainly and nothing is redrawn.
type console struct {
	p   palette
	tty bool

	mu      sync.Mutex
	out     io.Writer // term.Terminal on a terminal, stdout otherwise
	reading bool      // a prompt is displayed
	bar     string    // the progress bar displayed on the last line, or ""

	// terminal only
	fd     int
	t      *term.Terminal
	keys   *keyReader
	stdout io.Writer
	width  int

	// plain only
	in *bufio.Reader
}

// newConsole returns a console on stdin and stdout: a terminal one when
// both are terminals.
func newConsole(stdin io.Reader, stdout io.Writer, p palette) *console {
	c := &console{p: p}
	inF, inOK := stdin.(*os.File)
	if inOK && isTerminal(stdin) && isTerminal(stdout) {
		c.tty = true
		c.fd = int(inF.Fd())
		c.keys = &keyReader{r: stdin}
		c.stdout = stdout
		c.resetTerminal()
		c.width = 80
		if w, _, err := term.GetSize(int(stdout.(*os.File).Fd())); err == nil && w > 0 {
			c.width = w
		}
		return c
	}
	c.out = stdout
	c.in = bufio.NewReader(stdin)
	return c
}

// println writes a line (or several) of output. A progress bar on the last
// line moves below it.
func (c *console) println(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bar == "" {
		io.WriteString(c.out, s+"\n")
		return
	}
	io.WriteString(c.out, "\r\x1b[K"+s+"\n"+c.bar)
}

func (c *console) printf(format string, args ...any) {
	c.println(fmt.Sprintf(format, args...))
}

// progress shows a progress line: redrawn in place on a terminal, printed
// as a line otherwise. While a prompt is displayed it is not shown (it
// would be redrawn under the prompt).
func (c *console) progress(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.tty {
		io.WriteString(c.out, s+"\n")
		return
	}
	if c.reading || s == "" {
		return
	}
	io.WriteString(c.out, "\r\x1b[K"+s)
	c.bar = s
}

// clearBar removes the progress bar, if any.
func (c *console) clearBar() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearBarLocked()
}

func (c *console) clearBarLocked() {
	if c.bar != "" {
		io.WriteString(c.out, "\r\x1b[K")
		c.bar = ""
	}
}

// completer proposes completions of a line: it returns the line completed
// as far as it can be, and the candidates to show when there are several.
type completer func(line string) (completed string, candidates []string)

// readLine reads a line after prompt. It returns io.EOF at the end of the
// input (Ctrl-D on an empty line) and errInterrupt on Ctrl-C.
func (c *console) readLine(prompt string, complete completer) (string, error) {
	c.mu.Lock()
	c.clearBarLocked()
	c.reading = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.reading = false
		c.mu.Unlock()
	}()
	if !c.tty {
		c.mu.Lock()
		io.WriteString(c.out, prompt)
		c.mu.Unlock()
		line, err := c.in.ReadString('\n')
		if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if !strings.HasSuffix(prompt, "\n") {
			// Echo what was read, so that a transcript reads like a session.
			c.mu.Lock()
			io.WriteString(c.out, line+"\n")
			c.mu.Unlock()
		}
		return line, nil
	}
	state, err := term.MakeRaw(c.fd)
	if err != nil {
		return "", fmt.Errorf("setting the terminal to raw mode: %w", err)
	}
	defer term.Restore(c.fd, state)
	if w, h, err := term.GetSize(c.fd); err == nil && w > 0 {
		c.t.SetSize(w, h)
		c.width = w
	}
	c.t.SetPrompt(prompt)
	c.t.AutoCompleteCallback = nil
	if complete != nil {
		c.t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
			if key != '\t' {
				return "", 0, false
			}
			completed, candidates := complete(line[:pos])
			if len(candidates) > 1 {
				// Called without the terminal's lock: Write may redraw.
				fmt.Fprintf(c.t, "%s\n", strings.Join(candidates, "  "))
			}
			if completed == "" || completed == line[:pos] {
				return line, pos, true
			}
			return completed + line[pos:], len(completed), true
		}
	}
	c.keys.ctrlC.Store(false)
	line, err := c.t.ReadLine()
	if errors.Is(err, term.ErrPasteIndicator) {
		err = nil
	}
	if err != nil {
		// x/term leaves the line, the cursor and the unread input (the
		// Ctrl-C itself) as they were: start the next line afresh.
		c.mu.Lock()
		io.WriteString(c.stdout, "\r\n")
		c.resetTerminal()
		c.mu.Unlock()
		if errors.Is(err, io.EOF) && c.keys.ctrlC.Swap(false) {
			return "", errInterrupt
		}
	}
	return line, err
}

// resetTerminal replaces the line editor by a new one, which has no
// pending input and no displayed prompt. It keeps the history.
func (c *console) resetTerminal() {
	var history term.History
	if c.t != nil {
		history = c.t.History
	}
	c.t = term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{c.keys, c.stdout}, "")
	if history != nil {
		c.t.History = history
	}
	c.out = c.t
}

// keyReader notes whether Ctrl-C was typed: x/term reports Ctrl-C and
// Ctrl-D alike as io.EOF, but dev treats them differently.
type keyReader struct {
	r     io.Reader
	ctrlC atomic.Bool
}

func (k *keyReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if bytes.IndexByte(p[:n], 3) >= 0 {
		k.ctrlC.Store(true)
	}
	return n, err
}
