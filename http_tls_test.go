package fastmcp_test

// HTTPS and mutual TLS: a CA, a server certificate for 127.0.0.1 and a client
// certificate are generated for each test run and written to a temporary
// directory.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// htPKI is a test certificate authority with a server and a client
// certificate, as PEM files and parsed.
type htPKI struct {
	caFile, serverCert, serverKey string
	caPool                        *x509.CertPool
	caDER                         []byte
	server, client                tls.Certificate
	// otherClient is signed by an unrelated CA.
	otherClient tls.Certificate
}

// htTestPKI generates a PKI for the test and writes the CA certificate and
// the server's certificate and key to t.TempDir().
func htTestPKI(t testing.TB) *htPKI {
	t.Helper()
	p, err := htGeneratePKI()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p.caFile = filepath.Join(dir, "ca.pem")
	p.serverCert = filepath.Join(dir, "server.pem")
	p.serverKey = filepath.Join(dir, "server-key.pem")
	for name, data := range map[string][]byte{
		p.caFile:     htPEM("CERTIFICATE", p.caDER),
		p.serverCert: htPEM("CERTIFICATE", p.server.Certificate[0]),
		p.serverKey:  htKeyPEM(t, p.server.PrivateKey.(*ecdsa.PrivateKey)),
	} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func htPEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func htKeyPEM(t testing.TB, k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return htPEM("EC PRIVATE KEY", der)
}

func htGeneratePKI() (*htPKI, error) {
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: name},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			return nil, nil, nil, err
		}
		cert, err := x509.ParseCertificate(der)
		return cert, key, der, err
	}
	leaf := func(ca *x509.Certificate, caKey *ecdsa.PrivateKey, serial int64, name string, usage x509.ExtKeyUsage, ips []net.IP) (tls.Certificate, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return tls.Certificate{}, err
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
	}
	ca, caKey, caDER, err := newCA("fastmcp test CA")
	if err != nil {
		return nil, err
	}
	p := &htPKI{caPool: x509.NewCertPool(), caDER: caDER}
	p.caPool.AddCert(ca)
	if p.server, err = leaf(ca, caKey, 2, "127.0.0.1", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)}); err != nil {
		return nil, err
	}
	if p.client, err = leaf(ca, caKey, 3, "test client", x509.ExtKeyUsageClientAuth, nil); err != nil {
		return nil, err
	}
	other, otherKey, _, err := newCA("unrelated CA")
	if err != nil {
		return nil, err
	}
	if p.otherClient, err = leaf(other, otherKey, 4, "stranger", x509.ExtKeyUsageClientAuth, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// htTLSClient returns an HTTP client trusting the test CA, presenting certs.
func htTLSClient(t testing.TB, p *htPKI, certs ...tls.Certificate) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.caPool, Certificates: certs}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: testkit.Wait}
}

// htTLSInitialize runs an initialize over hc and reports the error, if any.
func htTLSInitialize(t testing.TB, hc *http.Client, endpoint string) error {
	t.Helper()
	r, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(htInitBody))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := hc.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
		t.Fatalf("initialize over TLS: %d", resp.StatusCode)
	}
	return nil
}

func TestTLSCertFiles(t *testing.T) {
	t.Parallel()
	p := htTestPKI(t)
	run := htServe(t, htTestServer(t), fastmcp.HTTP{CertFile: p.serverCert, KeyFile: p.serverKey})
	if !strings.HasPrefix(run.endpoint, "https://") {
		t.Fatalf("endpoint %s", run.endpoint)
	}
	if err := htTLSInitialize(t, htTLSClient(t, p), run.endpoint); err != nil {
		t.Fatalf("a client trusting the CA: %v", err)
	}
	// A client that does not trust the CA fails.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	if _, err := (&http.Client{Transport: tr}).Get(run.base + "/health"); err == nil {
		t.Error("a client without the CA connected")
	}
	// Plain HTTP on the TLS port does not reach the MCP endpoint.
	tr2 := &http.Transport{}
	defer tr2.CloseIdleConnections()
	if resp, err := (&http.Client{Transport: tr2}).Get("http://" + run.addr + "/health"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served on the HTTPS port")
		}
	}
	// The whole session works, through the SDK-free raw client too.
	c := htNewClient(t, run.endpoint, "")
	c.hc = htTLSClient(t, p)
	c.initialize()
	c.call("tools/list", nil)
}

func TestTLSMutual(t *testing.T) {
	t.Parallel()
	p := htTestPKI(t)
	run := htServe(t, htTestServer(t), fastmcp.HTTP{CertFile: p.serverCert, KeyFile: p.serverKey, ClientCAFile: p.caFile})
	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
		ok    bool
	}{
		{"no client certificate", nil, false},
		{"certificate from another CA", []tls.Certificate{p.otherClient}, false},
		{"certificate signed by the client CA", []tls.Certificate{p.client}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := htTLSInitialize(t, htTLSClient(t, p, tc.certs...), run.endpoint)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestTLSConfigOnly(t *testing.T) {
	t.Parallel()
	p := htTestPKI(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
	run := htServe(t, htTestServer(t), fastmcp.HTTP{TLSConfig: cfg})
	if err := htTLSInitialize(t, htTLSClient(t, p), run.endpoint); err != nil {
		t.Fatal(err)
	}
	// TLSConfig combined with a client CA file requires client certificates.
	run2 := htServe(t, htTestServer(t), fastmcp.HTTP{TLSConfig: cfg, ClientCAFile: p.caFile})
	if err := htTLSInitialize(t, htTLSClient(t, p), run2.endpoint); err == nil {
		t.Error("TLSConfig + ClientCAFile accepted a client without a certificate")
	}
	if err := htTLSInitialize(t, htTLSClient(t, p, p.client), run2.endpoint); err != nil {
		t.Error(err)
	}
	if cfg.ClientCAs != nil || cfg.ClientAuth != tls.NoClientCert {
		t.Error("the caller's TLSConfig was modified")
	}
}

func TestTLSConfigErrors(t *testing.T) {
	t.Parallel()
	p := htTestPKI(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts fastmcp.HTTP
		want string
	}{
		{"CertFile without KeyFile", fastmcp.HTTP{CertFile: p.serverCert}, "KeyFile"},
		{"KeyFile without CertFile", fastmcp.HTTP{KeyFile: p.serverKey}, "CertFile"},
		{"missing certificate file", fastmcp.HTTP{CertFile: missing, KeyFile: p.serverKey}, "certificate"},
		{"client CA without a certificate", fastmcp.HTTP{ClientCAFile: p.caFile}, "certificate"},
		{"missing client CA file", fastmcp.HTTP{CertFile: p.serverCert, KeyFile: p.serverKey, ClientCAFile: missing}, "client CA"},
		{"client CA file without certificates", fastmcp.HTTP{CertFile: p.serverCert, KeyFile: p.serverKey, ClientCAFile: garbage}, "client CA"},
		{"empty TLSConfig", fastmcp.HTTP{TLSConfig: &tls.Config{}}, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.Host, tc.opts.Port = "127.0.0.1", -1
			listened := false
			tc.opts.OnListen = func(net.Addr) { listened = true }
			errc := make(chan error, 1)
			go func() { errc <- htTestServer(t).Serve(testkit.Context(t), tc.opts) }()
			select {
			case err := <-errc:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Serve: %v, want an error mentioning %q", err, tc.want)
				}
				if listened {
					t.Error("the server listened despite the error")
				}
			case <-time.After(testkit.Wait):
				t.Fatal("Serve did not fail")
			}
		})
	}
}
