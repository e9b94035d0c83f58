package flags

import (
	"strings"
	"testing"
)

// Every flag whose Mesos type is a protobuf message or a JSON object is
// shown in /flags as Mesos' stringify shows it: DebugString for ACLs,
// Modules, ContainerInfo, ContainerDNSInfo, Firewall, ImageGcConfig and
// SlaveCapabilities; stout's JSON::protobuf (keys sorted, defaults filled
// in) for CapabilityInfo, DeviceWhitelist and DomainInfo; compact JSON with
// sorted keys for JSON::Object; Path flags as given.
func TestProtobufAndJSONFlagRendering(t *testing.T) {
	for _, c := range []struct{ flag, in, want string }{
		{"acls", `{"run_tasks":[{"principals":{"values":["a","b"]},"users":{"type":"ANY"}}],"permissive":false}`,
			"permissive: false\nrun_tasks {\n  principals {\n    values: \"a\"\n    values: \"b\"\n  }\n  users {\n    type: ANY\n  }\n}\n"},
		{"acls", `{"permissive":true}`, "permissive: true\n"},
		{"acls", `{}`, ""},
		{"modules", `{"libraries":[{"file":"/usr/lib/libx.so","modules":[{"name":"org_x","parameters":[{"key":"k","value":"it's \"q\"\n"}]}]}]}`,
			"libraries {\n  file: \"/usr/lib/libx.so\"\n  modules {\n    name: \"org_x\"\n    parameters {\n      key: \"k\"\n      value: \"it\\'s \\\"q\\\"\\n\"\n    }\n  }\n}\n"},
		{"default_container_info", `{"type":"MESOS","volumes":[{"host_path":"tmp","container_path":"/tmp","mode":"RW"}],"unknown_field":1}`,
			"type: MESOS\nvolumes {\n  container_path: \"/tmp\"\n  host_path: \"tmp\"\n  mode: RW\n}\n"},
		{"default_container_dns", `{"mesos":[{"network_mode":"CNI","network_name":"net1","dns":{"nameservers":["8.8.8.8"]}}]}`,
			"mesos {\n  network_mode: CNI\n  network_name: \"net1\"\n  dns {\n    nameservers: \"8.8.8.8\"\n  }\n}\n"},
		{"firewall_rules", `{"disabled_endpoints":{"paths":["/files/browse","/metrics/snapshot"]}}`,
			"disabled_endpoints {\n  paths: \"/files/browse\"\n  paths: \"/metrics/snapshot\"\n}\n"},
		{"image_gc_config", `{"image_disk_headroom":0.1,"image_disk_watch_interval":{"nanoseconds":3600000000000}}`,
			"image_disk_headroom: 0.1\nimage_disk_watch_interval {\n  nanoseconds: 3600000000000\n}\n"},
		{"agent_features", `{"capabilities":[{"type":"MULTI_ROLE"},{"type":"AGENT_DRAINING"}]}`,
			"capabilities {\n  type: MULTI_ROLE\n}\ncapabilities {\n  type: AGENT_DRAINING\n}\n"},
		{"effective_capabilities", `{ "capabilities": ["NET_BIND_SERVICE", "CHOWN"] }`, `{"capabilities":["NET_BIND_SERVICE","CHOWN"]}`},
		{"bounding_capabilities", `{"capabilities":["SYS_ADMIN"]}`, `{"capabilities":["SYS_ADMIN"]}`},
		{"allowed_devices", `{"allowed_devices":[{"device":{"path":"/dev/fuse"},"access":{"write":true,"read":true,"mknod":false}}]}`,
			`{"allowed_devices":[{"access":{"mknod":false,"read":true,"write":true},"device":{"path":"/dev/fuse"}}]}`},
		{"domain", `{"fault_domain":{"zone":{"name":"z1"},"region":{"name":"r1"}}}`, `{"fault_domain":{"region":{"name":"r1"},"zone":{"name":"z1"}}}`},
		{"executor_environment_variables", `{"PATH":"/bin", "A":"x"}`, `{"A":"x","PATH":"/bin"}`},
		{"docker_config", `{"auths":{"https://index.docker.io/v1/":{"auth":"eA=="}}}`, `{"auths":{"https://index.docker.io/v1/":{"auth":"eA=="}}}`},
		{"credential", "file:///etc/mesos/credential", "file:///etc/mesos/credential"},
		{"jwt_secret_key", "/etc/mesos/jwt.key", "/etc/mesos/jwt.key"},
		{"resource_provider_config_dir", "/etc/mesos/resource-providers", "/etc/mesos/resource-providers"},
	} {
		spec, ok := Lookup(c.flag)
		if !ok {
			t.Fatalf("no flag %s", c.flag)
		}
		got, err := spec.Render(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s %s:\n got %q %v\nwant %q", c.flag, c.in, got, err, c.want)
		}
	}
	// stout enforces required fields and wants an object.
	for flag, in := range map[string]string{
		"acls":            `{"run_tasks":[{"principals":{"type":"ANY"}}]}`,
		"image_gc_config": `{"image_disk_headroom":0.1}`,
		"domain":          `["r1"]`,
		"modules":         `{"libraries":"x"}`,
	} {
		spec, _ := Lookup(flag)
		if _, err := spec.Render(in); err == nil {
			t.Errorf("%s %s accepted", flag, in)
		}
	}
	// Loaded from a flag file and shown in /flags' form.
	v, err := Load([]string{"--work_dir=/w", "--config_dir=", `--acls={"permissive":false}`}, nil)
	if err != nil || v.Map()["acls"] != "permissive: false\n" {
		t.Errorf("acls in /flags: %q %v", v.Map()["acls"], err)
	}
}

func TestSimpleDtoa(t *testing.T) {
	for f, want := range map[float64]string{0.1: "0.1", 1: "1", 0.25: "0.25", 1e20: "1e+20", 1.0 / 3: "0.33333333333333331", 123456789012: "123456789012"} {
		if got := simpleDtoa(f, 15, 17, 64); got != want {
			t.Errorf("simpleDtoa(%v) = %s, want %s", f, got, want)
		}
	}
	if got := cEscape("a\x01é"); !strings.HasPrefix(got, `a\001\303\251`) {
		t.Errorf("cEscape = %s", got)
	}
}
