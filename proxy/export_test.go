package proxy

// SetDropHook sets a function called whenever the proxy drops a
// notification a slow client could not take.
func SetDropHook(p *Proxy, f func()) { p.onDrop = f }

// SetReleaseHook sets a function called whenever a call leaves its
// upstream session.
func SetReleaseHook(p *Proxy, f func()) { p.onRelease = f }
