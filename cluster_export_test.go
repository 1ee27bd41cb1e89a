package fastmcp

import "time"

// SetClusterTiming shortens the liveness loop of a clustered server, for
// tests that wait for a replica to be found dead. It must be called before
// the server's HTTP handler is created.
func SetClusterTiming(s *Server, heartbeat, ttl time.Duration) {
	s.cluster.heartbeat, s.cluster.ttl = heartbeat, ttl
}

// ReplicaID returns a clustered server's replica id.
func ReplicaID(s *Server) string { return s.cluster.id }
