package oauth

// AllowPrivateCIMD lets a test fetch client metadata documents over http
// from loopback, which the proxy otherwise refuses.
func AllowPrivateCIMD(p *Proxy) { p.cimd.allowPrivate.Store(true) }
