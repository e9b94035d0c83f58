package mesos

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UnreservedRole is the role of unreserved resources.
const UnreservedRole = "*"

// Resource is one named resource of one role. Role "*" is unreserved; any
// other role is a STATIC reservation for that role.
type Resource struct {
	Name  string
	Role  string
	Value Value
}

// Resources is an ordered list of resources. Parsed and computed lists hold at
// most one entry per (name, role).
type Resources []Resource

// String returns name(role):value; the role is omitted when it is "*".
func (r Resource) String() string {
	if r.Role == "" || r.Role == UnreservedRole {
		return r.Name + ":" + r.Value.String()
	}
	return r.Name + "(" + r.Role + "):" + r.Value.String()
}

// ValidateRole checks a role name the way Mesos does (roles::validate):
// "*" or a non-empty '/'-separated path whose components are not "." or "..",
// do not start with '-', and contain no whitespace or control characters.
func ValidateRole(role string) error {
	if role == UnreservedRole {
		return nil
	}
	if role == "" {
		return fmt.Errorf("empty role")
	}
	if !utf8.ValidString(role) {
		return fmt.Errorf("role %q is not valid UTF-8", role)
	}
	for _, c := range role {
		if unicode.IsSpace(c) || unicode.IsControl(c) {
			return fmt.Errorf("role %q contains whitespace or control characters", role)
		}
	}
	if strings.ContainsAny(role, reservedChars) {
		return fmt.Errorf("role %q contains one of %s", role, reservedChars)
	}
	for _, comp := range strings.Split(role, "/") {
		switch {
		case comp == "":
			return fmt.Errorf("role %q has an empty path component (leading, trailing or double '/')", role)
		case comp == "." || comp == "..":
			return fmt.Errorf("role %q has a %q component", role, comp)
		case comp == "*":
			return fmt.Errorf("role %q: '*' is only valid as the whole role", role)
		case comp[0] == '-':
			return fmt.Errorf("role %q has a component starting with '-'", role)
		}
	}
	return nil
}

// ParseResources parses the --resources flag value: either the text form
// `cpus(role):2;mem:1024;ports:[31000-32000];bugs:{a,b}` or a JSON array of
// protobuf-JSON Resource objects. Resources without a role get defaultRole
// ("" means "*"). Entries of the same name and role are summed. Zero values
// are kept (so "cpus:0" is present, as for Mesos' auto-detection); use
// NonEmpty to drop them. Whitespace around names and values (a trailing
// newline from a flag file) is ignored. A "file://" value must be read by
// the caller.
func ParseResources(s, defaultRole string) (Resources, error) {
	if defaultRole == "" {
		defaultRole = UnreservedRole
	}
	if err := ValidateRole(defaultRole); err != nil {
		return nil, fmt.Errorf("invalid default role: %v", err)
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("invalid resources %q: not valid UTF-8", s)
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "[") {
		return parseResourcesJSON(s, defaultRole)
	}
	var out Resources
	for i, tok := range strings.Split(s, ";") {
		if strings.TrimSpace(tok) == "" {
			continue // tokenize() drops empty tokens
		}
		res, err := parseResourceToken(tok, defaultRole)
		if err != nil {
			return nil, fmt.Errorf("invalid resources %q: token %d %q: %v", s, i+1, tok, err)
		}
		if out, err = out.merge(res); err != nil {
			return nil, fmt.Errorf("invalid resources %q: token %d %q: %v", s, i+1, tok, err)
		}
	}
	return out, nil
}

func parseResourceToken(tok, defaultRole string) (Resource, error) {
	parts := strings.FieldsFunc(tok, func(r rune) bool { return r == ':' })
	if len(parts) != 2 {
		return Resource{}, fmt.Errorf("missing or extra ':' (want name[(role)]:value)")
	}
	key, role := parts[0], defaultRole
	if open := strings.IndexByte(key, '('); open >= 0 {
		closeP := strings.IndexByte(key, ')')
		if closeP < open || strings.TrimSpace(key[closeP+1:]) != "" {
			return Resource{}, fmt.Errorf("mismatched parentheses in %q", key)
		}
		role = strings.TrimSpace(key[open+1 : closeP])
		key = key[:open]
	}
	return newResource(strings.TrimSpace(key), role, strings.TrimSpace(parts[1]))
}

func newResource(name, role, text string) (Resource, error) {
	if err := validName(name); err != nil {
		return Resource{}, err
	}
	if err := ValidateRole(role); err != nil {
		return Resource{}, err
	}
	v, err := ParseValue(text)
	if err != nil {
		return Resource{}, err
	}
	return checkResource(Resource{Name: name, Role: role, Value: v})
}

// reservedChars may not appear in resource names, roles or set items: they
// delimit the text form.
const reservedChars = "(){}[]:;,"

func validName(name string) error {
	if name == "" {
		return fmt.Errorf("empty resource name")
	}
	if strings.ContainsAny(name, reservedChars) || strings.TrimSpace(name) != name {
		return fmt.Errorf("bad resource name %q (no surrounding spaces, none of %s)", name, reservedChars)
	}
	return nil
}

func checkResource(r Resource) (Resource, error) {
	if r.Value.Type == Text {
		return Resource{}, fmt.Errorf("Bad type for resource %s value %s type TEXT (want a scalar, [ranges] or {set})", r.Name, r.Value.Text)
	}
	if r.Name == "gpus" && r.Value.Type == Scalar && r.Value.Scalar != float64(int64(r.Value.Scalar)) {
		return Resource{}, fmt.Errorf("gpus must be a whole number, got %s", r.Value)
	}
	return r, nil
}

// jsonResource is the protobuf JSON form of mesos.Resource. Numbers may also
// be JSON strings and the type an enum number, as protobuf JSON allows.
type jsonResource struct {
	Name   string   `json:"name"`
	Type   flexType `json:"type"`
	Scalar *struct {
		Value *flexFloat `json:"value"`
	} `json:"scalar,omitempty"`
	Ranges *struct {
		Range []struct {
			Begin *flexUint `json:"begin"`
			End   *flexUint `json:"end"`
		} `json:"range"`
	} `json:"ranges,omitempty"`
	Set *struct {
		Item []string `json:"item"`
	} `json:"set,omitempty"`
	Role         string `json:"role,omitempty"`
	Reservations []struct {
		Type string `json:"type"`
		Role string `json:"role"`
	} `json:"reservations,omitempty"`
}

// flexType is a Value.Type given as "SCALAR" or as its enum number.
type flexType string

func (t *flexType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = flexType(s)
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil || n < 0 || n > int(Text) {
		return fmt.Errorf("bad resource type %s", b)
	}
	*t = flexType(ValueType(n).String())
	return nil
}

// flexFloat is a double given as a JSON number or string.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	var v float64
	if err := json.Unmarshal(b, &v); err == nil {
		*f = flexFloat(v)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("bad number %s", b)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !number().MatchString(s) {
		return fmt.Errorf("bad number %s", b)
	}
	*f = flexFloat(v)
	return nil
}

// flexUint is a uint64 given as a JSON number or string.
type flexUint uint64

func (u *flexUint) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		s = string(b)
	}
	v, err := parseUint(s)
	if err != nil {
		return fmt.Errorf("bad non-negative integer %s", b)
	}
	*u = flexUint(v)
	return nil
}

func parseResourcesJSON(s, defaultRole string) (Resources, error) {
	var in []jsonResource
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("invalid resources JSON: %v", err)
	}
	var out Resources
	for i, jr := range in {
		res, err := jr.resource(defaultRole)
		if err != nil {
			return nil, fmt.Errorf("invalid resources JSON: element %d (%q): %v", i, jr.Name, err)
		}
		if out, err = out.merge(res); err != nil {
			return nil, fmt.Errorf("invalid resources JSON: element %d (%q): %v", i, jr.Name, err)
		}
	}
	return out, nil
}

func (jr jsonResource) resource(defaultRole string) (Resource, error) {
	if err := validName(jr.Name); err != nil {
		return Resource{}, err
	}
	role := defaultRole
	if jr.Role != "" {
		role = jr.Role
	}
	if n := len(jr.Reservations); n > 0 {
		role = jr.Reservations[n-1].Role
	}
	if err := ValidateRole(role); err != nil {
		return Resource{}, err
	}
	t, err := ParseValueType(string(jr.Type))
	if err != nil {
		return Resource{}, err
	}
	var v Value
	switch t {
	case Scalar:
		if jr.Scalar == nil || jr.Scalar.Value == nil {
			return Resource{}, fmt.Errorf("SCALAR resource without \"scalar\":{\"value\":...}")
		}
		if err := validScalar(float64(*jr.Scalar.Value)); err != nil {
			return Resource{}, err
		}
		v = ScalarValue(float64(*jr.Scalar.Value))
	case Ranges:
		if jr.Ranges == nil {
			return Resource{}, fmt.Errorf("RANGES resource without \"ranges\":{\"range\":[...]}")
		}
		var rs []Range
		for _, r := range jr.Ranges.Range {
			if r.Begin == nil || r.End == nil {
				return Resource{}, fmt.Errorf("range without begin or end")
			}
			if *r.Begin > *r.End {
				return Resource{}, fmt.Errorf("range %d-%d has begin > end", *r.Begin, *r.End)
			}
			rs = append(rs, Range{uint64(*r.Begin), uint64(*r.End)})
		}
		v = RangesValue(rs...)
	case Set:
		if jr.Set == nil {
			return Resource{}, fmt.Errorf("SET resource without \"set\":{\"item\":[...]}")
		}
		for _, it := range jr.Set.Item {
			if it == "" || strings.ContainsAny(it, reservedChars+" \n") {
				return Resource{}, fmt.Errorf("bad set item %q (must be non-empty, without spaces or any of %s)", it, reservedChars)
			}
		}
		v = SetValue(jr.Set.Item...)
	case Text:
		v = TextValue("")
	}
	if v.Type == Text {
		return Resource{}, fmt.Errorf("Bad type for resource %s type TEXT", jr.Name)
	}
	return checkResource(Resource{Name: jr.Name, Role: role, Value: v})
}

// index returns the position of (name, role) in r, or -1.
func (r Resources) index(name, role string) int {
	for i := range r {
		if r[i].Name == name && r[i].Role == role {
			return i
		}
	}
	return -1
}

// merge adds one resource, summing with an existing entry of the same name
// and role. A name used with two types is an error.
func (r Resources) merge(res Resource) (Resources, error) {
	for _, o := range r {
		if o.Name == res.Name && o.Value.Type != res.Value.Type {
			return r, fmt.Errorf("resource %s has two types, %s and %s", res.Name, o.Value.Type, res.Value.Type)
		}
	}
	if i := r.index(res.Name, res.Role); i >= 0 {
		out := append(Resources(nil), r...)
		out[i].Value = out[i].Value.add(res.Value)
		return out, nil
	}
	return append(r, res), nil
}

// normalized returns a copy of r with entries of the same name and role merged.
func (r Resources) normalized() Resources {
	out := make(Resources, 0, len(r))
	for _, res := range r {
		if res.Role == "" {
			res.Role = UnreservedRole
		}
		if i := out.index(res.Name, res.Role); i >= 0 {
			if out[i].Value.Type == res.Value.Type {
				out[i].Value = out[i].Value.add(res.Value)
			}
			continue
		}
		out = append(out, res)
	}
	return out
}

// String returns the canonical text form (`cpus:2;mem:1024;ports:[31000-32000]`,
// reserved ones as `name(role):value`); ParseResources(r.String(), "*")
// returns r.
func (r Resources) String() string {
	parts := make([]string, len(r))
	for i, res := range r {
		parts[i] = res.String()
	}
	return strings.Join(parts, ";")
}

// Names returns the distinct resource names in order of first appearance.
func (r Resources) Names() []string {
	var names []string
	seen := map[string]bool{}
	for _, res := range r {
		if !seen[res.Name] {
			seen[res.Name] = true
			names = append(names, res.Name)
		}
	}
	return names
}

// Has reports whether a resource of that name is present (any role, any value).
func (r Resources) Has(name string) bool {
	for _, res := range r {
		if res.Name == name {
			return true
		}
	}
	return false
}

// Get returns the value of name summed over roles (scalars added, ranges and
// sets united) and whether it is present.
func (r Resources) Get(name string) (Value, bool) {
	var v Value
	found := false
	for _, res := range r {
		if res.Name != name {
			continue
		}
		if !found {
			v, found = res.Value, true
			continue
		}
		if res.Value.Type == v.Type {
			v = v.add(res.Value)
		}
	}
	return v, found
}

// Scalars returns the unreserved (role "*") scalars cpus, mem and disk,
// in that order, leaving out zeros: the resources agentd accounts a task
// or a container against.
func Scalars(cpus, mem, disk float64) Resources {
	out := make(Resources, 0, 3)
	for _, kv := range [...]struct {
		name string
		v    float64
	}{{"cpus", cpus}, {"mem", mem}, {"disk", disk}} {
		if v := ScalarValue(kv.v); v.Scalar != 0 {
			out = append(out, Resource{Name: kv.name, Role: UnreservedRole, Value: v})
		}
	}
	return out
}

// Scalar returns the scalar value of name summed over roles (0 if absent).
func (r Resources) Scalar(name string) float64 {
	v, ok := r.Get(name)
	if !ok || v.Type != Scalar {
		return 0
	}
	return v.Scalar
}

// NonEmpty returns r without zero-valued entries (scalar 0, no ranges, empty set).
func (r Resources) NonEmpty() Resources {
	var out Resources
	for _, res := range r {
		if !res.Value.IsEmpty() {
			out = append(out, res)
		}
	}
	return out
}

// Reserved returns the resources reserved for some role (role != "*").
func (r Resources) Reserved() Resources {
	var out Resources
	for _, res := range r {
		if res.Role != UnreservedRole {
			out = append(out, res)
		}
	}
	return out
}

// Unreserved returns the resources of role "*".
func (r Resources) Unreserved() Resources {
	var out Resources
	for _, res := range r {
		if res.Role == UnreservedRole {
			out = append(out, res)
		}
	}
	return out
}

// ByRole groups the reserved resources by role (for /state's
// reserved_resources and reserved_resources_full). Unreserved ones are not
// included.
func (r Resources) ByRole() map[string]Resources {
	out := map[string]Resources{}
	for _, res := range r {
		if res.Role != UnreservedRole {
			out[res.Role] = append(out[res.Role], res)
		}
	}
	return out
}

// Roles returns the reserved roles, sorted.
func (r Resources) Roles() []string {
	var roles []string
	for role := range r.ByRole() {
		roles = append(roles, role)
	}
	sort.Strings(roles)
	return roles
}

// Flatten returns r with every resource moved to role (e.g. "*"), merged by
// name: useful to compare totals regardless of reservations.
func (r Resources) Flatten(role string) Resources {
	var out Resources
	for _, res := range r {
		res.Role = role
		out, _ = out.merge(res)
	}
	return out
}

// Contains reports whether r holds at least o, per name and role: scalars
// ≥, ranges and sets ⊇. Zero-valued entries of o are always contained.
func (r Resources) Contains(o Resources) bool {
	r = r.normalized()
	for _, res := range o.normalized() {
		if res.Value.IsEmpty() {
			continue
		}
		i := r.index(res.Name, res.Role)
		if i < 0 || !r[i].Value.Contains(res.Value) {
			return false
		}
	}
	return true
}

// Add returns r + o: scalars summed, ranges and sets united per name and
// role; entries that become empty are dropped. Entries of o whose type
// conflicts with r are ignored.
func (r Resources) Add(o Resources) Resources {
	out := r.normalized()
	for _, res := range o {
		if res.Value.IsEmpty() {
			continue
		}
		if m, err := out.merge(res); err == nil {
			out = m
		}
	}
	return out.NonEmpty()
}

// Subtract returns r − o per name and role. It fails, naming the first
// shortfall, unless r.Contains(o). Entries that become empty are dropped.
func (r Resources) Subtract(o Resources) (Resources, error) {
	out := r.normalized()
	for _, res := range o.normalized() {
		if res.Value.IsEmpty() {
			continue
		}
		i := out.index(res.Name, res.Role)
		if i < 0 {
			return nil, fmt.Errorf("not enough resources: %s needed, no %s(%s) available", res, res.Name, res.Role)
		}
		if !out[i].Value.Contains(res.Value) {
			return nil, fmt.Errorf("not enough resources: %s needed, %s available", res, out[i])
		}
		out[i].Value = out[i].Value.subtract(res.Value)
	}
	return out.NonEmpty(), nil
}

// Summary is the v0 JSON summary object of a Resources value, as in /state
// "resources": {"cpus":8.0,"disk":97000.0,"gpus":0.0,"mem":14895.0,"ports":"[31000-32000]"}.
// Keys: cpus, disk, gpus, mem (always present), then the others sorted; scalars
// are summed over roles, ranges and sets united and written as strings.
type Summary struct{ r Resources }

// Summary returns the v0 summary of r; it marshals to JSON via MarshalJSON.
func (r Resources) Summary() Summary { return Summary{r} }

// MarshalJSON implements json.Marshaler.
func (s Summary) MarshalJSON() ([]byte, error) { return s.r.SummaryJSON(), nil }

// SummaryJSON returns the v0 summary object bytes (see Summary).
func (r Resources) SummaryJSON() []byte {
	var names []string
	for _, n := range r.Names() {
		switch n {
		case "cpus", "disk", "gpus", "mem":
		default:
			names = append(names, n)
		}
	}
	sort.Strings(names)
	names = append([]string{"cpus", "disk", "gpus", "mem"}, names...)
	b := []byte{'{'}
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, n)
		b = append(b, ':')
		v, ok := r.Get(n)
		switch {
		case !ok:
			b = append(b, "0.0"...)
		case v.Type == Scalar:
			b = AppendFloat(b, v.Scalar)
		default:
			b = appendJSONString(b, v.SummaryString())
		}
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, escaped as encoding/json does
// with HTML escaping off (invalid UTF-8 becomes U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// FullResource is the protobuf JSON form of one mesos.Resource as endpoints
// emit it (/state's *_resources_full, v1 API).
type FullResource struct {
	Name         string        `json:"name"`
	Type         string        `json:"type"`
	Scalar       *FullScalar   `json:"scalar,omitempty"`
	Ranges       *FullRanges   `json:"ranges,omitempty"`
	Set          *FullSet      `json:"set,omitempty"`
	Role         string        `json:"role,omitempty"`
	Reservations []Reservation `json:"reservations,omitempty"`
}

// FullScalar is {"value": 8.0}.
type FullScalar struct {
	Value Float `json:"value"`
}

// FullRanges is {"range":[{"begin":31000,"end":32000}]}.
type FullRanges struct {
	Range []FullRange `json:"range"`
}

// FullRange is one {"begin","end"} pair.
type FullRange struct {
	Begin uint64 `json:"begin"`
	End   uint64 `json:"end"`
}

// FullSet is {"item":["a","b"]}.
type FullSet struct {
	Item []string `json:"item"`
}

// Reservation is one entry of "reservations" ({"type":"STATIC","role":"r"}).
type Reservation struct {
	Type string `json:"type"`
	Role string `json:"role"`
}

// Full returns the protobuf JSON form of res: role "*" has no reservations;
// any other role has [{"type":"STATIC","role":role}] and the legacy "role".
func (res Resource) Full() FullResource {
	f := FullResource{Name: res.Name, Type: res.Value.Type.String(), Role: res.Role}
	if f.Role == "" {
		f.Role = UnreservedRole
	}
	if f.Role != UnreservedRole {
		f.Reservations = []Reservation{{Type: "STATIC", Role: f.Role}}
	}
	switch res.Value.Type {
	case Scalar:
		f.Scalar = &FullScalar{Float(res.Value.Scalar)}
	case Ranges:
		f.Ranges = &FullRanges{Range: []FullRange{}}
		for _, r := range res.Value.Ranges {
			f.Ranges.Range = append(f.Ranges.Range, FullRange(r))
		}
	case Set:
		f.Set = &FullSet{Item: append([]string{}, res.Value.Set...)}
	}
	return f
}

// Full returns the protobuf JSON form of every resource, in order (never nil,
// so it marshals as [] when empty).
func (r Resources) Full() []FullResource {
	out := make([]FullResource, 0, len(r))
	for _, res := range r {
		out = append(out, res.Full())
	}
	return out
}

// FullJSON returns the JSON bytes of r.Full().
func (r Resources) FullJSON() []byte {
	b, _ := json.Marshal(r.Full())
	return b
}
