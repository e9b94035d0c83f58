package v1pb

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// TestDeprecatedFields: deprecated (a list, to keep descriptorpb out of the
// binary) names exactly the fields mesos.proto marks [deprecated = true].
func TestDeprecatedFields(t *testing.T) {
	n := 0
	var walk func(ms protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len(); i++ {
			m := ms.Get(i)
			for j := 0; j < m.Fields().Len(); j++ {
				fd := m.Fields().Get(j)
				opts, _ := fd.Options().(*descriptorpb.FieldOptions)
				want := opts.GetDeprecated()
				if want {
					n++
				}
				if got := deprecated(fd); got != want {
					t.Errorf("deprecated(%s) = %v, mesos.proto says %v", fd.FullName(), got, want)
				}
			}
			walk(m.Messages())
		}
	}
	walk(File_mesos_proto.Messages())
	if n == 0 {
		t.Fatal("no deprecated field found in mesos.proto: the walk saw no options")
	}
}
