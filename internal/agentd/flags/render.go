package flags

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/mesos/stout"
)

// Render checks value (after file:// expansion) against the flag's type
// and returns it as stout renders the parsed value for /flags:
// "60secs" → "1mins", "2048MB" → "2GB", "1" → "true", "0.10" → "0.1",
// JSON objects compact with sorted keys, unsigned lists as "[ 0, 1 ]".
// The error is Mesos' text ("Failed to load value '…': …" is the
// loader's to add).
func (s *Spec) Render(value string) (string, error) {
	switch s.Type {
	case TypeBool:
		b, err := stout.ParseBool(value)
		if err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	case TypeInt:
		n, err := strconv.ParseInt(value, 10, 32)
		if err != nil {
			return "", fmt.Errorf("Failed to convert into required type")
		}
		return strconv.FormatInt(n, 10), nil
	case TypeSize:
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return "", fmt.Errorf("Failed to convert into required type")
		}
		return strconv.FormatUint(n, 10), nil
	case TypeUint16:
		n, err := strconv.ParseUint(value, 10, 16)
		if err != nil {
			return "", fmt.Errorf("Failed to convert into required type (an integer from 0 to 65535)")
		}
		return strconv.FormatUint(n, 10), nil
	case TypeDouble:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return "", fmt.Errorf("Failed to convert into required type")
		}
		return stout.FormatDouble(f), nil
	case TypeDuration:
		d, err := mesos.ParseDuration(value)
		if err != nil {
			return "", err
		}
		return mesos.FormatDuration(d), nil
	case TypeBytes:
		n, err := stout.ParseBytes(value)
		if err != nil {
			return "", err
		}
		return stout.FormatBytes(n), nil
	case TypeJSONObject:
		if !strings.HasPrefix(strings.TrimSpace(value), "{") {
			return "", fmt.Errorf("Expecting a JSON object")
		}
		return stout.CompactJSON(value)
	case TypeProtoJSON, TypeProtoText:
		return s.renderProto(value)
	case TypeUintList:
		var parts []string
		for _, tok := range strings.Split(value, ",") {
			if tok == "" {
				continue
			}
			n, err := strconv.ParseUint(tok, 10, 32)
			if err != nil {
				return "", fmt.Errorf("Failed to convert '%s' into an unsigned integer", tok)
			}
			parts = append(parts, strconv.FormatUint(n, 10))
		}
		return "[ " + strings.Join(parts, ", ") + " ]", nil
	case TypeSecurePathOrValue:
		if p, ok := strings.CutPrefix(value, "file://"); ok {
			return p, nil
		}
	}
	return value, nil
}
