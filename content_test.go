package fastmcp_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Sample media: real magic numbers followed by filler.
var (
	ctPNG     = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
	ctGIF     = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00")
	ctWAV     = []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00")
	ctOGG     = []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00")
	ctUnknown = []byte("just some bytes")
)

func ctPriority(p float64) *float64 { return &p }

func TestContentMarshalJSON(t *testing.T) {
	t.Parallel()
	ann := &fastmcp.Annotations{Audience: []fastmcp.Role{fastmcp.RoleUser, fastmcp.RoleAssistant}, Priority: ctPriority(0.5), LastModified: "2025-01-02T03:04:05Z"}
	const annJSON = `{"audience":["user","assistant"],"priority":0.5,"lastModified":"2025-01-02T03:04:05Z"}`
	tests := []struct {
		name string
		v    json.Marshaler
		want string
	}{
		{"text", fastmcp.Text("hi \"there\"\n<&>"), `{"type":"text","text":"hi \"there\"\n<&>"}`},
		{"text with annotations and meta", &fastmcp.TextContent{Text: "a", Annotations: ann, Meta: fastmcp.Meta{"k": 1}},
			`{"type":"text","text":"a","annotations":` + annJSON + `,"_meta":{"k":1}}`},
		{"empty text", fastmcp.Text(""), `{"type":"text","text":""}`},
		{"image", &fastmcp.ImageContent{Data: []byte{0, 1, 2, 250}, MIMEType: "image/png"}, `{"type":"image","data":"AAEC+g==","mimeType":"image/png"}`},
		{"image with annotations", &fastmcp.ImageContent{Data: []byte("abc"), MIMEType: "image/gif", Annotations: ann, Meta: fastmcp.Meta{"m": true}},
			`{"type":"image","data":"YWJj","mimeType":"image/gif","annotations":` + annJSON + `,"_meta":{"m":true}}`},
		{"audio", &fastmcp.AudioContent{Data: []byte("abcd"), MIMEType: "audio/wav"}, `{"type":"audio","data":"YWJjZA==","mimeType":"audio/wav"}`},
		{"embedded text", fastmcp.Embed(&fastmcp.ResourceContents{URI: "file:///a.txt", MIMEType: "text/plain", Text: "hello"}),
			`{"type":"resource","resource":{"uri":"file:///a.txt","mimeType":"text/plain","text":"hello"}}`},
		{"embedded blob", &fastmcp.EmbeddedResource{Resource: &fastmcp.ResourceContents{URI: "file:///a.bin", Blob: []byte{0xff, 0}}, Annotations: ann},
			`{"type":"resource","resource":{"uri":"file:///a.bin","blob":"/wA="},"annotations":` + annJSON + `}`},
		{"resource link minimal", fastmcp.Link("file:///x", "x"), `{"type":"resource_link","uri":"file:///x","name":"x"}`},
		{"resource link full", &fastmcp.ResourceLink{
			URI: "file:///r.md", Name: "r", Title: "The R", Description: "about r", MIMEType: "text/markdown", Size: 12,
			Icons: []fastmcp.Icon{{Src: "https://example.com/r.png"}}, Annotations: ann, Meta: fastmcp.Meta{"k": "v"},
		}, `{"type":"resource_link","uri":"file:///r.md","name":"r","title":"The R","description":"about r","mimeType":"text/markdown","size":12,` +
			`"icons":[{"src":"https://example.com/r.png"}],"annotations":` + annJSON + `,"_meta":{"k":"v"}}`},
		{"contents text", &fastmcp.ResourceContents{URI: "u:1", MIMEType: "text/plain", Text: "t", Meta: fastmcp.Meta{"a": 1}},
			`{"uri":"u:1","mimeType":"text/plain","text":"t","_meta":{"a":1}}`},
		{"contents empty text", &fastmcp.ResourceContents{URI: "u:1"}, `{"uri":"u:1","text":""}`},
		{"contents blob", &fastmcp.ResourceContents{URI: "u:1", MIMEType: "application/octet-stream", Blob: []byte("hello")},
			`{"uri":"u:1","mimeType":"application/octet-stream","blob":"aGVsbG8="}`},
		{"contents empty blob is still a blob", &fastmcp.ResourceContents{URI: "u:1", Blob: []byte{}}, `{"uri":"u:1","blob":""}`},
		{"contents blob wins over text", &fastmcp.ResourceContents{URI: "u:1", Text: "ignored", Blob: []byte("b")}, `{"uri":"u:1","blob":"Yg=="}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff(ttJSON(t, tt.want), ttJSON(t, string(got))); diff != "" {
				t.Errorf("JSON (-want +got):\n%s\ngot %s", diff, got)
			}
		})
	}
}

func TestContentTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    fastmcp.Content
		want string
	}{
		{fastmcp.Text("x"), "text"},
		{fastmcp.Image(nil, "image/png"), "image"},
		{fastmcp.Audio(nil, "audio/wav"), "audio"},
		{fastmcp.Embed(&fastmcp.ResourceContents{URI: "u:1"}), "resource"},
		{fastmcp.Link("u:1", "n"), "resource_link"},
	}
	for _, tt := range tests {
		if got := tt.c.ContentType(); got != tt.want {
			t.Errorf("%T.ContentType() = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestContentEmbeddedWithoutResource(t *testing.T) {
	t.Parallel()
	if b, err := json.Marshal(&fastmcp.EmbeddedResource{}); err == nil {
		t.Errorf("EmbeddedResource without Resource encoded as %s, want an error", b)
	}
}

// Every content type survives encoding and decoding through a result.
func TestContentRoundTrip(t *testing.T) {
	t.Parallel()
	ann := &fastmcp.Annotations{Audience: []fastmcp.Role{fastmcp.RoleAssistant}, Priority: ctPriority(1)}
	in := &fastmcp.CallToolResult{
		Content: []fastmcp.Content{
			&fastmcp.TextContent{Text: "hello", Annotations: ann, Meta: fastmcp.Meta{"k": "v"}},
			&fastmcp.ImageContent{Data: ctPNG, MIMEType: "image/png"},
			&fastmcp.AudioContent{Data: ctWAV, MIMEType: "audio/wav", Annotations: ann},
			fastmcp.Embed(&fastmcp.ResourceContents{URI: "file:///t.txt", MIMEType: "text/plain", Text: "text body"}),
			fastmcp.Embed(&fastmcp.ResourceContents{URI: "file:///b.bin", Blob: []byte{0, 1, 2, 3, 255}}),
			fastmcp.Embed(&fastmcp.ResourceContents{URI: "file:///e.bin", Blob: []byte{}}),
			&fastmcp.ResourceLink{URI: "file:///r", Name: "r", Title: "R", Description: "d", MIMEType: "text/plain", Size: 3,
				Icons: []fastmcp.Icon{{Src: "data:image/png;base64,AA==", Theme: "dark"}}, Meta: fastmcp.Meta{"n": 1.0}},
		},
		StructuredContent: map[string]any{"a": []any{1.0, "b"}},
		IsError:           true,
		Meta:              fastmcp.Meta{"trace": "x"},
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out fastmcp.CallToolResult
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	if diff := testdiff.Diff(in, &out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	// The empty blob stays a blob, not text.
	if rc := out.Content[5].(*fastmcp.EmbeddedResource).Resource; rc.Blob == nil {
		t.Errorf("empty blob decoded as text: %+v", rc)
	}

	// ResourceContents on its own.
	for _, rc := range []*fastmcp.ResourceContents{
		{URI: "a:1", MIMEType: "text/plain", Text: "x", Meta: fastmcp.Meta{"m": "1"}},
		{URI: "a:2", Text: ""},
		{URI: "a:3", MIMEType: "image/png", Blob: ctPNG},
	} {
		raw, err := json.Marshal(rc)
		if err != nil {
			t.Fatal(err)
		}
		var got fastmcp.ResourceContents
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("decoding %s: %v", raw, err)
		}
		if diff := testdiff.Diff(rc, &got); diff != "" {
			t.Errorf("round trip of %s (-in +out):\n%s", raw, diff)
		}
	}
}

func TestContentDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want []string // substrings of the error
	}{
		{"unknown type", `{"content":[{"type":"text","text":"ok"},{"type":"video","data":""}]}`, []string{"content[1]", `"video"`}},
		{"missing type", `{"content":[{"text":"x"}]}`, []string{"content[0]", "unknown content type"}},
		{"bad image base64", `{"content":[{"type":"image","data":"not base64!","mimeType":"image/png"}]}`, []string{"image", "base64"}},
		{"bad audio base64", `{"content":[{"type":"audio","data":"%%%","mimeType":"audio/wav"}]}`, []string{"audio", "base64"}},
		{"resource without resource", `{"content":[{"type":"resource"}]}`, []string{"without resource"}},
		{"resource contents without text or blob", `{"content":[{"type":"resource","resource":{"uri":"u:1"}}]}`, []string{"u:1", "neither text nor blob"}},
		{"bad blob base64", `{"content":[{"type":"resource","resource":{"uri":"u:2","blob":"***"}}]}`, []string{"u:2", "base64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var res fastmcp.CallToolResult
			err := json.Unmarshal([]byte(tt.json), &res)
			if err == nil {
				t.Fatalf("decoded %s without error: %+v", tt.json, res)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// Prompt messages use the same decoder.
	var m fastmcp.PromptMessage
	if err := json.Unmarshal([]byte(`{"role":"user","content":{"type":"hologram"}}`), &m); err == nil || !strings.Contains(err.Error(), "hologram") {
		t.Errorf("prompt message with unknown content: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"role":"assistant","content":{"type":"text","text":"hi"}}`), &m); err != nil {
		t.Fatal(err)
	}
	if diff := testdiff.Diff(fastmcp.PromptMessage{Role: fastmcp.RoleAssistant, Content: fastmcp.Text("hi")}, m); diff != "" {
		t.Errorf("prompt message (-want +got):\n%s", diff)
	}
}

func TestContentHelpers(t *testing.T) {
	t.Parallel()
	rc := &fastmcp.ResourceContents{URI: "u:1", Text: "x"}
	tests := []struct {
		name string
		got  fastmcp.Content
		want fastmcp.Content
	}{
		{"Text", fastmcp.Text("a"), &fastmcp.TextContent{Text: "a"}},
		{"Textf", fastmcp.Textf("%d-%s-%v", 3, "x", true), &fastmcp.TextContent{Text: "3-x-true"}},
		{"Textf without args", fastmcp.Textf("100%%"), &fastmcp.TextContent{Text: "100%"}},
		{"Image with MIME type", fastmcp.Image(ctUnknown, "image/jpeg"), &fastmcp.ImageContent{Data: ctUnknown, MIMEType: "image/jpeg"}},
		{"Image given MIME type wins over sniffing", fastmcp.Image(ctPNG, "image/x-custom"), &fastmcp.ImageContent{Data: ctPNG, MIMEType: "image/x-custom"}},
		{"Image sniffs PNG", fastmcp.Image(ctPNG, ""), &fastmcp.ImageContent{Data: ctPNG, MIMEType: "image/png"}},
		{"Image sniffs GIF", fastmcp.Image(ctGIF, ""), &fastmcp.ImageContent{Data: ctGIF, MIMEType: "image/gif"}},
		{"Image unknown falls back to PNG", fastmcp.Image(ctUnknown, ""), &fastmcp.ImageContent{Data: ctUnknown, MIMEType: "image/png"}},
		{"Image empty falls back to PNG", fastmcp.Image(nil, ""), &fastmcp.ImageContent{MIMEType: "image/png"}},
		{"Audio with MIME type", fastmcp.Audio(ctUnknown, "audio/flac"), &fastmcp.AudioContent{Data: ctUnknown, MIMEType: "audio/flac"}},
		{"Audio sniffs WAV", fastmcp.Audio(ctWAV, ""), &fastmcp.AudioContent{Data: ctWAV, MIMEType: "audio/wav"}},
		{"Audio sniffs OGG", fastmcp.Audio(ctOGG, ""), &fastmcp.AudioContent{Data: ctOGG, MIMEType: "audio/ogg"}},
		{"Audio unknown falls back to MPEG", fastmcp.Audio(ctUnknown, ""), &fastmcp.AudioContent{Data: ctUnknown, MIMEType: "audio/mpeg"}},
		{"Embed", fastmcp.Embed(rc), &fastmcp.EmbeddedResource{Resource: rc}},
		{"Link", fastmcp.Link("file:///a", "a"), &fastmcp.ResourceLink{URI: "file:///a", Name: "a"}},
	}
	for _, tt := range tests {
		if diff := testdiff.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if e := fastmcp.Embed(rc); e.Resource != rc {
		t.Error("Embed copied its contents instead of keeping the pointer")
	}
}

// Block types a revision does not define reach its clients in the nearest
// shape it does; newer clients get them unchanged.
func TestContentDowngradePerRevision(t *testing.T) {
	t.Parallel()
	ann := &fastmcp.Annotations{Audience: []fastmcp.Role{fastmcp.RoleUser}}
	audio := &fastmcp.AudioContent{Data: ctWAV, MIMEType: "audio/wav", Annotations: ann}
	titled := &fastmcp.ResourceLink{URI: "file:///report.pdf", Name: "report", Title: "Quarterly Report", MIMEType: "application/pdf"}
	plain := fastmcp.Link("https://example.com/x", "x")
	text := fastmcp.Text("after")
	blocks := []fastmcp.Content{audio, titled, plain, text}

	embeddedAudio := &fastmcp.EmbeddedResource{
		Resource:    &fastmcp.ResourceContents{URI: "urn:fastmcp:audio", MIMEType: "audio/wav", Blob: ctWAV},
		Annotations: ann,
	}
	linkText := []fastmcp.Content{fastmcp.Text("[Quarterly Report](file:///report.pdf)"), fastmcp.Text("[x](https://example.com/x)")}
	want := map[string][]fastmcp.Content{
		fastmcp.ProtocolVersion20241105: append([]fastmcp.Content{embeddedAudio}, append(linkText, text)...),
		fastmcp.ProtocolVersion20250326: append([]fastmcp.Content{audio}, append(linkText, text)...),
		fastmcp.ProtocolVersion20250618: blocks,
		fastmcp.ProtocolVersion20251125: blocks,
	}
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{})
			fastmcp.AddTool(s, fastmcp.Tool{Name: "media"}, func(*fastmcp.Context, fastmcp.NoArgs) ([]fastmcp.Content, error) {
				return blocks, nil
			})
			fastmcp.AddTool(s, fastmcp.Tool{Name: "one audio"}, func(*fastmcp.Context, fastmcp.NoArgs) (fastmcp.Content, error) {
				return fastmcp.Audio(nil, "audio/ogg"), nil
			})
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			res := ttCall(t, c, "media", nil)
			if diff := testdiff.Diff(want[rev], res.Content); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
			one := ttCall(t, c, "one audio", nil)
			if len(one.Content) != 1 {
				t.Fatalf("one audio: %d blocks", len(one.Content))
			}
			switch got := one.Content[0].(type) {
			case *fastmcp.EmbeddedResource:
				if rev != fastmcp.ProtocolVersion20241105 || got.Resource.MIMEType != "audio/ogg" || got.Resource.Blob == nil || len(got.Resource.Blob) != 0 {
					t.Errorf("empty audio as %+v", got.Resource)
				}
			case *fastmcp.AudioContent:
				if rev == fastmcp.ProtocolVersion20241105 || got.MIMEType != "audio/ogg" {
					t.Errorf("empty audio as %+v", got)
				}
			default:
				t.Errorf("empty audio as %T", got)
			}
		})
	}
	// Shaping results for old clients leaves the handler's blocks alone
	// (checked once the parallel subtests are done).
	t.Cleanup(func() {
		if blocks[0] != audio || blocks[1] != titled || audio.MIMEType != "audio/wav" || titled.Name != "report" {
			t.Error("downgrading modified the handler's content")
		}
	})
}

func TestContentBugImageSniffsAudioType(t *testing.T) {
	t.Parallel()
	if got := fastmcp.Image(ctWAV, "").MIMEType; !strings.HasPrefix(got, "image/") {
		t.Errorf("Image(wav, \"\").MIMEType = %q, want an image/* type", got)
	}
	if got := fastmcp.Audio(ctPNG, "").MIMEType; !strings.HasPrefix(got, "audio/") {
		t.Errorf("Audio(png, \"\").MIMEType = %q, want an audio/* type", got)
	}
}
