package stout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ParseBool parses a stout boolean: exactly "true" or "1", "false" or "0".
// (An absent or empty value means true; the loader decides that.)
func ParseBool(s string) (bool, error) {
	switch s {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("Expecting a boolean (e.g., true or false)")
}

// FormatDouble renders a double as an iostream does by default: up to six
// significant digits, no trailing zeros ("0.1", "0.25", "1e+06").
func FormatDouble(f float64) string {
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// CompactJSON re-renders a JSON document as stout's JSON::Object stringify
// does: compact, object keys sorted, no HTML escaping.
func CompactJSON(doc string) (string, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	if dec.More() {
		return "", fmt.Errorf("unexpected data after the JSON value")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
