package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// isLocalPath reports whether a Go package target is a directory or file
// (not an import path), which --watch can poll.
func isLocalPath(pkg string) bool { return filepath.IsAbs(pkg) }

// moduleRoot returns the directory of the go.mod above dir, or dir.
func moduleRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// fileStamp is what --watch compares: a file changed when either differs.
type fileStamp struct {
	mod  time.Time
	size int64
}

// scanSources stamps the files a Go build depends on below root: .go files
// other than tests, go.mod, go.sum and go.work. Hidden directories,
// testdata and node_modules are skipped.
func scanSources(root string) map[string]fileStamp {
	out := map[string]fileStamp{}
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := e.Name()
		if e.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") || name == "go.mod" || name == "go.sum" || name == "go.work" {
			if info, err := e.Info(); err == nil {
				out[p] = fileStamp{info.ModTime(), info.Size()}
			}
		}
		return nil
	})
	return out
}

// changedFile names a file that differs between two scans, or "".
func changedFile(old, cur map[string]fileStamp) string {
	for p, s := range cur {
		if o, ok := old[p]; !ok || o != s {
			return p
		}
	}
	for p := range old {
		if _, ok := cur[p]; !ok {
			return p
		}
	}
	return ""
}

// watcher polls the sources of a Go package's module: polling mtimes
// costs a directory walk per interval and needs no platform notification
// API.
type watcher struct {
	root     string
	interval time.Duration
	last     map[string]fileStamp
}

func newWatcher(pkg string, interval time.Duration) *watcher {
	dir := pkg
	if strings.HasSuffix(pkg, ".go") {
		dir = filepath.Dir(pkg)
	}
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	root := moduleRoot(dir)
	return &watcher{root: root, interval: interval, last: scanSources(root)}
}

// watchLoop reloads the server whenever the sources change.
func (d *dev) watchLoop(ctx context.Context, w *watcher) {
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cur := scanSources(w.root)
		changed := changedFile(w.last, cur)
		if changed == "" {
			continue
		}
		// Wait until the files stop changing (an editor saving several, a
		// git checkout) before building.
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			next := scanSources(w.root)
			if changedFile(cur, next) == "" {
				break
			}
			cur = next
		}
		w.last = cur
		rel, err := filepath.Rel(w.root, changed)
		if err != nil {
			rel = changed
		}
		d.reload(ctx, rel+" changed")
	}
}

// reload rebuilds and reconnects, waiting for the running command to end.
func (d *dev) reload(ctx context.Context, why string) {
	if d.closed.Load() {
		return
	}
	d.busy.Lock()
	defer d.busy.Unlock()
	if d.closed.Load() {
		return
	}
	if err := d.connect(ctx, why+": rebuilding and reconnecting to"); err != nil {
		if ctx.Err() != nil {
			return // dev is ending
		}
		d.con.println(d.p.red("error: ") + err.Error())
		if d.session() != nil {
			d.con.println(d.p.dim("The previous server is still running; fix the error and save again."))
		}
	}
}
