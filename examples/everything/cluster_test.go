package main

import (
	"slices"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/clustertest"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
)

// TestConformanceCluster runs the suites against three replicas of the
// server, separate processes sharing a redis-server (FASTMCP_REDIS_URL,
// FASTMCP_SECRET), behind a round-robin proxy without affinity: each request
// of a session may land on any replica. The handshake-era suite must pass
// 32/32, and the 2026-07-28 requirement set with the tasks extension's
// scenarios as on one server (tasks are shared too: redisstore.NewTaskStore).
// It needs redis-server (skipped without it unless FASTMCP_REDIS=1) and the
// suites.
func TestConformanceCluster(t *testing.T) {
	needSuite(t)
	redis := redistest.Start(t)
	bin := everythingBinary(t)
	var backends []string
	for range 3 {
		r := clustertest.Start(t, bin, "FASTMCP_REDIS_URL="+redis.URL(), "FASTMCP_SECRET=conformance-cluster-secret-0123456789")
		backends = append(backends, r.Base)
	}
	proxy := clustertest.NewProxy(t, backends...)
	url := proxy.URL + "/mcp"
	ctx := testContext(t, testBudget)
	run := func(t *testing.T, suite conformanceSuite, want []string, mayFail func(string) bool, args ...string) {
		outDir := t.TempDir()
		start := time.Now()
		output, err := suite.run(ctx, url, outDir, args...)
		t.Logf("suite run took %v", time.Since(start).Round(time.Millisecond))
		if err != nil {
			t.Errorf("conformance suite: %v", err)
		}
		results, err := readResults(outDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range verify(t, results, want, mayFail) {
			if r != nil && len(r.failures()) > 0 && mayFail != nil && mayFail(r.name) {
				t.Logf("scenario %s failed, as allowed: %s", r.name, describe(r.failures()[0]))
			}
		}
		if t.Failed() {
			t.Logf("suite output:\n%s", output)
		}
	}
	t.Run("2025-11-25 and earlier", func(t *testing.T) {
		run(t, needSuite(t), allScenarios, nil, "--suite", "all")
	})
	t.Run("2026-07-28", func(t *testing.T) {
		run(t, needSuiteAt(t, "conformance-2026", conformance2026Version), slices.Concat(required2026, pending2026, tasks2026),
			nil, "--requirements", "2026-07-28")
	})
	for _, b := range backends {
		t.Logf("replica %s served %d requests", b, proxy.Served(b[len("http://"):]))
	}
}
