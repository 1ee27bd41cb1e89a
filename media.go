package fastmcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Defaults of FetchOptions.
const (
	DefaultFetchTimeout  = 30 * time.Second
	DefaultMaxMediaBytes = 20 << 20
)

// FetchOptions control how media is loaded by ImageFromURL, AudioFromURL,
// ImageFromFile and AudioFromFile. A nil *FetchOptions means the defaults.
type FetchOptions struct {
	// Client fetches URLs. Default: a client with Timeout.
	Client *http.Client
	// Timeout bounds a URL fetch, including reading the body.
	// Default DefaultFetchTimeout (30 seconds).
	Timeout time.Duration
	// MaxBytes caps the size of the media; larger media is an error rather
	// than a truncated image. Default DefaultMaxMediaBytes (20 MiB).
	MaxBytes int64
}

// ErrMediaTooLarge is returned when media exceeds FetchOptions.MaxBytes.
var ErrMediaTooLarge = errors.New("fastmcp: media exceeds the size limit")

func (o *FetchOptions) maxBytes() int64 {
	if o == nil || o.MaxBytes <= 0 {
		return DefaultMaxMediaBytes
	}
	return o.MaxBytes
}

func (o *FetchOptions) timeout() time.Duration {
	if o == nil || o.Timeout <= 0 {
		return DefaultFetchTimeout
	}
	return o.Timeout
}

// ImageFromFile reads an image file. The MIME type is sniffed from the data,
// then guessed from the extension, then image/png.
func ImageFromFile(path string, opts *FetchOptions) (*ImageContent, error) {
	data, err := readFileCapped(path, opts.maxBytes())
	if err != nil {
		return nil, err
	}
	return &ImageContent{Data: data, MIMEType: mediaType(data, path, "", "image/", "image/png")}, nil
}

// AudioFromFile reads an audio file. The MIME type is sniffed from the data,
// then guessed from the extension, then audio/mpeg.
func AudioFromFile(path string, opts *FetchOptions) (*AudioContent, error) {
	data, err := readFileCapped(path, opts.maxBytes())
	if err != nil {
		return nil, err
	}
	return &AudioContent{Data: data, MIMEType: mediaType(data, path, "", "audio/", "audio/mpeg")}, nil
}

// ImageFromURL fetches an image over http or https, within the timeout and size
// cap of opts. The MIME type is sniffed from the data, then taken from the
// response's Content-Type or the URL's extension, then image/png.
func ImageFromURL(ctx context.Context, rawURL string, opts *FetchOptions) (*ImageContent, error) {
	data, ctype, err := fetchMedia(ctx, rawURL, opts)
	if err != nil {
		return nil, err
	}
	return &ImageContent{Data: data, MIMEType: mediaType(data, urlPath(rawURL), ctype, "image/", "image/png")}, nil
}

// AudioFromURL fetches audio over http or https, within the timeout and size
// cap of opts. The MIME type is sniffed from the data, then taken from the
// response's Content-Type or the URL's extension, then audio/mpeg.
func AudioFromURL(ctx context.Context, rawURL string, opts *FetchOptions) (*AudioContent, error) {
	data, ctype, err := fetchMedia(ctx, rawURL, opts)
	if err != nil {
		return nil, err
	}
	return &AudioContent{Data: data, MIMEType: mediaType(data, urlPath(rawURL), ctype, "audio/", "audio/mpeg")}, nil
}

func readFileCapped(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrMediaTooLarge, name, max)
	}
	return data, nil
}

func fetchMedia(ctx context.Context, rawURL string, opts *FetchOptions) ([]byte, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("fastmcp: invalid media URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, "", fmt.Errorf("fastmcp: media URL %q: only http and https are fetched", rawURL)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, "", err
	}
	client := http.DefaultClient
	if opts != nil && opts.Client != nil {
		client = opts.Client
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("fastmcp: fetching %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", fmt.Errorf("fastmcp: fetching %s: %s", rawURL, resp.Status)
	}
	max := opts.maxBytes()
	if resp.ContentLength > max {
		return nil, "", fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrMediaTooLarge, rawURL, resp.ContentLength, max)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, "", fmt.Errorf("fastmcp: reading %s: %w", rawURL, err)
	}
	if int64(len(data)) > max {
		return nil, "", fmt.Errorf("%w: %s is larger than %d bytes", ErrMediaTooLarge, rawURL, max)
	}
	return data, resp.Header.Get("Content-Type"), nil
}

func urlPath(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return path.Base(u.Path)
	}
	return ""
}

// mediaType picks the MIME type of media: sniffed from the data when that gives
// the right family (prefix, "image/" or "audio/"), else a Content-Type of that
// family, else the file extension's type, else fallback.
func mediaType(data []byte, name, contentType, family, fallback string) string {
	if t := sniffMIME(data, ""); strings.HasPrefix(t, family) {
		return t
	}
	if ct, _, err := mime.ParseMediaType(contentType); err == nil && strings.HasPrefix(ct, family) {
		return ct
	}
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); strings.HasPrefix(t, family) {
		t, _, _ = strings.Cut(t, ";")
		return t
	}
	return fallback
}

// sniffMIME identifies common image and audio formats by their magic bytes,
// returning fallback when none matches.
func sniffMIME(data []byte, fallback string) string {
	switch {
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WAVE")):
		return "audio/wav"
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return "image/webp"
	case bytes.HasPrefix(data, []byte("ID3")):
		return "audio/mpeg"
	case len(data) >= 2 && data[0] == 0xFF && data[1]&0xF6 == 0xF0: // ADTS: 12-bit sync, layer 00
		return "audio/aac"
	case len(data) >= 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0 && data[1]&0x06 != 0: // MPEG audio frame
		return "audio/mpeg"
	case bytes.HasPrefix(data, []byte("OggS")):
		return "audio/ogg"
	case bytes.HasPrefix(data, []byte("fLaC")):
		return "audio/flac"
	case len(data) >= 12 && bytes.Equal(data[4:8], []byte("ftyp")) && (bytes.HasPrefix(data[8:], []byte("M4A")) || bytes.HasPrefix(data[8:], []byte("M4B"))):
		return "audio/mp4"
	case len(data) >= 12 && bytes.Equal(data[4:8], []byte("ftyp")) && (bytes.HasPrefix(data[8:], []byte("avif")) || bytes.HasPrefix(data[8:], []byte("avis"))):
		return "image/avif"
	case bytes.HasPrefix(data, []byte("\x1A\x45\xDF\xA3")):
		return "audio/webm"
	}
	if t := http.DetectContentType(data); strings.HasPrefix(t, "image/") {
		return t
	}
	head := bytes.TrimSpace(data[:min(len(data), 512)])
	if bytes.HasPrefix(head, []byte("<svg")) || (bytes.HasPrefix(head, []byte("<?xml")) && bytes.Contains(head, []byte("<svg"))) {
		return "image/svg+xml"
	}
	return fallback
}
