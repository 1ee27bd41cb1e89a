package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestQuickTasks runs a short tasks phase against the fastmcp server (tasks
// in memory) and, when redis-server is on PATH (required with
// FASTMCP_REDIS=1), fastmcp-redis (two replicas, tasks on Redis, each
// task's gets sent to the other replica than its create): every life cycle
// must complete with the right sum, and fastmcp-redis must show the Redis
// work of a task (a create and at least one get are at least two round
// trips).
func TestQuickTasks(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go tool is needed to build the servers")
	}
	servers := []string{"fastmcp"}
	if _, err := exec.LookPath("redis-server"); err == nil {
		servers = append(servers, "fastmcp-redis")
	} else if os.Getenv("FASTMCP_REDIS") == "1" {
		t.Fatal("FASTMCP_REDIS=1 but redis-server is not on PATH")
	}
	cfg := defaultConfig()
	cfg.quick()
	cfg.Servers = servers
	cfg.Phases = []string{"tasks"}
	cfg.TaskClients = 4
	cfg.Duration, cfg.Warmup = 500*time.Millisecond, 200*time.Millisecond
	cfg.Log = testLog{t}
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + markdown(res))
	if n := res.TotalErrors(); n != 0 {
		t.Fatalf("%d errors", n)
	}
	for _, k := range servers {
		tr := res.Servers[k].Tasks
		if tr == nil || tr.Tasks == 0 || tr.GetsPerTask < 1 || tr.GetP50us == 0 || tr.CreateP50us == 0 || tr.ServerCPUus == 0 {
			t.Fatalf("%s: tasks not measured: %+v", k, tr)
		}
		if k == "fastmcp" && tr.Redis != nil {
			t.Errorf("fastmcp: Redis figures without Redis: %+v", tr.Redis)
		}
		if k == "fastmcp-redis" {
			if u := tr.Redis; u == nil || u.RoundTrips < 2 || u.Commands < 2 {
				t.Errorf("fastmcp-redis: Redis figures per task missing or too low: %+v", u)
			}
		}
	}
}
