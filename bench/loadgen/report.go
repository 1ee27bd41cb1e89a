package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Target is one goal from the HTTP issue, checked against a run.
type Target struct {
	Goal string `json:"goal"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

// row is one line of the results table.
type row struct {
	name   string
	values map[string]float64 // by server key; absent = not measured
	format func(float64) string
	lower  bool // lower is better
}

func fmtInt(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtUs(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return fmtInt(v)
}

func fmtKB(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func fmtCores(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func ratio(a, b float64) string {
	if b == 0 || a == 0 {
		return "–"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "×"
}

// callRows are the rows of one kind of call measurement: calls/s, latency
// and server CPU per call at each level.
// Row names are callsPrefix+"calls/s"+suffix(n), and prefix+"p50 latency µs"
// +suffix(n) and so on.
func (r *Results) callRows(levels []int, of func(*ServerResult) []CallsResult, callsPrefix, prefix string, suffix func(n int) string) []row {
	var rows []row
	for li, n := range levels {
		get := func(f func(CallsResult) float64) map[string]float64 {
			m := map[string]float64{}
			for k, s := range r.Servers {
				if cs := of(s); li < len(cs) {
					m[k] = f(cs[li])
				}
			}
			return m
		}
		sfx := suffix(n)
		rows = append(rows,
			row{name: callsPrefix + "calls/s" + sfx + " ↑", values: get(func(c CallsResult) float64 { return c.CallsPerSec }), format: fmtInt},
			row{name: prefix + "p50 latency µs" + sfx + " ↓", values: get(func(c CallsResult) float64 { return c.P50us }), format: fmtUs, lower: true},
			row{name: prefix + "p99 latency µs" + sfx + " ↓", values: get(func(c CallsResult) float64 { return c.P99us }), format: fmtUs, lower: true},
			row{name: prefix + "server CPU µs/call" + sfx + " ↓", values: get(func(c CallsResult) float64 { return c.ServerCPUus }), format: fmtUs, lower: true},
		)
		rows = append(rows, redisRows(prefix, "call"+sfx, func(k string) *RedisUse {
			if cs := of(r.Servers[k]); li < len(cs) {
				return cs[li].Redis
			}
			return nil
		}, r)...)
	}
	return rows
}

// redisRows are the Redis figures of the cluster servers (empty rows, which
// the table leaves out, for the others).
func redisRows(prefix, per string, of func(k string) *RedisUse, r *Results) []row {
	get := func(f func(*RedisUse) float64) map[string]float64 {
		m := map[string]float64{}
		for k := range r.Servers {
			if u := of(k); u != nil {
				m[k] = f(u)
			}
		}
		return m
	}
	return []row{
		{name: prefix + "Redis round trips/" + per + " ↓", values: get(func(u *RedisUse) float64 { return u.RoundTrips }), format: fmtFrac, lower: true},
		{name: prefix + "Redis commands/" + per + " ↓", values: get(func(u *RedisUse) float64 { return u.Commands }), format: fmtFrac, lower: true},
		{name: prefix + "redis-server CPU µs/" + per + " ↓", values: get(func(u *RedisUse) float64 { return u.CPUus }), format: fmtUs, lower: true},
	}
}

func fmtFrac(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func (r *Results) rows() []row {
	cfg := r.Config
	rows := r.callRows(cfg.Levels, func(s *ServerResult) []CallsResult { return s.Calls }, "tool ", "",
		func(n int) string { return fmt.Sprintf(", %d %s", n, plural(n, "session")) })
	if cfg.phase("modern") {
		rows = append(rows, r.callRows(cfg.ModernLevels, func(s *ServerResult) []CallsResult { return s.Modern }, "2026-07-28 sessionless ", "2026-07-28 ",
			func(n int) string { return fmt.Sprintf(", %d %s", n, plural(n, "client")) })...)
	}
	if cfg.phase("sessions") {
		get := func(f func(SessionsResult) float64) map[string]float64 {
			m := map[string]float64{}
			for k, s := range r.Servers {
				if s.NewSessions != nil {
					m[k] = f(*s.NewSessions)
				}
			}
			return m
		}
		rows = append(rows,
			row{name: fmt.Sprintf("new sessions/s, %d workers ↑", cfg.SessionWorkers), values: get(func(s SessionsResult) float64 { return s.SessionsPerSec }), format: fmtInt},
			row{name: "server CPU µs/new session ↓", values: get(func(s SessionsResult) float64 { return s.ServerCPUus }), format: fmtUs, lower: true},
		)
		rows = append(rows, redisRows("", "new session", func(k string) *RedisUse {
			if s := r.Servers[k].NewSessions; s != nil {
				return s.Redis
			}
			return nil
		}, r)...)
	}
	if cfg.phase("stdio") {
		rows = append(rows, r.callRows(cfg.StdioInFlight, func(s *ServerResult) []CallsResult { return s.Stdio }, "stdio ", "stdio ",
			func(n int) string { return ", " + stdioName(n) })...)
		start := map[string]float64{}
		for k, s := range r.Servers {
			var all []float64
			for _, rs := range s.StdioRounds {
				for _, c := range rs {
					if c.StartMs > 0 {
						all = append(all, c.StartMs)
					}
				}
			}
			if len(all) > 0 {
				start[k] = median(all) * 1e3
			}
		}
		rows = append(rows, row{name: "stdio cold start to the initialize answer, µs ↓", values: start, format: fmtUs, lower: true})
	}
	if cfg.phase("rss") {
		for pi, n := range cfg.Sessions {
			get := func(f func(RSSPoint) float64) map[string]float64 {
				m := map[string]float64{}
				for k, s := range r.Servers {
					if s.RSS != nil && pi < len(s.RSS.Points) {
						m[k] = f(s.RSS.Points[pi])
					}
				}
				return m
			}
			rows = append(rows,
				row{name: fmt.Sprintf("RSS KB/idle session, %s open (after GC) ↓", fmtInt(float64(n))), values: get(func(p RSSPoint) float64 { return p.PerSessionGCKB }), format: fmtKB, lower: true},
				row{name: fmt.Sprintf("RSS KB/idle session, %s open (raw) ↓", fmtInt(float64(n))), values: get(func(p RSSPoint) float64 { return p.PerSessionRawKB }), format: fmtKB, lower: true},
			)
		}
	}
	errs := map[string]float64{}
	for k, s := range r.Servers {
		errs[k] = float64(s.errors())
	}
	rows = append(rows, row{name: "errors (all measurements)", values: errs, format: fmtInt, lower: true})
	return rows
}

// markdown renders the results.
func markdown(r *Results) string {
	var b strings.Builder
	cfg := r.Config
	fmt.Fprintf(&b, "Run of %s on %d × %s, %s. Servers at GOMAXPROCS=%d; load generator at GOMAXPROCS=%d.\n",
		r.Date, r.NumCPU, r.CPU, r.GoVersion, cfg.ServerProcs, r.NumCPU)
	if cfg.phase("calls") || cfg.phase("sessions") {
		fmt.Fprintf(&b, "Calls: %v warm-up + %v measured per level; new sessions: %d workers, %v warm-up + %v measured; median of %d round(s), server order rotated each round.\n",
			cfg.Warmup, cfg.Duration, cfg.SessionWorkers, cfg.Warmup, cfg.SessionDuration, cfg.Rounds)
	}
	if cfg.phase("rss") {
		fmt.Fprintf(&b, "RSS: fresh process per server, %d workers open the sessions, %v settle pause before each raw reading, then SIGUSR1 (debug.FreeOSMemory) and %v before the after-GC reading.\n",
			cfg.SessionWorkers, cfg.Settle, cfg.Settle/2)
	}
	if cfg.phase("modern") {
		fmt.Fprintf(&b, "2026-07-28: %v clients send sessionless tools/call requests (revision, client capabilities and client info in params._meta; MCP-Protocol-Version, Mcp-Method and Mcp-Name headers), %v warm-up + %v measured.\n",
			cfg.ModernLevels, cfg.Warmup, cfg.Duration)
	}
	if cfg.phase("stdio") {
		fmt.Fprintf(&b, "stdio: a fresh server process per measurement over pipes, initialized, then %v requests in flight (1: sequential), %v warm-up + %v measured.\n",
			cfg.StdioInFlight, cfg.Warmup, cfg.Duration)
	}
	if r.Tree != "" {
		fmt.Fprintf(&b, "Module measured: commit %s.\n", r.Tree)
	}
	for _, k := range r.Order {
		if rv, ok := r.Revisions[k]; ok {
			fmt.Fprintf(&b, "%s: the same server program built from commit %s (%s).\n", k, shortHash(rv.Hash), rv.Subject)
		}
	}
	if len(r.LoadAvg) > 0 {
		fmt.Fprintf(&b, "Load average (1 min) at the start, at each round, and at the end: %s.\n", fmtLoads(r.LoadAvg))
	}
	fmt.Fprintf(&b, "Ratios are %s ÷ the other server: above 1 is better for ↑ rows, below 1 is better for ↓ rows.\n\n", r.ref())

	has := func(k string) bool { _, ok := r.Servers[k]; return ok }
	b.WriteString("| metric |")
	for _, k := range r.Order {
		b.WriteString(" " + r.Servers[k].Label + " |")
	}
	ratios := []string{}
	ref := r.ref()
	if has(ref) {
		for _, k := range r.ratioPeers() {
			ratios = append(ratios, k)
			b.WriteString(" " + r.Servers[ref].Label + " / " + r.Servers[k].Label + " |")
		}
	}
	b.WriteString("\n|---|")
	for range len(r.Order) + len(ratios) {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, rw := range r.rows() {
		if len(rw.values) == 0 {
			continue
		}
		b.WriteString("| " + rw.name + " |")
		for _, k := range r.Order {
			if v, ok := rw.values[k]; ok {
				b.WriteString(" " + rw.format(v) + " |")
			} else {
				b.WriteString(" – |")
			}
		}
		for _, k := range ratios {
			if strings.HasPrefix(rw.name, "errors") {
				b.WriteString(" |")
				continue
			}
			b.WriteString(" " + ratio(rw.values[ref], rw.values[k]) + " |")
		}
		b.WriteString("\n")
	}

	if cfg.phase("calls") || cfg.phase("modern") || cfg.phase("stdio") || cfg.phase("sessions") {
		b.WriteString("\nCPU use during the measured windows (cores; the machine has " + strconv.Itoa(r.NumCPU) + "):\n\n| measurement | ")
		for _, k := range r.Order {
			b.WriteString(r.Servers[k].Label + " server | loadgen | ")
		}
		b.WriteString("\n|---|")
		for range r.Order {
			b.WriteString("---:|---:|")
		}
		b.WriteString("\n")
		coreRows := func(levels []int, of func(*ServerResult) []CallsResult, name func(int) string) {
			for li, n := range levels {
				b.WriteString("| " + name(n) + " |")
				for _, k := range r.Order {
					if cs := of(r.Servers[k]); li < len(cs) {
						fmt.Fprintf(&b, " %s | %s |", fmtCores(cs[li].ServerCores), fmtCores(cs[li].LoadgenCores))
					} else {
						b.WriteString(" – | – |")
					}
				}
				b.WriteString("\n")
			}
		}
		if cfg.phase("calls") {
			coreRows(cfg.Levels, func(s *ServerResult) []CallsResult { return s.Calls },
				func(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "session")) })
		}
		if cfg.phase("modern") {
			coreRows(cfg.ModernLevels, func(s *ServerResult) []CallsResult { return s.Modern },
				func(n int) string { return fmt.Sprintf("2026-07-28, %d %s", n, plural(n, "client")) })
		}
		if cfg.phase("stdio") {
			coreRows(cfg.StdioInFlight, func(s *ServerResult) []CallsResult { return s.Stdio },
				func(n int) string { return fmt.Sprintf("stdio, %d in flight", n) })
		}
		if cfg.phase("sessions") {
			b.WriteString("| new sessions |")
			for _, k := range r.Order {
				if s := r.Servers[k].NewSessions; s != nil {
					fmt.Fprintf(&b, " %s | %s |", fmtCores(s.ServerCores), fmtCores(s.LoadgenCores))
				} else {
					b.WriteString(" – | – |")
				}
			}
			b.WriteString("\n")
		}
	}

	var firsts []string
	for _, k := range r.Order {
		s := r.Servers[k]
		if s.errors() == 0 {
			continue
		}
		for _, lv := range s.Calls {
			if lv.FirstError != "" {
				firsts = append(firsts, fmt.Sprintf("- %s, %d sessions: %s", s.Label, lv.Sessions, lv.FirstError))
			}
		}
		for i, lv := range s.Modern {
			if lv.FirstError != "" {
				firsts = append(firsts, fmt.Sprintf("- %s, 2026-07-28, %d clients: %s", s.Label, cfg.ModernLevels[i], lv.FirstError))
			}
		}
		for _, lv := range s.Stdio {
			if lv.FirstError != "" {
				firsts = append(firsts, fmt.Sprintf("- %s, stdio, %d in flight: %s", s.Label, lv.InFlight, lv.FirstError))
			}
		}
		if s.NewSessions != nil && s.NewSessions.FirstError != "" {
			firsts = append(firsts, fmt.Sprintf("- %s, new sessions: %s", s.Label, s.NewSessions.FirstError))
		}
		if s.RSS != nil && s.RSS.FirstError != "" {
			firsts = append(firsts, fmt.Sprintf("- %s, RSS (%d of %d checked sessions lost): %s", s.Label, s.RSS.Lost, s.RSS.Checked, s.RSS.FirstError))
		}
	}
	if len(firsts) > 0 {
		b.WriteString("\nFirst errors:\n\n" + strings.Join(firsts, "\n") + "\n")
	}
	b.WriteString(redisCommandTable(r))
	b.WriteString(tasksTable(r))

	if len(r.Targets) > 0 {
		b.WriteString("\nTargets (HTTP issue; stdio and no regression: issue 11), this run. Throughput targets are judged on the ratio of the medians in the table; in brackets, the ratio computed within each round and the server CPU time ratio (other ÷ fastmcp: how many times less CPU fastmcp spends), which the machine's noise affects less. RSS is judged after GC (see README).\n\n| target | this run | |\n|---|---|---|\n")
		for _, t := range r.Targets {
			met := "**not met**"
			if t.Met {
				met = "met"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", t.Goal, t.Got, met)
		}
	}
	return b.String()
}

// ref is the server the ratios and targets are about: Ref, or fastmcp.
func (r *Results) ref() string {
	if r.Ref != "" {
		return r.Ref
	}
	return "fastmcp"
}

// ratioPeers are the servers fastmcp is compared with in the ratio columns:
// every other server, in the order of the columns.
func (r *Results) ratioPeers() []string {
	var out []string
	for _, k := range r.Order {
		if k != r.ref() {
			out = append(out, k)
		}
	}
	return out
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func fmtLoads(ls []float64) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = strconv.FormatFloat(l, 'f', 1, 64)
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// pairedRatio describes fastmcp ÷ peer computed round by round (each round
// runs the servers back to back, so a ratio within a round shares the
// machine's conditions): the median and the range.
func pairedRatio[T any](f, p []T, get func(T) float64) string {
	var rs []float64
	for i := range min(len(f), len(p)) {
		if d := get(p[i]); d > 0 {
			rs = append(rs, get(f[i])/d)
		}
	}
	if len(rs) == 0 {
		return "–"
	}
	lo, hi := slices.Min(rs), slices.Max(rs)
	if len(rs) == 1 {
		return fmt.Sprintf("%.2f×", rs[0])
	}
	return fmt.Sprintf("median %.2f×, range %.2f–%.2f×", median(rs), lo, hi)
}

// targets checks the goals of the HTTP issue against the run.
func targets(r *Results) []Target {
	f, ok := r.Servers[r.ref()]
	if !ok {
		return nil
	}
	var ts []Target
	cfg := r.Config
	peers := []struct {
		key  string
		want float64
	}{{"mcpgo", 1.5}, {"gosdk", 3}}
	for _, p := range peers {
		ps, ok := r.Servers[p.key]
		if !ok || p.key == r.ref() {
			continue
		}
		for li, n := range cfg.Levels {
			if li >= len(f.Calls) || li >= len(ps.Calls) || ps.Calls[li].CallsPerSec == 0 {
				continue
			}
			got := f.Calls[li].CallsPerSec / ps.Calls[li].CallsPerSec
			paired := pairedRatio(f.CallsRounds[li], ps.CallsRounds[li], func(c CallsResult) float64 { return c.CallsPerSec })
			ts = append(ts, Target{
				Goal: fmt.Sprintf("calls/s ≥ %.1f× %s at %d %s", p.want, ps.Label, n, plural(n, "session")),
				Got:  fmt.Sprintf("%.2f× (per-round %s; server CPU/call %s)", got, paired, ratio(ps.Calls[li].ServerCPUus, f.Calls[li].ServerCPUus)),
				Met:  got >= p.want})
		}
		if f.NewSessions != nil && ps.NewSessions != nil && ps.NewSessions.SessionsPerSec > 0 {
			got := f.NewSessions.SessionsPerSec / ps.NewSessions.SessionsPerSec
			paired := pairedRatio(f.NewSessionsRounds, ps.NewSessionsRounds, func(c SessionsResult) float64 { return c.SessionsPerSec })
			ts = append(ts, Target{
				Goal: fmt.Sprintf("new sessions/s ≥ %.1f× %s", p.want, ps.Label),
				Got:  fmt.Sprintf("%.2f× (per-round %s; server CPU/session %s)", got, paired, ratio(ps.NewSessions.ServerCPUus, f.NewSessions.ServerCPUus)),
				Met:  got >= p.want})
		}
	}
	if f.RSS != nil {
		for _, pt := range f.RSS.Points {
			ts = append(ts, Target{
				Goal: fmt.Sprintf("≤ 5 KB RSS per idle session at %s sessions", fmtInt(float64(pt.Sessions))),
				Got:  fmt.Sprintf("%.2f KB after GC (%.2f KB raw)", pt.PerSessionGCKB, pt.PerSessionRawKB),
				Met:  pt.PerSessionGCKB <= 5})
		}
	}
	ts = append(ts, stdioTargets(r, f)...)
	ts = append(ts, clusterTargets(r)...)
	ts = append(ts, regressionTargets(r, f)...)
	for li, n := range cfg.Levels {
		if n != 64 || li >= len(f.Calls) {
			continue
		}
		best, bestName := math.Inf(1), ""
		for _, k := range []string{"gosdk", "mcpgo"} {
			if ps, ok := r.Servers[k]; ok && li < len(ps.Calls) && ps.Calls[li].P99us < best {
				best, bestName = ps.Calls[li].P99us, ps.Label
			}
		}
		if bestName != "" {
			got := f.Calls[li].P99us
			ts = append(ts, Target{
				Goal: "p99 at 64 sessions no worse than the best peer",
				Got:  fmt.Sprintf("%s µs vs %s µs (%s)", fmtUs(got), fmtUs(best), bestName),
				Met:  got <= best})
		}
	}
	return ts
}

func stdioName(n int) string {
	if n == 1 {
		return "sequential"
	}
	return fmt.Sprintf("%d in flight", n)
}

// stdioTargets: stdio through the library reaches at least 0.8× the bare
// stdio loop (issue 11).
func stdioTargets(r *Results, f *ServerResult) []Target {
	fl, ok := r.Servers["floor"]
	if !ok {
		return nil
	}
	var ts []Target
	for ii, n := range r.Config.StdioInFlight {
		if ii >= len(f.Stdio) || ii >= len(fl.Stdio) || fl.Stdio[ii].CallsPerSec == 0 {
			continue
		}
		got := f.Stdio[ii].CallsPerSec / fl.Stdio[ii].CallsPerSec
		paired := pairedRatio(f.StdioRounds[ii], fl.StdioRounds[ii], func(c CallsResult) float64 { return c.CallsPerSec })
		ts = append(ts, Target{
			Goal: fmt.Sprintf("stdio calls/s ≥ 0.8× the bare stdio loop, %s", stdioName(n)),
			Got:  fmt.Sprintf("%.2f× (per-round %s; server CPU/call %s)", got, paired, ratio(fl.Stdio[ii].ServerCPUus, f.Stdio[ii].ServerCPUus)),
			Met:  got >= 0.8})
	}
	return ts
}

// regressionTolerance is how much slower than a fastmcp@rev server fastmcp may
// measure before a "no regression" target counts as missed: less than the
// machine's noise between rounds, so a miss is worth a look, not proof.
const regressionTolerance = 0.95

// regressionTargets compare fastmcp with each fastmcp@rev server: calls/s in
// both eras, new sessions/s, stdio, and idle memory (issue 11: no performance
// regression).
func regressionTargets(r *Results, f *ServerResult) []Target {
	var ts []Target
	cfg := r.Config
	for _, k := range r.Order {
		old, ok := r.Servers[k]
		if !strings.HasPrefix(k, "fastmcp@") || k == r.ref() || !ok {
			continue
		}
		calls := func(what string, levels []int, nf, no []CallsResult, rf, ro [][]CallsResult, name func(int) string) {
			for li, n := range levels {
				if li >= len(nf) || li >= len(no) || no[li].CallsPerSec == 0 {
					continue
				}
				got := nf[li].CallsPerSec / no[li].CallsPerSec
				paired := pairedRatio(rf[li], ro[li], func(c CallsResult) float64 { return c.CallsPerSec })
				ts = append(ts, Target{
					Goal: fmt.Sprintf("no regression vs %s: %s calls/s, %s", k, what, name(n)),
					Got:  fmt.Sprintf("%.2f× (per-round %s; server CPU/call %s)", got, paired, ratio(no[li].ServerCPUus, nf[li].ServerCPUus)),
					Met:  got >= regressionTolerance})
			}
		}
		calls("HTTP", cfg.Levels, f.Calls, old.Calls, f.CallsRounds, old.CallsRounds,
			func(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "session")) })
		calls("2026-07-28 sessionless", cfg.ModernLevels, f.Modern, old.Modern, f.ModernRounds, old.ModernRounds,
			func(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "client")) })
		if f.NewSessions != nil && old.NewSessions != nil && old.NewSessions.SessionsPerSec > 0 {
			got := f.NewSessions.SessionsPerSec / old.NewSessions.SessionsPerSec
			paired := pairedRatio(f.NewSessionsRounds, old.NewSessionsRounds, func(c SessionsResult) float64 { return c.SessionsPerSec })
			ts = append(ts, Target{
				Goal: fmt.Sprintf("no regression vs %s: new sessions/s", k),
				Got:  fmt.Sprintf("%.2f× (per-round %s; server CPU/session %s)", got, paired, ratio(old.NewSessions.ServerCPUus, f.NewSessions.ServerCPUus)),
				Met:  got >= regressionTolerance})
		}
		calls("stdio", cfg.StdioInFlight, f.Stdio, old.Stdio, f.StdioRounds, old.StdioRounds, stdioName)
		if f.RSS != nil && old.RSS != nil {
			for pi, pt := range f.RSS.Points {
				if pi >= len(old.RSS.Points) {
					continue
				}
				o := old.RSS.Points[pi]
				ts = append(ts, Target{
					Goal: fmt.Sprintf("no regression vs %s: RSS per idle session at %s sessions (after GC, ≤ +10%% or +0.1 KB)", k, fmtInt(float64(pt.Sessions))),
					Got:  fmt.Sprintf("%.2f KB vs %.2f KB", pt.PerSessionGCKB, o.PerSessionGCKB),
					Met:  pt.PerSessionGCKB <= max(o.PerSessionGCKB*1.1, o.PerSessionGCKB+0.1)})
			}
		}
	}
	return ts
}
