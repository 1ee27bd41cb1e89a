package fastmcp

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Completer suggests values for one argument of a prompt or resource template.
// value is what the user has typed so far; args holds the other arguments the
// client has already resolved (the request's context.arguments). Return the
// suggestions best first: FastMCP sends at most 100, with hasMore and total
// when there are more.
type Completer func(ctx *Context, value string, args map[string]string) ([]string, error)

// MaxCompletionValues is the most values a completion result carries, as the
// protocol allows.
const MaxCompletionValues = 100

// EnumCompleter returns a Completer that ranks values by how well they match
// what was typed: exact, then prefix, then word prefix, then substring, then
// in-order characters (fuzzy), then a one-letter typo in the prefix. Matching
// ignores case. An empty input suggests every value in the given order.
func EnumCompleter(values ...string) Completer {
	values = slices.Clone(values)
	return func(_ *Context, value string, _ map[string]string) ([]string, error) {
		return RankCompletions(values, value), nil
	}
}

// RankCompletions returns the values matching input, best first, by the rules
// of EnumCompleter.
func RankCompletions(values []string, input string) []string {
	if input == "" {
		return slices.Clone(values)
	}
	q := strings.ToLower(input)
	type scored struct {
		v     string
		score int
		idx   int
	}
	var out []scored
	for i, v := range values {
		if s, ok := matchScore(strings.ToLower(v), q); ok {
			out = append(out, scored{v, s, i})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if c := cmp.Compare(a.score, b.score); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	res := make([]string, len(out))
	for i, s := range out {
		res[i] = s.v
	}
	return res
}

// matchScore scores how well the lower-cased candidate v matches query q;
// lower is better.
func matchScore(v, q string) (int, bool) {
	switch {
	case v == q:
		return 0, true
	case strings.HasPrefix(v, q):
		return 1, true
	case wordPrefix(v, q):
		return 2, true
	case strings.Contains(v, q):
		return 3, true
	}
	if gaps, ok := subsequence(v, q); ok {
		return 4 + min(gaps, typoScore-5), true
	}
	if qr := []rune(q); len(qr) >= 3 {
		if vr := []rune(v); len(vr) >= len(qr) && editDistanceAtMostOne(string(foldRunes(vr[:len(qr)])), string(foldRunes(qr))) {
			return typoScore, true
		}
	}
	return 0, false
}

// typoScore ranks a one-letter typo after every other kind of match.
const typoScore = 1 << 30

// foldRunes maps letters with diacritics to their base letter for the typo
// rule, so "resum" is one letter away from "résum" at most. Runes are returned
// as a fixed-width string so positions line up.
func foldRunes(rs []rune) []rune {
	out := make([]rune, len(rs))
	for i, r := range rs {
		out[i] = baseLetter(r)
	}
	return out
}

// baseLetter strips common Latin diacritics.
func baseLetter(r rune) rune {
	switch {
	case strings.ContainsRune("àáâãäåā", r):
		return 'a'
	case strings.ContainsRune("çćč", r):
		return 'c'
	case strings.ContainsRune("èéêëēę", r):
		return 'e'
	case strings.ContainsRune("ìíîïī", r):
		return 'i'
	case strings.ContainsRune("ñń", r):
		return 'n'
	case strings.ContainsRune("òóôõöøō", r):
		return 'o'
	case strings.ContainsRune("ùúûüū", r):
		return 'u'
	case strings.ContainsRune("ýÿ", r):
		return 'y'
	case strings.ContainsRune("śšß", r):
		return 's'
	case strings.ContainsRune("źżž", r):
		return 'z'
	}
	return r
}

// wordPrefix reports whether q starts a word of v after a separator.
func wordPrefix(v, q string) bool {
	for i, r := range v {
		if i > 0 && !unicode.IsLetter(r) && !unicode.IsDigit(r) && strings.HasPrefix(v[i+utf8.RuneLen(r):], q) {
			return true
		}
	}
	return false
}

// subsequence reports whether the characters of q appear in v in order, and
// how many characters of v were skipped between them.
func subsequence(v, q string) (gaps int, ok bool) {
	vi, started := 0, false
	for _, qr := range q {
		found := false
		for vi < len(v) {
			r, size := utf8.DecodeRuneInString(v[vi:])
			vi += size
			if r == qr {
				found, started = true, true
				break
			}
			if started {
				gaps++
			}
		}
		if !found {
			return 0, false
		}
	}
	return gaps, true
}

// editDistanceAtMostOne reports whether a and b, of equal length, differ in at
// most one position or by one transposition.
func editDistanceAtMostOne(a, b string) bool {
	ar, br := []rune(a), []rune(b)
	if len(ar) != len(br) {
		return false
	}
	first, second := -1, -1
	for i := range ar {
		if ar[i] == br[i] {
			continue
		}
		switch {
		case first < 0:
			first = i
		case second < 0:
			second = i
		default:
			return false
		}
	}
	if second < 0 {
		return true
	}
	return second == first+1 && ar[first] == br[second] && ar[second] == br[first]
}

// complete serves completion/complete.
func (s *Server) complete(c *Context, _ *Request) (any, error) {
	var p struct {
		paramsMeta
		Ref      CompleteReference `json:"ref"`
		Argument CompleteArgument  `json:"argument"`
		Context  *CompleteContext  `json:"context"`
	}
	if err := decodeParams(c.req, &p); err != nil {
		return nil, err
	}
	values, err := s.completeValues(c, p.Ref, p.Argument, p.Context)
	if err != nil {
		return nil, err
	}
	res := &CompleteResult{Completion: Completion{Values: values}}
	if res.Completion.Values == nil {
		res.Completion.Values = []string{}
	}
	if n := len(values); n > MaxCompletionValues {
		res.Completion = Completion{Values: values[:MaxCompletionValues], Total: n, HasMore: true}
	}
	return res, nil
}

// completeValues returns every suggestion for the argument of the reference
// the request may see.
func (s *Server) completeValues(c *Context, ref CompleteReference, arg CompleteArgument, cctx *CompleteContext) ([]string, error) {
	var completer Completer
	switch ref.Type {
	case RefPrompt:
		e := s.reg.prompts.get(ref.Name)
		if e == nil || !c.sees(e) {
			return nil, NewError(CodeInvalidParams, "Unknown prompt: %s", ref.Name)
		}
		for _, a := range e.prompt.Arguments {
			if a.Name == arg.Name {
				completer = a.Complete
				if completer == nil && len(a.Enum) > 0 {
					completer = EnumCompleter(a.Enum...)
				}
				break
			}
		}
	case RefResource:
		if t := s.reg.templates.get(ref.URI); t != nil && c.sees(t) {
			completer = t.complete[arg.Name]
		} else if r := s.reg.resources.get(ref.URI); r == nil || !c.sees(r) {
			return nil, NewError(CodeInvalidParams, "Unknown resource template: %s", ref.URI)
		}
	default:
		return nil, NewError(CodeInvalidParams, "unknown completion reference type %q", ref.Type)
	}
	if completer == nil {
		return nil, nil
	}
	var args map[string]string
	if cctx != nil {
		args = cctx.Arguments
	}
	values, err := safeComplete(s, completer, c, arg.Value, args)
	if err != nil {
		return nil, s.toWire(err, c.req)
	}
	return values, nil
}

func safeComplete(s *Server, f Completer, c *Context, value string, args map[string]string) (out []string, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, s.recoveredIn(c, "completion", v)
		}
	}()
	return f(c, value, args)
}
