package mesos

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestStateJSONWithJQ feeds the renderings to the real jq, as operators'
// scripts do (`curl .../state | jq .attributes.rack`).
func TestStateJSONWithJQ(t *testing.T) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		t.Fatal("jq not found: install it (apt-get install jq, or make deps)")
	}
	r := mustResources(t, "cpus:8;mem:14895;disk:97000;ports:[31000-32000];cpus(ads):2")
	a, err := ParseAttributes("os:centos7;rack:3;keys:[1000-1500]")
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	doc.WriteString(`{"resources":`)
	doc.Write(r.SummaryJSON())
	doc.WriteString(`,"unreserved_resources_full":`)
	doc.Write(r.Unreserved().FullJSON())
	doc.WriteString(`,"reserved_resources_full":{"ads":`)
	doc.Write(r.ByRole()["ads"].FullJSON())
	doc.WriteString(`},"attributes":`)
	doc.Write(a.V0JSON())
	doc.WriteString(`,"v1":`)
	doc.Write(a.V1JSON())
	doc.WriteString(`}`)
	tests := []struct{ filter, want string }{
		{".resources.cpus", "10"},
		{".resources.ports", `"[31000-32000]"`},
		{".resources | keys_unsorted | join(\",\")", `"cpus,disk,gpus,mem,ports"`},
		{".attributes.rack", "3"},
		{".attributes.rack == 3", "true"},
		{`.attributes.os == "centos7"`, "true"},
		{".attributes.keys", `"[1000-1500]"`},
		{`.unreserved_resources_full[] | select(.name=="mem") | .scalar.value`, "14895"},
		{`.reserved_resources_full.ads[0].reservations[0].role`, `"ads"`},
		{`.v1[] | select(.name=="rack") | .scalar.value`, "3"},
	}
	for _, tt := range tests {
		cmd := exec.Command(jq, "-c", tt.filter)
		cmd.Stdin = bytes.NewReader(doc.Bytes())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("jq %q: %v\n%s\ninput: %s", tt.filter, err, out, doc.String())
		}
		if got := strings.TrimSpace(string(out)); got != tt.want {
			t.Errorf("jq %q = %s, want %s", tt.filter, got, tt.want)
		}
	}
}
