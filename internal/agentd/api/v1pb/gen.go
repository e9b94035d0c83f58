package v1pb

// mesos.pb.go is generated from mesos.proto by protoc (Debian's
// protobuf-compiler) with the protoc-gen-go of the google.golang.org/protobuf
// version in go.mod, less the one line that builds the descriptors from a
// package init (Load does it on first use); TestGeneratedCodeIsCurrent
// checks that it is current.
//go:generate sh -c "d=$(mktemp -d) && go build -o $d/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go && protoc --plugin=protoc-gen-go=$d/protoc-gen-go --go_out=. --go_opt=paths=source_relative mesos.proto && sed -i '/^func init() { file_mesos_proto_init() }$/d' mesos.pb.go; rc=$?; rm -rf $d; exit $rc"
