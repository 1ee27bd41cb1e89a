// Command oauth serves an MCP server whose users sign in with an OpenID
// Connect provider, through the OAuth 2.1 proxy of package oauth: MCP clients
// register with the server, authorize with PKCE, and call the whoami tool,
// which answers with the signed-in user's subject, email and scopes.
//
//	go run ./examples/oauth \
//		-issuer https://accounts.example.com -client-id mcp -client-secret s3cret \
//		-base-url http://127.0.0.1:8080 -dev
//
// Register <base-url>/oauth/callback as the redirect URI of the client at the
// provider. Every flag has an environment variable:
//
//	-issuer          OAUTH_ISSUER          the provider's issuer URL (discovery)
//	-client-id       OAUTH_CLIENT_ID       the server's client id at the provider
//	-client-secret   OAUTH_CLIENT_SECRET   its secret
//	-base-url        OAUTH_BASE_URL        the server's public URL (default http://127.0.0.1:8080)
//	-addr            OAUTH_ADDR            the listen address (default 127.0.0.1:8080)
//	-scopes          OAUTH_SCOPES          scopes requested (default "openid profile email offline_access")
//	-signing-key     OAUTH_SIGNING_KEY     32 random bytes, base64 or hex (openssl rand -base64 32)
//	-encryption-key  OAUTH_ENCRYPTION_KEY  32 random bytes, base64 or hex
//	-store           OAUTH_STORE           a directory keeping clients and tokens across restarts
//	-dev             OAUTH_DEV=1           development mode: ephemeral keys when none are given
//
// Without keys and without -dev the server refuses to start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/oauth"
)

// config is the command line.
type config struct {
	Issuer, ClientID, ClientSecret string
	BaseURL, Addr                  string
	Scopes                         string
	SigningKey, EncryptionKey      string
	StoreDir                       string
	Dev                            bool
}

// parseConfig reads the flags, defaulting to the environment.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	dev, _ := strconv.ParseBool(getenv("OAUTH_DEV"))
	var c config
	fs := flag.NewFlagSet("oauth", flag.ContinueOnError)
	fs.StringVar(&c.Issuer, "issuer", env("OAUTH_ISSUER", ""), "the OpenID Connect provider's issuer URL")
	fs.StringVar(&c.ClientID, "client-id", env("OAUTH_CLIENT_ID", ""), "the server's client id at the provider")
	fs.StringVar(&c.ClientSecret, "client-secret", env("OAUTH_CLIENT_SECRET", ""), "the server's client secret at the provider")
	fs.StringVar(&c.BaseURL, "base-url", env("OAUTH_BASE_URL", "http://127.0.0.1:8080"), "the server's public URL")
	fs.StringVar(&c.Addr, "addr", env("OAUTH_ADDR", "127.0.0.1:8080"), "the address to listen on")
	fs.StringVar(&c.Scopes, "scopes", env("OAUTH_SCOPES", "openid profile email offline_access"), "the scopes to request")
	fs.StringVar(&c.SigningKey, "signing-key", env("OAUTH_SIGNING_KEY", ""), "the token signing key (32 bytes, base64 or hex)")
	fs.StringVar(&c.EncryptionKey, "encryption-key", env("OAUTH_ENCRYPTION_KEY", ""), "the storage encryption key (32 bytes, base64 or hex)")
	fs.StringVar(&c.StoreDir, "store", env("OAUTH_STORE", ""), "a directory for the proxy's state (default: memory)")
	fs.BoolVar(&c.Dev, "dev", dev, "development mode: ephemeral keys when none are given")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if c.Issuer == "" || c.ClientID == "" {
		return config{}, errors.New("-issuer and -client-id are required")
	}
	return c, nil
}

// whoami is the answer of the whoami tool.
type whoami struct {
	Subject string   `json:"subject" description:"the user's identifier at the provider"`
	Email   string   `json:"email,omitempty" description:"the user's email address"`
	Scopes  []string `json:"scopes" description:"the scopes granted to the MCP client"`
}

// newServer builds the server and its OAuth proxy.
func newServer(c config, logger *slog.Logger) (*fastmcp.Server, error) {
	var signing, encryption []byte
	var err error
	if c.SigningKey != "" {
		if signing, err = oauth.ParseKey(c.SigningKey); err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
	}
	if c.EncryptionKey != "" {
		if encryption, err = oauth.ParseKey(c.EncryptionKey); err != nil {
			return nil, fmt.Errorf("encryption key: %w", err)
		}
	}
	var store oauth.Store
	if c.StoreDir != "" {
		if store, err = oauth.NewFileStore(c.StoreDir); err != nil {
			return nil, err
		}
	}
	proxy, err := oauth.NewProxy(oauth.Config{
		BaseURL: c.BaseURL,
		Provider: &oauth.OAuthProvider{
			Issuer:       c.Issuer,
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			Scopes:       strings.Fields(c.Scopes),
		},
		SigningKey:      signing,
		EncryptionKey:   encryption,
		DevelopmentMode: c.Dev,
		Store:           store,
		Logger:          logger,
	})
	if err != nil {
		return nil, err
	}
	server := fastmcp.New(fastmcp.Options{
		Name:         "oauth-example",
		Version:      "1.0.0",
		Instructions: "Call whoami to see who you are signed in as.",
		Authenticate: proxy,
		OAuth:        proxy.Discovery(),
		Logger:       logger,
	})
	proxy.Mount(server)
	fastmcp.AddTool(server, fastmcp.Tool{Name: "whoami", Description: "Tell who the signed-in user is", CanAccess: fastmcp.RequireAuth},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (whoami, error) {
			s, ok := oauth.SessionFrom(ctx)
			if !ok {
				return whoami{}, fastmcp.UserErrorf("not signed in")
			}
			return whoami{Subject: s.Subject, Email: s.Email, Scopes: s.Scopes}, nil
		})
	return server, nil
}

func main() {
	c, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.Default()
	server, err := newServer(c, logger)
	if err != nil {
		log.Fatal(err)
	}
	logger.Info("serving", "url", c.BaseURL+"/mcp", "redirect URI to register at the provider", c.BaseURL+"/oauth/callback")
	if err := server.Start(context.Background(), fastmcp.HTTP{Addr: c.Addr}); err != nil {
		log.Fatal(err)
	}
}
