package v1pb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Media types of the v1 API.
const (
	MediaJSON     = "application/json"
	MediaProtobuf = "application/x-protobuf"
	MediaRecordIO = "application/recordio"
)

// DecodeCall parses a protobuf-encoded Call (required fields enforced, as
// Mesos' parser does) and returns it as JSON for api.DecodeCall.
func DecodeCall(b []byte) ([]byte, error) {
	Load()
	var c Call
	if err := proto.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("Failed to parse body into a protobuf object")
	}
	return jsonOf(&c)
}

// ResponseProto encodes a JSON v1 Response document ({"type":…,"<type>":…})
// as protobuf. Fields this subset does not know are dropped; a missing
// required field is an error (a decoder such as mesos-go would refuse it).
func ResponseProto(js []byte) ([]byte, error) {
	Load()
	var r Response
	if err := fromJSON(js, &r); err != nil {
		return nil, err
	}
	return proto.Marshal(&r)
}

// fromJSON fills m from a JSON document in protobuf-JSON form (field names
// as in the .proto, enums by name).
func fromJSON(js []byte, m proto.Message) error {
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(js, m); err != nil {
		return fmt.Errorf("cannot encode %s as protobuf: %v", m.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}

// jsonOf renders m as Mesos' JSON::Protobuf does: fields in declaration
// order, a singular field when set or when it has an explicit default (and
// is not deprecated), repeated fields when not empty, enums by name, bytes
// in base64, every integer (64-bit too) as a JSON number, maps as objects.
func jsonOf(m proto.Message) ([]byte, error) {
	var b bytes.Buffer
	if err := writeMessage(&b, m.ProtoReflect()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeMessage(b *bytes.Buffer, m protoreflect.Message) error {
	b.WriteByte('{')
	fields := m.Descriptor().Fields()
	first := true
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		switch {
		case fd.IsList():
			if m.Get(fd).List().Len() == 0 {
				continue
			}
		case fd.IsMap():
			if m.Get(fd).Map().Len() == 0 {
				continue
			}
		case !m.Has(fd) && !(fd.HasDefault() && !deprecated(fd)):
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(string(fd.Name()))
		b.Write(name)
		b.WriteByte(':')
		if err := writeField(b, fd, m.Get(fd)); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// deprecated reports whether mesos.proto marks the field [deprecated =
// true]. The fields are listed rather than read from the field options:
// those need google.golang.org/protobuf/types/descriptorpb, whose package
// init (≈ 1 ms) every process of the multi-call binary would pay, the
// per-task helpers included. TestDeprecatedFields checks the list against
// the options.
func deprecated(fd protoreflect.FieldDescriptor) bool {
	switch fd.FullName() {
	case "mesosctl.v1.Resource.role",
		"mesosctl.v1.FrameworkInfo.role",
		"mesosctl.v1.Image.Docker.credential",
		"mesosctl.v1.LinuxInfo.capability_info",
		"mesosctl.v1.ContainerInfo.DockerInfo.volume_driver",
		"mesosctl.v1.ExecutorInfo.source":
		return true
	}
	return false
}

func writeField(b *bytes.Buffer, fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	switch {
	case fd.IsList():
		l := v.List()
		b.WriteByte('[')
		for i := 0; i < l.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, fd, l.Get(i)); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case fd.IsMap():
		var err error
		b.WriteByte('{')
		first := true
		v.Map().Range(func(k protoreflect.MapKey, val protoreflect.Value) bool {
			if !first {
				b.WriteByte(',')
			}
			first = false
			key, _ := json.Marshal(k.String())
			b.Write(key)
			b.WriteByte(':')
			err = writeValue(b, fd.MapValue(), val)
			return err == nil
		})
		b.WriteByte('}')
		return err
	}
	return writeValue(b, fd, v)
}

func writeValue(b *bytes.Buffer, fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return writeMessage(b, v.Message())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			s, _ := json.Marshal(string(ev.Name()))
			b.Write(s)
		} else {
			b.WriteString(strconv.Itoa(int(v.Enum())))
		}
	case protoreflect.StringKind:
		s, _ := json.Marshal(v.String())
		b.Write(s)
	case protoreflect.BytesKind:
		b.WriteByte('"')
		b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
		b.WriteByte('"')
	case protoreflect.BoolKind:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("field %s: %v cannot be written as JSON", fd.Name(), f)
		}
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		return fmt.Errorf("field %s: unsupported kind %v", fd.Name(), fd.Kind())
	}
	return nil
}
