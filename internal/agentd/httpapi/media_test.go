package httpapi

import (
	"net/http"
	"testing"
)

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		headers map[string][]string
		want    v1Media
		status  int
	}{
		{map[string][]string{"Content-Type": {"application/json"}}, v1Media{Content: "application/json", Accept: "application/json"}, 0},
		{map[string][]string{"Content-Type": {"application/x-protobuf"}, "Accept": {"application/x-protobuf"}},
			v1Media{Content: "application/x-protobuf", Accept: "application/x-protobuf"}, 0},
		{map[string][]string{"Content-Type": {"application/x-protobuf"}}, v1Media{Content: "application/x-protobuf", Accept: "application/json"}, 0},
		{map[string][]string{"Content-Type": {"application/json"}, "Accept": {"*/*"}}, v1Media{Content: "application/json", Accept: "application/json"}, 0},
		{map[string][]string{"Content-Type": {"application/json"}, "Accept": {"application/json;q=0, application/x-protobuf"}},
			v1Media{Content: "application/json", Accept: "application/x-protobuf"}, 0},
		{map[string][]string{"Content-Type": {"application/json"}, "Accept": {"APPLICATION/X-PROTOBUF"}},
			v1Media{Content: "application/json", Accept: "application/x-protobuf"}, 0},
		{map[string][]string{"Content-Type": {"application/json"}, "Accept": {"application/recordio"}, "Message-Accept": {"application/x-protobuf"}},
			v1Media{Content: "application/json", Accept: "application/recordio", MessageAccept: "application/x-protobuf"}, 0},
		{map[string][]string{"Content-Type": {"application/recordio"}, "Message-Content-Type": {"application/x-protobuf"}},
			v1Media{Content: "application/x-protobuf", Streaming: true, Accept: "application/json"}, 0},
		{map[string][]string{}, v1Media{}, 400},
		{map[string][]string{"Content-Type": {"application/json; charset=utf-8"}}, v1Media{}, 415},
		{map[string][]string{"Content-Type": {"text/plain"}}, v1Media{}, 415},
		{map[string][]string{"Content-Type": {"application/recordio"}}, v1Media{}, 400},
		{map[string][]string{"Content-Type": {"application/recordio"}, "Message-Content-Type": {"text/plain"}}, v1Media{}, 415},
		{map[string][]string{"Content-Type": {"application/json"}, "Message-Content-Type": {"application/json"}}, v1Media{}, 415},
		{map[string][]string{"Content-Type": {"application/json"}, "Accept": {"text/html"}}, v1Media{}, 406},
		{map[string][]string{"Content-Type": {"application/json"}, "Accept": {"application/*;q=0"}}, v1Media{}, 406},
		{map[string][]string{"Content-Type": {"application/json"}, "Message-Accept": {"application/json"}}, v1Media{}, 406},
		{map[string][]string{"Content-Type": {"application/json"}, "Accept": {"application/recordio"}, "Message-Accept": {"text/html"}}, v1Media{}, 406},
	} {
		m, err := negotiate(http.Header(c.headers))
		if c.status != 0 {
			if err == nil || err.Status != c.status {
				t.Errorf("%v: %v, want status %d", c.headers, err, c.status)
			}
			continue
		}
		if err != nil || m != c.want {
			t.Errorf("%v: %+v %v, want %+v", c.headers, m, err, c.want)
		}
	}
}
