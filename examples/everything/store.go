package main

// The example as a replica of a cluster, from the environment:
//
//	FASTMCP_REDIS_URL=redis://host:6379/0  share sessions, state, resumable events, tasks and a bus on Redis
//	FASTMCP_REDIS_PREFIX=fastmcp:          the prefix of its keys and channels (the default)
//	FASTMCP_SECRET=<32+ random bytes>      sign handles and request state with the key every replica shares
//
// Several processes started with the same two variables, behind any
// round-robin load balancer, serve every client as one server would.

import (
	"log"
	"os"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/redisstore"
)

// clusterOptions sets the Store and Secret of opts from the environment. The
// Redis client lives as long as the process.
func clusterOptions(opts *fastmcp.Options) {
	if secret := os.Getenv("FASTMCP_SECRET"); secret != "" {
		opts.Secret = []byte(secret)
	}
	url := os.Getenv("FASTMCP_REDIS_URL")
	if url == "" {
		return
	}
	client, err := redisstore.NewClient(url)
	if err != nil {
		log.Fatalf("FASTMCP_REDIS_URL: %v", err)
	}
	ro := redisstore.Options{Prefix: os.Getenv("FASTMCP_REDIS_PREFIX")}
	opts.Store = redisstore.New(client, ro)
	// Tasks (the tasks extension) too: one replica starts a task, any
	// replica answers tasks/get.
	opts.Tasks.Store = redisstore.NewTaskStore(client, ro)
}
