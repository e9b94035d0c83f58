// Package suggest finds, for a mistyped word, the valid words that were
// probably meant ("did you mean …?"), and checks enumerated flag values
// with such a hint. Closeness is what cobra uses for command names: a
// Levenshtein distance of at most 2 (case-insensitive), or a prefix.
package suggest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// MaxDistance is the largest edit distance a suggestion may have.
const MaxDistance = 2

// Annotation is the pflag annotation that lists an enumerated flag's
// valid values (set by MarkEnum; read by completion and tests).
const Annotation = "mesosctl_enum"

// Words returns the valid words closest to typed, closest first.
func Words(typed string, valid []string) []string {
	t := strings.ToLower(typed)
	if t == "" {
		return nil
	}
	type cand struct {
		word string
		dist int
	}
	var cands []cand
	for _, v := range valid {
		lv := strings.ToLower(v)
		d := distance(t, lv)
		if d <= MaxDistance || (len(t) > 1 && strings.HasPrefix(lv, t)) {
			cands = append(cands, cand{v, d})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return a.dist - b.dist })
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.word
	}
	return out
}

// DidYouMean is the hint cobra prints under an unknown command
// ("\n\nDid you mean this?\n\tversion\n"), or "" when nothing is close.
func DidYouMean(typed string, valid []string) string {
	words := Words(typed, valid)
	if len(words) == 0 {
		return ""
	}
	return "\n\nDid you mean this?\n\t" + strings.Join(words, "\n\t") + "\n"
}

// Enum checks value against the valid values of flag, ignoring case, and
// returns the valid value as written in valid; else an error naming them
// all, with a hint when one is close.
func Enum(flag, value string, valid []string) (string, error) {
	for _, v := range valid {
		if strings.EqualFold(v, value) {
			return v, nil
		}
	}
	return "", fmt.Errorf("invalid --%s %q: use one of %s%s", flag, value, strings.Join(valid, ", "), DidYouMean(value, valid))
}

// MarkEnum records the valid values of the flag name of fs (Annotation),
// so that completion can offer them and tests can find every enumerated
// flag. The command still checks the value itself (Enum).
func MarkEnum(fs *pflag.FlagSet, name string, valid []string) {
	if err := fs.SetAnnotation(name, Annotation, valid); err != nil {
		panic(err) // a programming error: no such flag
	}
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
