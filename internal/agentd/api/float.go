package api

import (
	"math"
	"strconv"
	"strings"
)

// Float is a float64 that marshals the way Mesos writes doubles: always with
// a decimal point (3 → 3.0), never with an exponent; NaN/Inf become null.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	if v == 0 {
		return []byte("0.0"), nil
	}
	b := strconv.AppendFloat(nil, v, 'f', -1, 64)
	if !strings.ContainsRune(string(b), '.') {
		b = append(b, ".0"...)
	}
	return b, nil
}
