package stout

import (
	"fmt"
	"strconv"
	"strings"
)

// Byte units: binary multiples, as stout's Bytes.
const (
	KB uint64 = 1 << 10
	MB uint64 = 1 << 20
	GB uint64 = 1 << 30
	TB uint64 = 1 << 40
)

// ParseBytes parses a stout byte size: digits followed by a unit B, KB,
// MB, GB or TB (case-insensitive). Fractions are refused ("1.5GB": write
// "1536MB"), as stout refuses them. The error texts are stout's.
func ParseBytes(s string) (uint64, error) {
	if strings.Contains(s, ".") {
		return 0, fmt.Errorf("Fractional bytes '%s'", s)
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	num, unit := s[:i], strings.ToUpper(strings.TrimSpace(s[i:]))
	if num == "" || unit == "" {
		return 0, fmt.Errorf("Invalid bytes '%s'", s)
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid bytes '%s'", s)
	}
	var mult uint64
	switch unit {
	case "B":
		mult = 1
	case "KB":
		mult = KB
	case "MB":
		mult = MB
	case "GB":
		mult = GB
	case "TB":
		mult = TB
	default:
		return 0, fmt.Errorf("Unknown bytes unit '%s'", unit)
	}
	if n > ^uint64(0)/mult {
		return 0, fmt.Errorf("Invalid bytes '%s'", s)
	}
	return n * mult, nil
}

// FormatBytes renders n as stout does: in the largest unit that loses
// nothing ("0B", "1023B", "1KB", "1536MB", "2GB", "2TB").
func FormatBytes(n uint64) string {
	switch {
	case n == 0 || n%KB != 0:
		return strconv.FormatUint(n, 10) + "B"
	case n%MB != 0:
		return strconv.FormatUint(n/KB, 10) + "KB"
	case n%GB != 0:
		return strconv.FormatUint(n/MB, 10) + "MB"
	case n%TB != 0:
		return strconv.FormatUint(n/GB, 10) + "GB"
	}
	return strconv.FormatUint(n/TB, 10) + "TB"
}
