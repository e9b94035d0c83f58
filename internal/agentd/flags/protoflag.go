package flags

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/mesosctl/mesosctl/internal/agentd/api/v1pb"
)

// protoFlags are the flags whose Mesos type is a protobuf message: stout
// parses their JSON into it (unknown fields ignored, required ones
// enforced), and /flags shows the message as its operator<< prints it:
// DebugString (protobuf text format) for ACLs, Modules, ContainerInfo and
// the mesos.internal flag messages, compact JSON (JSON::protobuf, keys
// sorted, defaults filled in) for CapabilityInfo, DeviceWhitelist and
// DomainInfo (src/common/type_utils.cpp, src/authorizer/acls.cpp,
// include/mesos/module/module.hpp, src/messages/flags.hpp).
var protoFlags = map[string]func() proto.Message{
	"acls":                   func() proto.Message { return new(v1pb.ACLs) },
	"modules":                func() proto.Message { return new(v1pb.Modules) },
	"default_container_info": func() proto.Message { return new(v1pb.ContainerInfo) },
	"default_container_dns":  func() proto.Message { return new(v1pb.ContainerDNSInfo) },
	"firewall_rules":         func() proto.Message { return new(v1pb.Firewall) },
	"image_gc_config":        func() proto.Message { return new(v1pb.ImageGcConfig) },
	"agent_features":         func() proto.Message { return new(v1pb.SlaveCapabilities) },
	"effective_capabilities": func() proto.Message { return new(v1pb.CapabilityInfo) },
	"bounding_capabilities":  func() proto.Message { return new(v1pb.CapabilityInfo) },
	"allowed_devices":        func() proto.Message { return new(v1pb.DeviceWhitelist) },
	"domain":                 func() proto.Message { return new(v1pb.DomainInfo) },
}

// renderProto parses value (JSON) into the flag's message and renders it
// as Mesos' /flags does: DebugString for TypeProtoText, stout's
// JSON::protobuf for TypeProtoJSON.
func (s *Spec) renderProto(value string) (string, error) {
	newMsg, ok := protoFlags[s.Name]
	if !ok {
		return "", fmt.Errorf("no protobuf message for flag '%s'", s.Name)
	}
	v1pb.Load()
	m := newMsg()
	if !strings.HasPrefix(strings.TrimSpace(value), "{") {
		return "", fmt.Errorf("Expecting a JSON object (the %s flag is a protobuf message in JSON form)", s.Name)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal([]byte(value), m); err != nil {
		return "", fmt.Errorf("Failed to parse the %s message: %v", m.ProtoReflect().Descriptor().Name(), err)
	}
	if s.Type == TypeProtoText {
		return DebugString(m), nil
	}
	return StoutJSON(m), nil
}

// DebugString renders m as C++ protobuf's Message::DebugString (the
// protobuf 3.5 bundled with Mesos 1.11): set fields in field-number order,
// one per line, "name: value", nested messages as "name {" … "}" indented
// by two spaces, strings C-escaped in double quotes, enums by name,
// doubles as SimpleDtoa.
func DebugString(m proto.Message) string {
	v1pb.Load()
	var b strings.Builder
	printMessage(&b, m.ProtoReflect(), 0)
	return b.String()
}

func printMessage(b *strings.Builder, m protoreflect.Message, depth int) {
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	sort.Slice(fields, func(i, j int) bool { return fields[i].Number() < fields[j].Number() })
	indent := strings.Repeat("  ", depth)
	for _, fd := range fields {
		v := m.Get(fd)
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				printField(b, indent, fd, l.Get(i), depth)
			}
			continue
		}
		printField(b, indent, fd, v, depth)
	}
}

func printField(b *strings.Builder, indent string, fd protoreflect.FieldDescriptor, v protoreflect.Value, depth int) {
	b.WriteString(indent)
	b.WriteString(string(fd.Name()))
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		b.WriteString(" {\n")
		printMessage(b, v.Message(), depth+1)
		b.WriteString(indent)
		b.WriteString("}\n")
		return
	}
	b.WriteString(": ")
	b.WriteString(textScalar(fd, v))
	b.WriteByte('\n')
}

func textScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return `"` + cEscape(v.String()) + `"`
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.BoolKind:
		return strconv.FormatBool(v.Bool())
	case protoreflect.DoubleKind:
		return simpleDtoa(v.Float(), 15, 17, 64)
	case protoreflect.FloatKind:
		return simpleDtoa(v.Float(), 6, 9, 32)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.FormatUint(v.Uint(), 10)
	default:
		return strconv.FormatInt(v.Int(), 10)
	}
}

// simpleDtoa is protobuf's SimpleDtoa/SimpleFtoa: %.<short>g when that
// reads back as the same value, else %.<long>g; inf and nan spelled so.
func simpleDtoa(f float64, short, long, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', short, bits)
	if back, err := strconv.ParseFloat(s, bits); err != nil || back != f {
		s = strconv.FormatFloat(f, 'g', long, bits)
	}
	return cExponent(s)
}

// cExponent writes Go's exponent ("1e+20") as printf's %g does ("1e+20";
// at least two exponent digits).
func cExponent(s string) string {
	i := strings.IndexAny(s, "e")
	if i < 0 {
		return s
	}
	mant, exp := s[:i+2], s[i+2:] // "1e+", "20"
	if len(exp) < 2 {
		exp = "0" + exp
	}
	return mant + exp
}

// cEscape is protobuf's CEscape: \n \r \t \" \' \\ escaped, other bytes
// outside printable ASCII as three octal digits.
func cEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// StoutJSON renders m as stout's JSON::protobuf followed by jsonify: an
// object per message with its keys sorted (JSON::Object is a std::map),
// holding the set fields and the unset optional fields that have an
// explicit default (not deprecated), enums by name, repeated fields as
// arrays; compact.
func StoutJSON(m proto.Message) string {
	v1pb.Load()
	var b strings.Builder
	writeStoutObject(&b, m.ProtoReflect())
	return b.String()
}

func writeStoutObject(b *strings.Builder, m protoreflect.Message) {
	fds := m.Descriptor().Fields()
	type kv struct {
		name string
		fd   protoreflect.FieldDescriptor
	}
	var keys []kv
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		switch {
		case fd.IsList():
			if m.Get(fd).List().Len() > 0 {
				keys = append(keys, kv{string(fd.Name()), fd})
			}
		case m.Has(fd) || (fd.HasDefault() && !deprecated(fd)):
			keys = append(keys, kv{string(fd.Name()), fd})
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].name < keys[j].name })
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k.name))
		b.WriteByte(':')
		v := m.Get(k.fd)
		if k.fd.IsList() {
			b.WriteByte('[')
			for j := 0; j < v.List().Len(); j++ {
				if j > 0 {
					b.WriteByte(',')
				}
				writeStoutValue(b, k.fd, v.List().Get(j))
			}
			b.WriteByte(']')
			continue
		}
		writeStoutValue(b, k.fd, v)
	}
	b.WriteByte('}')
}

func deprecated(fd protoreflect.FieldDescriptor) bool {
	opts, ok := fd.Options().(interface{ GetDeprecated() bool })
	return ok && opts.GetDeprecated()
}

func writeStoutValue(b *strings.Builder, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		writeStoutObject(b, v.Message())
	case protoreflect.StringKind:
		b.WriteString(jsonString(v.String()))
	case protoreflect.EnumKind:
		b.WriteString(jsonString(textScalar(fd, v)))
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		s := strconv.FormatFloat(v.Float(), 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0" // rapidjson's Writer::Double
		}
		b.WriteString(s)
	default:
		b.WriteString(textScalar(fd, v))
	}
}

// jsonString quotes s as stout's JSON writer does (rapidjson: ", \ and
// control characters escaped; "/" and non-ASCII kept).
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
