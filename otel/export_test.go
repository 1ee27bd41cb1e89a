package fastmcpotel

// TrackedSessions counts the sessions t keeps for the session metrics.
func TrackedSessions(t *Telemetry) int {
	n := 0
	t.sessions.Range(func(any, any) bool { n++; return true })
	return n
}
