package render

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// formatNumber writes f the way jq 1.6 prints a number: the shortest digits
// that round-trip, plain notation unless the decimal point lies more than 15
// places past the last significant digit or the value is below 1e-4, then
// C-style exponent notation ("1e+17", "1.5e-07"). NaN prints as null and the
// infinities as ±DBL_MAX, as jq does.
func formatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "null"
	case math.IsInf(f, 1):
		f = math.MaxFloat64
	case math.IsInf(f, -1):
		f = -math.MaxFloat64
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	// 'e' with precision -1 yields the shortest round-trip digits: d.ddde±XX.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1 // position of the decimal point relative to digits
	var b strings.Builder
	b.WriteString(sign)
	if decpt <= -4 || decpt > len(digits)+15 {
		b.WriteByte(digits[0])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if exp < 0 {
			b.WriteByte('-')
			exp = -exp
		} else {
			b.WriteByte('+')
		}
		if exp < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(exp))
		return b.String()
	}
	switch {
	case decpt <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -decpt))
		b.WriteString(digits)
	case decpt >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", decpt-len(digits)))
	default:
		b.WriteString(digits[:decpt])
		b.WriteByte('.')
		b.WriteString(digits[decpt:])
	}
	return b.String()
}

// toFloat converts any numeric value gojq or the decoders produce to the
// double jq would hold.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case Number:
		return float64(n), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(n).Float64()
		return f, true
	case interface{ Float64() (float64, error) }: // json.Number
		f, err := n.Float64()
		if err != nil {
			// Out of range: strconv reports ±Inf together with the error.
			return f, !math.IsNaN(f)
		}
		return f, true
	}
	return 0, false
}

// Number is a JSON number as seen by --template: it prints the way jq
// prints numbers (3.0 as 3, 0.125 as 0.125) and compares as a float64.
type Number float64

// String formats n like jq.
func (n Number) String() string { return formatNumber(float64(n)) }
