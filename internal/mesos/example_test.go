package mesos_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mesosctl/mesosctl/internal/mesos"
)

func ExampleParseResources() {
	r, err := mesos.ParseResources("cpus:8;mem:14895;disk:97000;ports:[31000-32000];cpus(ads):2", "*")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r)
	fmt.Println(string(r.SummaryJSON()))
	fmt.Println(string(r.Unreserved().SummaryJSON()))
	fmt.Println(string(r.ByRole()["ads"].FullJSON()))

	_, err = mesos.ParseResources("cpus:24;mem", "*")
	fmt.Println(err)
	// Output:
	// cpus:8;mem:14895;disk:97000;ports:[31000-32000];cpus(ads):2
	// {"cpus":10.0,"disk":97000.0,"gpus":0.0,"mem":14895.0,"ports":"[31000-32000]"}
	// {"cpus":8.0,"disk":97000.0,"gpus":0.0,"mem":14895.0,"ports":"[31000-32000]"}
	// [{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"ads","reservations":[{"type":"STATIC","role":"ads"}]}]
	// invalid resources "cpus:24;mem": token 2 "mem": missing or extra ':' (want name[(role)]:value)
}

func ExampleParseAttributes() {
	a, _ := mesos.ParseAttributes("os:centos7;rack:3;a:b:c")
	fmt.Println(string(a.V0JSON()))
	fmt.Println(string(a.V1JSON()))
	ok, _ := a.Matches("rack:3.0")
	fmt.Println(ok)
	_, err := mesos.ParseAttributes("rack:{a,b}")
	fmt.Println(err)
	// Output:
	// {"os":"centos7","rack":3.0,"a":"b:c"}
	// [{"name":"os","type":"TEXT","text":{"value":"centos7"}},{"name":"rack","type":"SCALAR","scalar":{"value":3.0}},{"name":"a","type":"TEXT","text":{"value":"b:c"}}]
	// true
	// invalid attribute "rack:{a,b}": Bad type for attribute rack (SET): attributes are scalars, [ranges] or text
}

func ExampleFloat() {
	_ = json.NewEncoder(os.Stdout).Encode(map[string]mesos.Float{"cpus": 8, "mem": 14895, "share": 0.125})
	// Output:
	// {"cpus":8.0,"mem":14895.0,"share":0.125}
}

func ExampleResources_Subtract() {
	agent, _ := mesos.ParseResources("cpus:2;mem:1024;ports:[31000-32000]", "*")
	task, _ := mesos.ParseResources("cpus:1;mem:128;ports:[31000-31000]", "*")
	free, _ := agent.Subtract(task)
	fmt.Println(free)
	_, err := free.Subtract(agent)
	fmt.Println(err)
	// Output:
	// cpus:1;mem:896;ports:[31001-32000]
	// not enough resources: cpus:2 needed, cpus:1 available
}

func ExampleCheckReconfiguration() {
	oldRes, _ := mesos.ParseResources("cpus:2;mem:1024", "*")
	newRes, _ := mesos.ParseResources("cpus:2;mem:2048", "*")
	oldAttrs, _ := mesos.ParseAttributes("rack:2")
	newAttrs, _ := mesos.ParseAttributes("rack:3")
	old := mesos.AgentInfo{Hostname: "lxb001", Port: 5051, Resources: oldRes, Attributes: oldAttrs}
	nw := mesos.AgentInfo{Hostname: "lxb001", Port: 5051, Resources: newRes, Attributes: newAttrs}
	fmt.Println(mesos.CheckReconfiguration("equal", old, nw))
	fmt.Println(mesos.CheckReconfiguration("additive", old, nw))
	// Output:
	// agent configuration changed in a way --reconfiguration_policy=equal does not allow: resource mem(*) changed 1024 → 2048; attribute "rack" changed from 2 to 3
	// agent configuration changed in a way --reconfiguration_policy=additive does not allow: attribute "rack" changed from 2 to 3
}
