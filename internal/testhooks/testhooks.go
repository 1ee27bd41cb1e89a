// Package testhooks lets the tests of this repository's other modules (the
// interop module's oauth tests, which need a real OpenID Provider the library
// module must not require) reach behaviour that is closed to users. Being
// internal, it cannot be imported outside this repository.
package testhooks

import "time"

// AllowPrivateCIMD, set by package oauth, lets the *oauth.Proxy it is given
// fetch client metadata documents over http from loopback, which a proxy
// otherwise refuses.
var AllowPrivateCIMD func(proxy any)

// ClusterTiming, set by package fastmcp, shortens the liveness loop of a
// clustered *fastmcp.Server (the period of its heartbeat, and the life of its
// liveness key), for tests that wait for a killed replica to be found dead.
// It must be called before the server's HTTP handler is created.
var ClusterTiming func(server any, heartbeat, ttl time.Duration)
