package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/mesosctl/mesosctl/internal/agentd/api/v1pb"
)

// v1Media is what a v1 request carries and what its response may be, as
// Mesos' agent decides them (src/slave/http.cpp, api()).
type v1Media struct {
	// Content is the encoding of the Call(s): json or protobuf.
	Content string
	// Streaming is a RecordIO request body (Content-Type
	// application/recordio; Content is its Message-Content-Type).
	Streaming bool
	// Accept is the response media type: json, protobuf or recordio;
	// MessageAccept the encoding of the records of a recordio response.
	Accept        string
	MessageAccept string
}

// negotiate applies Mesos' header checks in Mesos' order. A non-nil
// *StatusError is the answer to send.
func negotiate(h http.Header) (v1Media, *StatusError) {
	var m v1Media
	ct := h.Get("Content-Type")
	if ct == "" {
		return m, &StatusError{http.StatusBadRequest, "Expecting 'Content-Type' to be present"}
	}
	// Mesos compares the whole header: a parameter (charset) is refused.
	switch ct {
	case v1pb.MediaJSON, v1pb.MediaProtobuf:
		m.Content = ct
		if h.Get("Message-Content-Type") != "" {
			return m, &StatusError{http.StatusUnsupportedMediaType, "Expecting 'Message-Content-Type' to be not set for non-streaming requests"}
		}
	case v1pb.MediaRecordIO:
		m.Streaming = true
		mct := h.Get("Message-Content-Type")
		switch mct {
		case "":
			return m, &StatusError{http.StatusBadRequest, "Expecting 'Message-Content-Type' to be set for streaming requests"}
		case v1pb.MediaJSON, v1pb.MediaProtobuf:
			m.Content = mct
		default:
			return m, &StatusError{http.StatusUnsupportedMediaType, "Expecting 'Message-Content-Type' of application/json or application/x-protobuf"}
		}
	default:
		return m, &StatusError{http.StatusUnsupportedMediaType, "Expecting 'Content-Type' of application/json or application/x-protobuf or application/recordio"}
	}
	accept := h.Values("Accept")
	switch {
	case acceptsMediaType(accept, v1pb.MediaJSON):
		m.Accept = v1pb.MediaJSON
	case acceptsMediaType(accept, v1pb.MediaProtobuf):
		m.Accept = v1pb.MediaProtobuf
	case acceptsMediaType(accept, v1pb.MediaRecordIO):
		m.Accept = v1pb.MediaRecordIO
	default:
		return m, &StatusError{http.StatusNotAcceptable, "Expecting 'Accept' to allow application/json or application/x-protobuf or application/recordio"}
	}
	msgAccept := h.Values("Message-Accept")
	if m.Accept != v1pb.MediaRecordIO {
		if len(msgAccept) > 0 {
			return m, &StatusError{http.StatusNotAcceptable, "Expecting 'Message-Accept' to be not set for non-streaming responses"}
		}
		return m, nil
	}
	switch {
	case acceptsMediaType(msgAccept, v1pb.MediaJSON):
		m.MessageAccept = v1pb.MediaJSON
	case acceptsMediaType(msgAccept, v1pb.MediaProtobuf):
		m.MessageAccept = v1pb.MediaProtobuf
	default:
		return m, &StatusError{http.StatusNotAcceptable, "Expecting 'Message-Accept' to allow application/json or application/x-protobuf"}
	}
	return m, nil
}

// acceptsMediaType reports whether the Accept header values allow mt: no
// header allows everything; the most specific matching media range
// (type/subtype over type/* over */*) decides, and q=0 refuses. Matching
// ignores case.
func acceptsMediaType(values []string, mt string) bool {
	if len(values) == 0 {
		return true
	}
	typ, sub, _ := strings.Cut(strings.ToLower(mt), "/")
	best, bestQ := -1, 0.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			fields := strings.Split(part, ";")
			rng := strings.ToLower(strings.TrimSpace(fields[0]))
			if rng == "" {
				continue
			}
			rt, rs, _ := strings.Cut(rng, "/")
			spec := -1
			switch {
			case rt == typ && rs == sub:
				spec = 2
			case rt == typ && rs == "*":
				spec = 1
			case rt == "*" && rs == "*":
				spec = 0
			}
			if spec < best || spec < 0 {
				continue
			}
			q := 1.0
			for _, p := range fields[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			if spec > best || q < bestQ {
				best, bestQ = spec, q
			}
		}
	}
	return best >= 0 && bestQ > 0
}
