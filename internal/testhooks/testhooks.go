// Package testhooks lets the tests of this repository's other modules (the
// interop module's oauth tests, which need a real OpenID Provider the library
// module must not require) reach behaviour that is closed to users. Being
// internal, it cannot be imported outside this repository.
package testhooks

// AllowPrivateCIMD, set by package oauth, lets the *oauth.Proxy it is given
// fetch client metadata documents over http from loopback, which a proxy
// otherwise refuses.
var AllowPrivateCIMD func(proxy any)
