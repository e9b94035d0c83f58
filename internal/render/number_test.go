package render

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// randomNumbers mixes integers, short decimals and arbitrary doubles over
// the whole exponent range.
func randomNumbers(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var f float64
		switch i % 4 {
		case 0:
			f = float64(r.Int64N(1<<53)) * math.Pow(10, float64(r.IntN(10)))
		case 1:
			f = float64(r.IntN(1000000)) / math.Pow(10, float64(r.IntN(12)))
		case 2:
			f = math.Float64frombits(r.Uint64())
			if math.IsNaN(f) || math.IsInf(f, 0) {
				f = 1
			}
		default:
			f = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
		}
		out = append(out, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return out
}

func TestFormatNumberRoundTrips(t *testing.T) {
	for _, s := range randomNumbers(20000) {
		f, _ := strconv.ParseFloat(s, 64)
		got := formatNumber(f)
		back, err := strconv.ParseFloat(got, 64)
		if err != nil || back != f {
			t.Fatalf("formatNumber(%s) = %q, reads back as %v (%v)", s, got, back, err)
		}
	}
}

func TestFormatNumberMatchesRealJQInBulk(t *testing.T) {
	jq := realJQ(t)
	input := []byte("[" + strings.Join(randomNumbers(5000), ",") + "]")
	want := runRealJQ(t, jq, []string{"-c", ".[]"}, input)
	got := runOurJQ(t, Options{JQ: ".[]", Compact: true}, json.RawMessage(input), false)
	if !bytes.Equal(got, want) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := range min(len(wl), len(gl)) {
			if wl[i] != gl[i] {
				t.Fatalf("number %d: jq prints %s, mesosctl prints %s", i, wl[i], gl[i])
			}
		}
		t.Fatalf("outputs differ in length: %d vs %d lines", len(wl), len(gl))
	}
}

func FuzzFormatNumber(f *testing.F) {
	for _, s := range []float64{0, 3, 0.125, 1e17, 1e-5, math.MaxFloat64, 5e-324} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		s := formatNumber(x)
		if math.IsNaN(x) {
			if s != "null" {
				t.Fatalf("NaN printed as %q", s)
			}
			return
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || (back != x && !math.IsInf(x, 0)) {
			t.Fatalf("%v printed as %q", x, s)
		}
	})
}
