package fastmcp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Content is a block of a tool result, a prompt message or a sampling message:
// one of *TextContent, *ImageContent, *AudioContent, *EmbeddedResource or
// *ResourceLink. The set is closed.
type Content interface {
	// ContentType returns the block's "type" member, such as "text".
	ContentType() string
	isContent()
}

// TextContent is a block of text.
type TextContent struct {
	// Text is the block's text.
	Text string
	// Annotations tell the client how to use or display the block.
	Annotations *Annotations
	// Meta is the block's _meta (2025-06-18 and later; dropped for older
	// clients).
	Meta Meta
}

// ImageContent is an image. Data holds the raw bytes; they travel base64-encoded.
type ImageContent struct {
	// Data is the image's raw bytes.
	Data []byte
	// MIMEType is the image's type, such as "image/png".
	MIMEType string
	// Annotations tell the client how to use or display the block.
	Annotations *Annotations
	// Meta is the block's _meta (2025-06-18 and later; dropped for older
	// clients).
	Meta Meta
}

// AudioContent is audio (protocol revision 2025-03-26 and later). Data holds the
// raw bytes; they travel base64-encoded. For 2024-11-05 clients it is sent as
// an embedded binary resource with the URI "urn:fastmcp:audio", the only shape
// that revision can carry.
type AudioContent struct {
	// Data is the audio's raw bytes.
	Data []byte
	// MIMEType is the audio's type, such as "audio/wav".
	MIMEType string
	// Annotations tell the client how to use or display the block.
	Annotations *Annotations
	// Meta is the block's _meta (2025-06-18 and later; dropped for older
	// clients).
	Meta Meta
}

// EmbeddedResource carries the contents of a resource inside a result.
type EmbeddedResource struct {
	// Resource is the embedded contents.
	Resource *ResourceContents
	// Annotations tell the client how to use or display the block.
	Annotations *Annotations
	// Meta is the block's _meta (2025-06-18 and later; dropped for older
	// clients).
	Meta Meta
}

// ResourceLink points to a resource the client may read (protocol revision
// 2025-06-18 and later). Older clients receive a text block with a Markdown
// link instead.
type ResourceLink struct {
	// URI is the resource's URI, for resources/read.
	URI string
	// Name identifies the resource to programs; it is displayed when Title is
	// empty.
	Name string
	// Title is a human-readable name for display. The Markdown link sent to
	// older clients shows it in place of Name.
	Title string
	// Description tells the model what the resource holds.
	Description string
	// MIMEType is the resource's type, when known.
	MIMEType string
	// Size is the size in bytes of the raw content, when known (0 = unknown).
	Size int64
	// Icons are images a client may show for the resource (2025-11-25 and
	// later).
	Icons []Icon
	// Annotations tell the client how to use or display the block.
	Annotations *Annotations
	// Meta is the block's _meta.
	Meta Meta
}

// ResourceContents are the contents of a resource: text, or binary data when
// Blob is non-nil.
type ResourceContents struct {
	// URI identifies the contents. Left empty in a loader's result, it is
	// filled with the URI that was read.
	URI string
	// MIMEType of the contents. Left empty, it is filled with the resource's.
	MIMEType string
	// Text is the text contents; ignored when Blob is non-nil.
	Text string
	// Blob holds binary contents; they travel base64-encoded.
	Blob []byte
	// Meta is the contents' _meta (2025-06-18 and later; dropped for older
	// clients).
	Meta Meta
}

// ContentType returns "text".
func (*TextContent) ContentType() string { return "text" }

// ContentType returns "image".
func (*ImageContent) ContentType() string { return "image" }

// ContentType returns "audio".
func (*AudioContent) ContentType() string { return "audio" }

// ContentType returns "resource".
func (*EmbeddedResource) ContentType() string { return "resource" }

// ContentType returns "resource_link".
func (*ResourceLink) ContentType() string { return "resource_link" }

func (*TextContent) isContent()      {}
func (*ImageContent) isContent()     {}
func (*AudioContent) isContent()     {}
func (*EmbeddedResource) isContent() {}
func (*ResourceLink) isContent()     {}

// Text returns a text content block.
func Text(s string) *TextContent { return &TextContent{Text: s} }

// Textf returns a text content block formatted as with fmt.Sprintf.
func Textf(format string, args ...any) *TextContent {
	return &TextContent{Text: fmt.Sprintf(format, args...)}
}

// Image returns an image block of data with the given MIME type. When mimeType
// is empty it is sniffed from the data (image/png when the data is not a
// known image format).
func Image(data []byte, mimeType string) *ImageContent {
	if mimeType == "" {
		mimeType = mediaType(data, "", "", "image/", "image/png")
	}
	return &ImageContent{Data: data, MIMEType: mimeType}
}

// Audio returns an audio block of data with the given MIME type. When mimeType
// is empty it is sniffed from the data (audio/mpeg when the data is not a
// known audio format).
func Audio(data []byte, mimeType string) *AudioContent {
	if mimeType == "" {
		mimeType = mediaType(data, "", "", "audio/", "audio/mpeg")
	}
	return &AudioContent{Data: data, MIMEType: mimeType}
}

// Embed returns a block that embeds contents.
func Embed(contents *ResourceContents) *EmbeddedResource {
	return &EmbeddedResource{Resource: contents}
}

// Link returns a resource link block.
func Link(uri, name string) *ResourceLink { return &ResourceLink{URI: uri, Name: name} }

// MarshalJSON encodes the block with its "type" member.
func (c *TextContent) MarshalJSON() ([]byte, error) {
	return c.appendJSON(make([]byte, 0, len(c.Text)+32))
}

func (c *TextContent) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":"text","text":`...)
	b = jsonrpc.AppendString(b, c.Text)
	if c.Annotations == nil && c.Meta == nil {
		return append(b, '}'), nil
	}
	return closeContent(b, c.Annotations, c.Meta)
}

// appendContent appends the JSON of a content block.
func appendContent(b []byte, c Content) ([]byte, error) {
	if t, ok := c.(*TextContent); ok {
		return t.appendJSON(b)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// MarshalJSON encodes the block with its "type" member.
func (c *ImageContent) MarshalJSON() ([]byte, error) {
	return marshalMedia("image", c.Data, c.MIMEType, c.Annotations, c.Meta)
}

// MarshalJSON encodes the block with its "type" member.
func (c *AudioContent) MarshalJSON() ([]byte, error) {
	return marshalMedia("audio", c.Data, c.MIMEType, c.Annotations, c.Meta)
}

func marshalMedia(typ string, data []byte, mime string, a *Annotations, meta Meta) ([]byte, error) {
	b := make([]byte, 0, base64.StdEncoding.EncodedLen(len(data))+len(mime)+48)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","data":"`...)
	b = base64.StdEncoding.AppendEncode(b, data)
	b = append(b, `","mimeType":`...)
	b = jsonrpc.AppendString(b, mime)
	return closeContent(b, a, meta)
}

// MarshalJSON encodes the block with its "type" member.
func (c *EmbeddedResource) MarshalJSON() ([]byte, error) {
	if c.Resource == nil {
		return nil, fmt.Errorf("fastmcp: EmbeddedResource without Resource")
	}
	rc, err := c.Resource.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b := append(make([]byte, 0, len(rc)+32), `{"type":"resource","resource":`...)
	b = append(b, rc...)
	return closeContent(b, c.Annotations, c.Meta)
}

// MarshalJSON encodes the block with its "type" member.
func (c *ResourceLink) MarshalJSON() ([]byte, error) {
	type link struct {
		Type        string       `json:"type"`
		URI         string       `json:"uri"`
		Name        string       `json:"name"`
		Title       string       `json:"title,omitempty"`
		Description string       `json:"description,omitempty"`
		MIMEType    string       `json:"mimeType,omitempty"`
		Size        int64        `json:"size,omitempty"`
		Icons       []Icon       `json:"icons,omitempty"`
		Annotations *Annotations `json:"annotations,omitempty"`
		Meta        Meta         `json:"_meta,omitempty"`
	}
	return json.Marshal(link{"resource_link", c.URI, c.Name, c.Title, c.Description, c.MIMEType, c.Size, c.Icons, c.Annotations, c.Meta})
}

// closeContent appends the optional annotations and _meta members and the
// closing brace.
func closeContent(b []byte, a *Annotations, meta Meta) ([]byte, error) {
	if a != nil {
		ab, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"annotations":`...)
		b = append(b, ab...)
	}
	if meta != nil {
		mb, err := json.Marshal(meta)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"_meta":`...)
		b = append(b, mb...)
	}
	return append(b, '}'), nil
}

// MarshalJSON encodes text contents with "text" and binary ones with "blob".
func (rc *ResourceContents) MarshalJSON() ([]byte, error) {
	b := append(make([]byte, 0, len(rc.Text)+len(rc.URI)+48), `{"uri":`...)
	b = jsonrpc.AppendString(b, rc.URI)
	if rc.MIMEType != "" {
		b = append(b, `,"mimeType":`...)
		b = jsonrpc.AppendString(b, rc.MIMEType)
	}
	if rc.Blob != nil {
		b = append(b, `,"blob":"`...)
		b = base64.StdEncoding.AppendEncode(b, rc.Blob)
		b = append(b, '"')
	} else {
		b = append(b, `,"text":`...)
		b = jsonrpc.AppendString(b, rc.Text)
	}
	return closeContent(b, nil, rc.Meta)
}

// UnmarshalJSON decodes text or blob contents.
func (rc *ResourceContents) UnmarshalJSON(data []byte) error {
	var w struct {
		URI      string  `json:"uri"`
		MIMEType string  `json:"mimeType"`
		Text     *string `json:"text"`
		Blob     *string `json:"blob"`
		Meta     Meta    `json:"_meta"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*rc = ResourceContents{URI: w.URI, MIMEType: w.MIMEType, Meta: w.Meta}
	switch {
	case w.Blob != nil:
		blob, err := base64.StdEncoding.DecodeString(*w.Blob)
		if err != nil {
			return fmt.Errorf("fastmcp: resource %q: invalid base64 blob: %w", w.URI, err)
		}
		rc.Blob = blob
	case w.Text != nil:
		rc.Text = *w.Text
	default:
		return fmt.Errorf("fastmcp: resource %q has neither text nor blob", w.URI)
	}
	return nil
}

// contentWire is the decoding shape of every content block.
type contentWire struct {
	Type        string            `json:"type"`
	Text        string            `json:"text"`
	Data        string            `json:"data"`
	MIMEType    string            `json:"mimeType"`
	Resource    *ResourceContents `json:"resource"`
	URI         string            `json:"uri"`
	Name        string            `json:"name"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Size        int64             `json:"size"`
	Icons       []Icon            `json:"icons"`
	Annotations *Annotations      `json:"annotations"`
	Meta        Meta              `json:"_meta"`
}

// decodeContent decodes one content block by its "type".
func decodeContent(raw json.RawMessage) (Content, error) {
	var w contentWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	switch w.Type {
	case "text":
		return &TextContent{Text: w.Text, Annotations: w.Annotations, Meta: w.Meta}, nil
	case "image", "audio":
		data, err := base64.StdEncoding.DecodeString(w.Data)
		if err != nil {
			return nil, fmt.Errorf("fastmcp: %s content: invalid base64 data: %w", w.Type, err)
		}
		if w.Type == "image" {
			return &ImageContent{Data: data, MIMEType: w.MIMEType, Annotations: w.Annotations, Meta: w.Meta}, nil
		}
		return &AudioContent{Data: data, MIMEType: w.MIMEType, Annotations: w.Annotations, Meta: w.Meta}, nil
	case "resource":
		if w.Resource == nil {
			return nil, fmt.Errorf("fastmcp: resource content without resource")
		}
		return &EmbeddedResource{Resource: w.Resource, Annotations: w.Annotations, Meta: w.Meta}, nil
	case "resource_link":
		return &ResourceLink{URI: w.URI, Name: w.Name, Title: w.Title, Description: w.Description,
			MIMEType: w.MIMEType, Size: w.Size, Icons: w.Icons, Annotations: w.Annotations, Meta: w.Meta}, nil
	}
	return nil, fmt.Errorf("fastmcp: unknown content type %q", w.Type)
}

func decodeContents(raws []json.RawMessage) ([]Content, error) {
	out := make([]Content, 0, len(raws))
	for i, raw := range raws {
		c, err := decodeContent(raw)
		if err != nil {
			return nil, fmt.Errorf("content[%d]: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// audioFallbackURI names audio sent to 2024-11-05 clients as a binary resource.
const audioFallbackURI = "urn:fastmcp:audio"

// contentsFor returns cs shaped for protocol revision v: block types the
// revision does not know are replaced by the nearest shape it does. The input
// is not modified; when nothing needs replacing, cs itself is returned.
func contentsFor(cs []Content, v protocolVersion) []Content {
	if v >= v20250618 {
		return cs
	}
	var out []Content
	for i, c := range cs {
		d := contentFor(c, v)
		if d != c && out == nil {
			out = make([]Content, len(cs))
			copy(out, cs[:i])
		}
		if out != nil {
			out[i] = d
		}
	}
	if out == nil {
		return cs
	}
	return out
}

func contentFor(c Content, v protocolVersion) Content {
	if v < v20250618 {
		c = withoutNewMembers(c)
	}
	switch c := c.(type) {
	case *AudioContent:
		if v < v20250326 {
			return &EmbeddedResource{
				Resource:    &ResourceContents{URI: audioFallbackURI, MIMEType: c.MIMEType, Blob: nonNil(c.Data)},
				Annotations: annotationsBefore20250618(c.Annotations),
			}
		}
	case *ResourceLink:
		if v >= v20250618 && v < v20251125 && c.Icons != nil {
			cp := *c
			cp.Icons = nil // icons arrived with 2025-11-25
			return &cp
		}
		if v < v20250618 {
			name := c.Name
			if c.Title != "" {
				name = c.Title
			}
			return &TextContent{Text: "[" + name + "](" + c.URI + ")", Annotations: annotationsBefore20250618(c.Annotations)}
		}
	}
	return c
}

// withoutNewMembers returns c without the members that arrived with 2025-06-18:
// _meta, and lastModified in annotations. c is copied only when it has them.
func withoutNewMembers(c Content) Content {
	switch x := c.(type) {
	case *TextContent:
		if x.Meta != nil || hasLastModified(x.Annotations) {
			cp := *x
			cp.Meta, cp.Annotations = nil, annotationsBefore20250618(x.Annotations)
			return &cp
		}
	case *ImageContent:
		if x.Meta != nil || hasLastModified(x.Annotations) {
			cp := *x
			cp.Meta, cp.Annotations = nil, annotationsBefore20250618(x.Annotations)
			return &cp
		}
	case *AudioContent:
		if x.Meta != nil || hasLastModified(x.Annotations) {
			cp := *x
			cp.Meta, cp.Annotations = nil, annotationsBefore20250618(x.Annotations)
			return &cp
		}
	case *EmbeddedResource:
		if x.Meta != nil || hasLastModified(x.Annotations) || (x.Resource != nil && x.Resource.Meta != nil) {
			cp := *x
			cp.Meta, cp.Annotations = nil, annotationsBefore20250618(x.Annotations)
			cp.Resource = contentsBefore20250618(x.Resource)
			return &cp
		}
	}
	return c
}

func hasLastModified(a *Annotations) bool { return a != nil && a.LastModified != "" }

// contentsBefore20250618 drops the _meta of resource contents, which arrived
// with 2025-06-18.
func contentsBefore20250618(rc *ResourceContents) *ResourceContents {
	if rc == nil || rc.Meta == nil {
		return rc
	}
	cp := *rc
	cp.Meta = nil
	return &cp
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// contentSummary is a short description of a content block for error messages.
func contentSummary(c Content) string {
	if c == nil {
		return "<nil>"
	}
	switch c := c.(type) {
	case *TextContent:
		return "text(" + strconv.Itoa(len(c.Text)) + " bytes)"
	default:
		return c.ContentType()
	}
}
