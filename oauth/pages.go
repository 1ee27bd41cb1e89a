package oauth

import (
	"bytes"
	"html/template"
	"net/http"
)

// The consent and error pages: plain HTML, no script, readable by screen
// readers (landmarks, a heading per page, a labelled list, real buttons),
// and unframeable.

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#111;background:#fff}
code{word-break:break-all}
button{font-size:1rem;padding:.5rem 1.25rem;margin:.25rem .5rem .25rem 0;border-radius:.25rem;border:1px solid #333;cursor:pointer}
button[value=approve]{background:#0b57d0;color:#fff;border-color:#0b57d0}
button:focus{outline:3px solid #f90;outline-offset:2px}
.warn{border-left:4px solid #b00;padding-left:.75rem}
</style>
</head>
<body>
<main>
{{end}}

{{define "consent"}}{{template "head" (printf "Authorize %s" .ClientName)}}
<h1>Authorize {{.ClientName}}</h1>
<p><strong>{{.ClientName}}</strong> wants to access <strong>{{.Server}}</strong> on your behalf.</p>
<dl>
<dt>Client</dt><dd><code>{{.ClientID}}</code></dd>
<dt>After you decide, you will be sent to</dt><dd><code>{{.RedirectURI}}</code></dd>
</dl>
{{if .Scopes}}<h2 id="scopes">Requested permissions</h2>
<ul aria-labelledby="scopes">{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
<p class="warn">Approve only if you started this sign-in yourself and you trust this application.
The application chose its name itself: the address above is where your approval goes.
You will then sign in with {{.Provider}}.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="transaction_id" value="{{.TransactionID}}">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
</main>
</body>
</html>
{{end}}

{{define "error"}}{{template "head" "Authorization failed"}}
<h1>Authorization failed</h1>
<p role="alert">{{.}}</p>
<p>Close this window and try again from your application.</p>
</main>
</body>
</html>
{{end}}
`))

type consentPage struct {
	ClientName, ClientID, RedirectURI, Server, Provider string
	Scopes                                              []string
	Action, TransactionID, CSRF                         string
}

// securePageHeaders forbid framing (clickjacking of the consent buttons),
// scripts, and the Referer that would leak the transaction to other sites.
func securePageHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
}

func render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	securePageHeaders(w.Header())
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows an error page: for failures that must not redirect to
// the client (an unknown client, an unregistered redirect URI), and for
// failures of the browser flow itself.
func renderError(w http.ResponseWriter, status int, msg string) {
	render(w, status, "error", msg)
}
