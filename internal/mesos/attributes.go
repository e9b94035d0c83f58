package mesos

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Attribute is one agent attribute: a SCALAR, RANGES or TEXT value.
type Attribute struct {
	Name  string
	Value Value
}

// Attributes is the ordered attribute list of an agent. Duplicate names are
// allowed (as in Mesos) but discouraged.
type Attributes []Attribute

// String returns name:value.
func (a Attribute) String() string { return a.Name + ":" + a.Value.String() }

// ParseAttributes parses the --attributes flag value: attributes separated by
// ';' or newlines, each split on its FIRST ':' (so "a:b:c" is attribute a
// with TEXT "b:c"). Values follow ParseValue; SET values, an empty name or an
// empty value are errors. Whitespace around names and values (tabs, '\r' of
// CRLF files) is ignored; Mesos removes only spaces.
func ParseAttributes(s string) (Attributes, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("invalid attributes %q: not valid UTF-8", s)
	}
	var out Attributes
	tokens := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' })
	for _, tok := range tokens {
		tok = strings.TrimRight(tok, " \t\r")
		if strings.TrimSpace(tok) == "" {
			continue
		}
		a, err := parseAttribute(tok)
		if err != nil {
			return nil, fmt.Errorf("invalid attribute %q: %v", tok, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func parseAttribute(tok string) (Attribute, error) {
	name, text, ok := strings.Cut(tok, ":")
	if !ok {
		return Attribute{}, fmt.Errorf("Invalid attribute key:value pair (no ':')")
	}
	name, text = strings.TrimSpace(name), strings.TrimSpace(text)
	if name == "" {
		return Attribute{}, fmt.Errorf("Invalid attribute key:value pair (empty name)")
	}
	if strings.ReplaceAll(text, " ", "") == "" {
		return Attribute{}, fmt.Errorf("Invalid attribute key:value pair (empty value for %s)", name)
	}
	v, err := ParseValue(text)
	if err != nil {
		return Attribute{}, err
	}
	if v.Type == Set {
		return Attribute{}, fmt.Errorf("Bad type for attribute %s (SET): attributes are scalars, [ranges] or text", name)
	}
	return Attribute{Name: name, Value: v}, nil
}

// String returns the canonical flag form `os:centos7;rack:3`;
// ParseAttributes(a.String()) returns a.
func (a Attributes) String() string {
	parts := make([]string, len(a))
	for i, at := range a {
		parts[i] = at.String()
	}
	return strings.Join(parts, ";")
}

// Get returns the value of the first attribute called name.
func (a Attributes) Get(name string) (Value, bool) {
	for _, at := range a {
		if at.Name == name {
			return at.Value, true
		}
	}
	return Value{}, false
}

// V0Attributes marshals to the v0 JSON object form (see V0JSON).
type V0Attributes Attributes

// V0 returns a marshaling wrapper for the v0 JSON form.
func (a Attributes) V0() V0Attributes { return V0Attributes(a) }

// MarshalJSON writes the v0 object form (V0JSON); use V1 for the
// protobuf JSON array.
func (a Attributes) MarshalJSON() ([]byte, error) { return a.V0JSON(), nil }

// MarshalJSON implements json.Marshaler with the V0JSON bytes.
func (a V0Attributes) MarshalJSON() ([]byte, error) { return Attributes(a).V0JSON(), nil }

// V0JSON returns the /state "attributes" object: {"os":"centos7","rack":3.0},
// in input order; SCALAR → number, RANGES → "[1000-1500]", TEXT → string.
// Duplicate names are written twice, as Mesos' streaming writer does.
func (a Attributes) V0JSON() []byte {
	b := []byte{'{'}
	for i, at := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, at.Name)
		b = append(b, ':')
		if at.Value.Type == Scalar {
			b = AppendFloat(b, at.Value.Scalar)
		} else {
			b = appendJSONString(b, at.Value.SummaryString())
		}
	}
	return append(b, '}')
}

// V1Attribute is the protobuf JSON form of mesos.Attribute.
type V1Attribute struct {
	Name   string      `json:"name"`
	Type   string      `json:"type"`
	Scalar *FullScalar `json:"scalar,omitempty"`
	Ranges *FullRanges `json:"ranges,omitempty"`
	Set    *FullSet    `json:"set,omitempty"`
	Text   *V1Text     `json:"text,omitempty"`
}

// V1Text is {"value":"centos7"}.
type V1Text struct {
	Value string `json:"value"`
}

// V1 returns the protobuf JSON form, in order (never nil).
func (a Attributes) V1() []V1Attribute {
	out := make([]V1Attribute, 0, len(a))
	for _, at := range a {
		v := V1Attribute{Name: at.Name, Type: at.Value.Type.String()}
		switch at.Value.Type {
		case Scalar:
			v.Scalar = &FullScalar{Float(at.Value.Scalar)}
		case Ranges:
			v.Ranges = &FullRanges{Range: []FullRange{}}
			for _, r := range at.Value.Ranges {
				v.Ranges.Range = append(v.Ranges.Range, FullRange(r))
			}
		case Set:
			v.Set = &FullSet{Item: append([]string{}, at.Value.Set...)}
		case Text:
			v.Text = &V1Text{at.Value.Text}
		}
		out = append(out, v)
	}
	return out
}

// V1JSON returns the JSON bytes of a.V1():
// [{"name":"rack","type":"SCALAR","scalar":{"value":3.0}},{"name":"os","type":"TEXT","text":{"value":"centos7"}}].
func (a Attributes) V1JSON() []byte {
	b, _ := json.Marshal(a.V1())
	return b
}

// ParseV1Attributes reads the protobuf JSON form back (as produced by V1JSON
// or a Mesos agent's v1 API).
func ParseV1Attributes(data []byte) (Attributes, error) {
	var in []struct {
		Name   string `json:"name"`
		Type   string `json:"type"`
		Scalar *struct {
			Value float64 `json:"value"`
		} `json:"scalar"`
		Ranges *struct {
			Range []FullRange `json:"range"`
		} `json:"ranges"`
		Text *V1Text `json:"text"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("invalid attributes JSON: %v", err)
	}
	var out Attributes
	for i, x := range in {
		t, err := ParseValueType(x.Type)
		if err != nil {
			return nil, fmt.Errorf("invalid attributes JSON: element %d (%q): %v", i, x.Name, err)
		}
		var v Value
		switch {
		case t == Scalar && x.Scalar != nil:
			v = ScalarValue(x.Scalar.Value)
		case t == Ranges && x.Ranges != nil:
			rs := make([]Range, len(x.Ranges.Range))
			for j, r := range x.Ranges.Range {
				rs[j] = Range(r)
			}
			v = RangesValue(rs...)
		case t == Text && x.Text != nil:
			v = TextValue(x.Text.Value)
		default:
			return nil, fmt.Errorf("invalid attributes JSON: element %d (%q): type %s without its value", i, x.Name, x.Type)
		}
		out = append(out, Attribute{Name: x.Name, Value: v})
	}
	return out, nil
}

// Matches reports whether a satisfies constraint "name:value" (value parsed
// by ParseValue; same type and equal value, scalars compared numerically so
// "rack:3" matches 3.0; for RANGES, the attribute must contain the ranges).
// Several constraints may be joined with ';' and must all hold.
func (a Attributes) Matches(constraint string) (bool, error) {
	cs, err := ParseAttributes(constraint)
	if err != nil {
		return false, fmt.Errorf("invalid constraint %q: %v", constraint, err)
	}
	if len(cs) == 0 {
		return false, fmt.Errorf("invalid constraint %q: want name:value", constraint)
	}
	for _, c := range cs {
		ok := false
		for _, at := range a {
			if at.Name != c.Name {
				continue
			}
			if at.Value.Equal(c.Value) || (c.Value.Type == Ranges && at.Value.Contains(c.Value)) {
				ok = true
				break
			}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
