package fastmcp

import (
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

func TestSniffMIME(t *testing.T) {
	t.Parallel()
	const fb = "application/x-fallback"
	tests := []struct {
		name string
		data string
		want string
	}{
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"},
		{"jpeg jfif", "\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", "image/jpeg"},
		{"jpeg exif", "\xFF\xD8\xFF\xE1\x00\x18Exif\x00\x00", "image/jpeg"},
		{"gif89a", "GIF89a\x01\x00\x01\x00", "image/gif"},
		{"gif87a", "GIF87a\x01\x00\x01\x00", "image/gif"},
		{"webp", "RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00", "image/webp"},
		{"bmp", "BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00", "image/bmp"},
		{"avif", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "image/avif"},
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>`, "image/svg+xml"},
		{"svg after whitespace", "\n  \t<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "image/svg+xml"},
		{"svg with xml declaration", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "image/svg+xml"},
		{"xml that is not svg", "<?xml version=\"1.0\"?><note>hi</note>", fb},
		{"wav", "RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00", "audio/wav"},
		{"riff of another kind", "RIFF\x24\x00\x00\x00AVI LIST", fb},
		{"mp3 with ID3 tag", "ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"},
		{"mp3 frame MPEG-1 layer III", "\xFF\xFB\x90\x64\x00\x00", "audio/mpeg"},
		{"mp3 frame MPEG-1 layer III with CRC", "\xFF\xFA\x90\x64\x00\x00", "audio/mpeg"},
		{"mp3 frame MPEG-2 layer III", "\xFF\xF3\x48\xC4\x00\x00", "audio/mpeg"},
		{"mp3 frame MPEG-2.5 layer III", "\xFF\xE3\x18\xC4\x00\x00", "audio/mpeg"},
		{"aac ADTS MPEG-4", "\xFF\xF1\x50\x80\x02\x1F\xFC", "audio/aac"},
		{"aac ADTS MPEG-2 with CRC", "\xFF\xF8\x50\x80\x02\x1F\xFC", "audio/aac"},
		{"aac ADTS MPEG-2", "\xFF\xF9\x50\x80\x02\x1F\xFC", "audio/aac"},
		{"ogg", "OggS\x00\x02\x00\x00\x00\x00", "audio/ogg"},
		{"flac", "fLaC\x00\x00\x00\x22", "audio/flac"},
		{"m4a", "\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00", "audio/mp4"},
		{"m4b", "\x00\x00\x00\x20ftypM4B \x00\x00\x02\x00", "audio/mp4"},
		{"mp4 video is not audio", "\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", fb},
		{"webm", "\x1A\x45\xDF\xA3\x9F\x42\x86\x81", "audio/webm"},
		{"plain text", "hello, world", fb},
		{"html", "<!DOCTYPE html><html></html>", fb},
		{"pdf", "%PDF-1.7\n", fb},
		{"empty", "", fb},
		{"truncated RIFF", "RIFF\x24\x00", fb},
		{"lone 0xFF", "\xFF", fb},
		{"0xFF without sync", "\xFF\x00\x00", fb},
		{"truncated ftyp", "\x00\x00\x00\x20ftyp", fb},
	}
	for _, tt := range tests {
		if got := sniffMIME([]byte(tt.data), fb); got != tt.want {
			t.Errorf("%s: sniffMIME = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := sniffMIME(nil, "x/y"); got != "x/y" {
		t.Errorf("nil data: %q, want the fallback", got)
	}
}

// mediaType prefers the sniffed type of the right family, then a Content-Type
// of that family, then the extension, then the fallback.
func TestMediaType(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	wav := []byte("RIFF\x24\x00\x00\x00WAVEfmt ")
	junk := []byte("junk")
	tests := []struct {
		name        string
		data        []byte
		file, ctype string
		family, fb  string
		want        string
	}{
		{"sniffed wins", png, "x.gif", "image/jpeg", "image/", "image/webp", "image/png"},
		{"content type next", junk, "x.gif", "image/jpeg; q=1", "image/", "image/webp", "image/jpeg"},
		{"extension next", junk, "x.GIF", "application/octet-stream", "image/", "image/webp", "image/gif"},
		{"fallback last", junk, "x", "", "image/", "image/webp", "image/webp"},
		{"sniffed type of the wrong family ignored", wav, "", "", "image/", "image/png", "image/png"},
		{"content type of the wrong family ignored", junk, "", "image/png", "audio/", "audio/mpeg", "audio/mpeg"},
		{"extension of the wrong family ignored", junk, "x.png", "", "audio/", "audio/mpeg", "audio/mpeg"},
		{"malformed content type ignored", junk, "", "image/", "image/", "image/png", "image/png"},
		{"audio sniffed", wav, "x.mp3", "audio/ogg", "audio/", "audio/mpeg", "audio/wav"},
	}
	for _, tt := range tests {
		if got := mediaType(tt.data, tt.file, tt.ctype, tt.family, tt.fb); got != tt.want {
			t.Errorf("%s: mediaType = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestContentsFor(t *testing.T) {
	t.Parallel()
	ann := &Annotations{Audience: []Role{RoleUser}}
	meta := Meta{"k": "v"}
	audio := &AudioContent{Data: []byte("abc"), MIMEType: "audio/wav", Annotations: ann, Meta: meta}
	emptyAudio := &AudioContent{MIMEType: "audio/ogg"}
	link := &ResourceLink{URI: "file:///a", Name: "a", Annotations: ann, Meta: meta}
	titled := &ResourceLink{URI: "file:///b", Name: "b", Title: "Bee"}
	text := &TextContent{Text: "t"}
	img := &ImageContent{Data: []byte{1}, MIMEType: "image/png"}

	in := []Content{text, audio, link, img, emptyAudio, titled}
	orig := append([]Content(nil), in...)

	// Before 2025-06-18 there is no _meta on content: it is dropped.
	audioNoMeta := &AudioContent{Data: []byte("abc"), MIMEType: "audio/wav", Annotations: ann}
	want := map[protocolVersion][]Content{
		v20241105: {
			text,
			&EmbeddedResource{Resource: &ResourceContents{URI: audioFallbackURI, MIMEType: "audio/wav", Blob: []byte("abc")}, Annotations: ann},
			&TextContent{Text: "[a](file:///a)", Annotations: ann},
			img,
			&EmbeddedResource{Resource: &ResourceContents{URI: audioFallbackURI, MIMEType: "audio/ogg", Blob: []byte{}}},
			&TextContent{Text: "[Bee](file:///b)"},
		},
		v20250326: {
			text, audioNoMeta,
			&TextContent{Text: "[a](file:///a)", Annotations: ann},
			img, emptyAudio,
			&TextContent{Text: "[Bee](file:///b)"},
		},
		v20250618: in,
		v20251125: in,
		v20260728: in,
	}
	for v, w := range want {
		got := contentsFor(in, v)
		if diff := testdiff.Diff(w, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", v, diff)
		}
		// Blocks that need no change are kept as they are (same pointers).
		for i, c := range got {
			if (c == in[i]) != (w[i] == in[i]) {
				t.Errorf("%s: block %d identity: got same=%v", v, i, c == in[i])
			}
		}
	}
	// The downgraded blob is never nil, so it encodes as a blob, not text.
	if rc := contentsFor([]Content{emptyAudio}, v20241105)[0].(*EmbeddedResource).Resource; rc.Blob == nil {
		t.Error("empty audio downgraded to a nil blob")
	}
	if diff := testdiff.Diff(orig, in); diff != "" {
		t.Errorf("contentsFor modified its input (-before +after):\n%s", diff)
	}

	// When nothing needs replacing, the slice itself is returned.
	plain := []Content{text, img}
	for _, v := range []protocolVersion{v20241105, v20250326, v20250618} {
		got := contentsFor(plain, v)
		if len(got) != len(plain) || &got[0] != &plain[0] {
			t.Errorf("%s: a slice needing no change was copied", v)
		}
	}
	if got := contentsFor(nil, v20241105); got != nil {
		t.Errorf("nil input gave %v", got)
	}
	// The replacement slice is a copy: the input's backing array is intact.
	mixed := []Content{text, audio}
	got := contentsFor(mixed, v20241105)
	if &got[0] == &mixed[0] || mixed[1] != audio {
		t.Error("a slice needing changes was modified in place")
	}
}
