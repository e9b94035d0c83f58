package mesos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ParseSummary reads a v0 summary object back ({"cpus":8.0,"mem":14895.0,
// "ports":"[31000-32000]","bugs":"{a, b}"}, as in /state or master /slaves)
// into unreserved resources, in key order. Zero scalars are dropped (the
// summary always lists cpus, disk, gpus and mem); "_revocable" keys are
// skipped.
func ParseSummary(data []byte) (Resources, error) {
	var out Resources
	err := decodeObject(data, func(name string, raw json.RawMessage) error {
		if strings.HasSuffix(name, "_revocable") {
			return nil
		}
		v, err := decodeV0Value(raw)
		if err != nil {
			return err
		}
		if v.Type == Text {
			return fmt.Errorf("text value %q is not a resource", v.Text)
		}
		if err := validName(name); err != nil {
			return err
		}
		if v.IsEmpty() {
			return nil
		}
		out, err = out.merge(Resource{Name: name, Role: UnreservedRole, Value: v})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("invalid resources summary: %v", err)
	}
	return out, nil
}

// ParseV0Attributes reads a /state "attributes" object back, in key order:
// numbers are SCALAR, strings are parsed by ParseValue ("[1000-1500]" →
// RANGES, "centos7" → TEXT; a string that looks like a number stays TEXT).
func ParseV0Attributes(data []byte) (Attributes, error) {
	var out Attributes
	err := decodeObject(data, func(name string, raw json.RawMessage) error {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if strings.HasPrefix(s, "[") {
				v, err := ParseValue(s)
				if err != nil {
					return err
				}
				out = append(out, Attribute{Name: name, Value: v})
				return nil
			}
			out = append(out, Attribute{Name: name, Value: TextValue(s)})
			return nil
		}
		v, err := decodeV0Value(raw)
		if err != nil {
			return err
		}
		out = append(out, Attribute{Name: name, Value: v})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("invalid attributes object: %v", err)
	}
	return out, nil
}

// decodeV0Value reads a JSON number (SCALAR) or string (parsed by ParseValue).
func decodeV0Value(raw json.RawMessage) (Value, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		if err := validScalar(f); err != nil {
			return Value{}, err
		}
		return ScalarValue(f), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return Value{}, fmt.Errorf("value %s is neither a number nor a string", raw)
	}
	return ParseValue(s)
}

// decodeObject calls fn for each key of a JSON object, in document order.
func decodeObject(data []byte, fn func(string, json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if string(raw) == "null" {
			return fmt.Errorf("%q: null value", key)
		}
		if err := fn(key, raw); err != nil {
			return fmt.Errorf("%q: %v", key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the object")
	}
	return nil
}

// UsableBy returns the resources a framework of role may use: unreserved ones
// and those reserved for role (or a parent of it, for hierarchical roles).
func (r Resources) UsableBy(role string) Resources {
	var out Resources
	for _, res := range r {
		if res.Role == UnreservedRole || res.Role == role || strings.HasPrefix(role, res.Role+"/") {
			out = append(out, res)
		}
	}
	return out
}

// Fits reports whether task (its roles ignored) fits in the part of r usable
// by role: the placement test for launching a task on an agent whose free
// resources are r.
func (r Resources) Fits(task Resources, role string) bool {
	return r.UsableBy(role).Flatten(UnreservedRole).Contains(task.Flatten(UnreservedRole))
}
