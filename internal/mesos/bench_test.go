package mesos

import "testing"

const benchResources = "cpus:24;gpus:2;mem:24576;disk:409600;ports:[21000-24000,30000-34000];bugs(debug_role):{a,b,c}"

func BenchmarkParseResources(b *testing.B) {
	for b.Loop() {
		if _, err := ParseResources(benchResources, "*"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAttributes(b *testing.B) {
	for b.Loop() {
		if _, err := ParseAttributes("os:centos7;rack:3;zone:us-east-1a;keys:[1000-1500]"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummaryJSON is the per-task cost of rendering "resources" in /state.
func BenchmarkSummaryJSON(b *testing.B) {
	r, _ := ParseResources(benchResources, "*")
	for b.Loop() {
		_ = r.SummaryJSON()
	}
}

// BenchmarkSubtract is the per-launch accounting cost.
func BenchmarkSubtract(b *testing.B) {
	agent, _ := ParseResources(benchResources, "*")
	task, _ := ParseResources("cpus:1;mem:128;ports:[21000-21000]", "*")
	for b.Loop() {
		if _, err := agent.Subtract(task); err != nil {
			b.Fatal(err)
		}
	}
}
