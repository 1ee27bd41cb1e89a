package fastmcp

import (
	"slices"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

func TestMatchScoreTiers(t *testing.T) {
	t.Parallel()
	const (
		exact = iota
		prefix
		word
		substring
	)
	// typo stands for the typo tier: a score above every subsequence score.
	const typo = -1
	tests := []struct {
		v, q   string
		want   int
		wantOK bool
	}{
		{"go", "go", exact, true},
		{"golang", "go", prefix, true},
		{"my-go", "go", word, true},
		{"my go", "go", word, true},
		{"my_go", "go", word, true},
		{"a.b/go", "go", word, true},
		{"x9go", "go", substring, true}, // a digit is not a separator
		{"ago", "go", substring, true},
		{"g-o", "go", 4 + 1, true},
		{"gxxo", "go", 4 + 2, true},
		{"xxgo-", "gxo", 0, false},
		{"xxg-o", "go", 4 + 1, true}, // characters skipped before the first match are free
		{"python", "pyhton", typo, true},
		{"rust", "rusk", typo, true},
		{"rustacean", "rusk", typo, true}, // the typo is judged on the prefix
		{"rust", "rxsk", 0, false},
		{"ru", "rus", 0, false},   // shorter than the input
		{"rust", "rxy", 0, false}, // neither subsequence nor within one edit
		{"rs", "rx", 0, false},    // typos need 3+ letters of input
		{"abc", "abd", typo, true},
		{"abc", "bac", typo, true},
		{"abcd", "badc", 0, false}, // two transpositions
		{"x", "y", 0, false},
		{"émile", "ém", prefix, true},
	}
	for _, tt := range tests {
		got, ok := matchScore(tt.v, tt.q)
		if tt.want == typo && ok && got > 4+len(tt.v) {
			continue
		}
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("matchScore(%q, %q) = %d, %v; want %d, %v", tt.v, tt.q, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRankCompletions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		input  string
		want   []string
	}{
		{"empty input keeps order", []string{"b", "a", "c"}, "", []string{"b", "a", "c"}},
		{"empty input with no values", nil, "", []string{}},
		{"no values", nil, "x", []string{}},
		{"no match", []string{"a"}, "zzz", []string{}},
		{"tiers", []string{"nomatch-abd", "sub-a-b-c", "xabcx", "x-abc", "abcdef", "abc"}, "abc",
			[]string{"abc", "abcdef", "x-abc", "xabcx", "sub-a-b-c"}},
		{"typo ranks last", []string{"abd", "a-b-c", "abc"}, "abc", []string{"abc", "a-b-c", "abd"}},
		{"fewer gaps first", []string{"a--b--c", "a-b-c", "ab-c"}, "abc", []string{"ab-c", "a-b-c", "a--b--c"}},
		{"ties keep order", []string{"gob", "goa", "goc"}, "go", []string{"gob", "goa", "goc"}},
		{"case-insensitive, original case kept", []string{"Zeta", "ALPHA", "alphabet"}, "Alpha", []string{"ALPHA", "alphabet"}},
		{"unicode case folding", []string{"Émile", "emile"}, "éM", []string{"Émile"}},
		{"duplicates kept", []string{"a", "a"}, "a", []string{"a", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.values)
			got := RankCompletions(in, tt.input)
			if got == nil {
				got = []string{}
			}
			if diff := testdiff.Diff(tt.want, got); diff != "" {
				t.Errorf("RankCompletions(%q, %q) (-want +got):\n%s", tt.values, tt.input, diff)
			}
			if diff := testdiff.Diff(tt.values, in); diff != "" {
				t.Errorf("input modified (-before +after):\n%s", diff)
			}
		})
	}
	// The empty-input result is a copy: changing it leaves the values alone.
	values := []string{"a", "b"}
	RankCompletions(values, "")[0] = "changed"
	if values[0] != "a" {
		t.Error("RankCompletions returned the caller's slice for empty input")
	}
}

func TestEnumCompleterCopiesValues(t *testing.T) {
	t.Parallel()
	values := []string{"red", "green"}
	c := EnumCompleter(values...)
	values[0] = "blue"
	got, err := c(nil, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := testdiff.Diff([]string{"red", "green"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got[1] = "changed"
	if again, _ := c(nil, "", nil); again[1] != "green" {
		t.Error("a caller's change to the result leaked into later results")
	}
}

func TestSubsequenceAndEditDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		v, q string
		gaps int
		ok   bool
	}{
		{"abc", "abc", 0, true},
		{"xaxbxc", "abc", 2, true},
		{"abc", "acb", 0, false},
		{"abc", "", 0, true},
		{"", "a", 0, false},
		{"héllo", "hlo", 2, true},
	} {
		gaps, ok := subsequence(tt.v, tt.q)
		if ok != tt.ok || (ok && gaps != tt.gaps) {
			t.Errorf("subsequence(%q, %q) = %d, %v; want %d, %v", tt.v, tt.q, gaps, ok, tt.gaps, tt.ok)
		}
	}
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"abc", "abc", true},
		{"abc", "abx", true},
		{"abc", "bac", true},
		{"abc", "acb", true},
		{"abc", "cba", false},
		{"abc", "xyc", false},
		{"abcd", "bacd", true},
		{"abcd", "badc", false},
	} {
		if got := editDistanceAtMostOne(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistanceAtMostOne(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestMatchScoreTypoNonASCII(t *testing.T) {
	t.Parallel()
	// "resum" differs from "résum" in one letter (é typed as e), as "rusk"
	// differs from "rust".
	if _, ok := matchScore("résumé", "resum"); !ok {
		t.Errorf(`matchScore("résumé", "resum") found no match; want a typo match`)
	}
	if got := RankCompletions([]string{"Résumé", "other"}, "resum"); len(got) != 1 || got[0] != "Résumé" {
		t.Errorf("RankCompletions = %q, want [Résumé]", got)
	}
}

func TestRankSubsequenceAboveTypoWithLongGaps(t *testing.T) {
	t.Parallel()
	long := "a" + strings.Repeat("x", 1000) + "bc" // subsequence of "abc"
	got := RankCompletions([]string{"abd", long}, "abc")
	if len(got) != 2 || got[0] != long {
		t.Errorf("subsequence match ranked after the typo match: %.10q", got)
	}
}
