package main

import (
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/clustertest"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
)

// TestConformanceCluster runs all 32 scenarios of the suite against three
// replicas of the server, separate processes sharing a redis-server
// (FASTMCP_REDIS_URL, FASTMCP_SECRET), behind a round-robin proxy without
// affinity: each request of a session may land on any replica. It needs
// redis-server (skipped without it unless FASTMCP_REDIS=1) and the suite.
func TestConformanceCluster(t *testing.T) {
	suite := needSuite(t)
	redis := redistest.Start(t)
	bin := everythingBinary(t)
	var backends []string
	for range 3 {
		r := clustertest.Start(t, bin, "FASTMCP_REDIS_URL="+redis.URL(),
			"FASTMCP_SECRET=conformance-cluster-secret-0123456789")
		backends = append(backends, r.Base)
	}
	proxy := clustertest.NewProxy(t, backends...)
	ctx := testContext(t, testBudget)
	outDir := t.TempDir()
	start := time.Now()
	output, err := suite.run(ctx, proxy.URL+"/mcp", outDir, "--suite", "all")
	t.Logf("suite run took %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Errorf("conformance suite: %v", err)
	}
	results, err := readResults(outDir)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, results, allScenarios, nil)
	for _, b := range backends {
		t.Logf("replica %s served %d requests", b, proxy.Served(b[len("http://"):]))
	}
	if t.Failed() {
		t.Logf("suite output:\n%s", output)
	}
}
