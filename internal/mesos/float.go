package mesos

import (
	"math"
	"strconv"
	"strings"
)

// Float is a float64 that marshals to JSON the way Mesos (rapidjson) writes
// doubles: always with a decimal point (3 → 3.0, 14895 → 14895.0,
// 0.125 → 0.125) and never with an exponent. NaN and ±Inf, which JSON cannot
// represent and Mesos never emits, are written as null.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	return AppendFloat(nil, float64(f)), nil
}

// String returns the JSON form of f.
func (f Float) String() string { return string(AppendFloat(nil, float64(f))) }

// AppendFloat appends the Mesos JSON form of v to b.
func AppendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	if v == 0 {
		// Also turns -0 into 0.0.
		return append(b, "0.0"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	if !strings.ContainsRune(string(b[start:]), '.') {
		b = append(b, ".0"...)
	}
	return b
}

// formatScalar is the text form of a scalar: shortest decimal, no exponent,
// no trailing ".0" (3, 0.125, 1024).
func formatScalar(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
