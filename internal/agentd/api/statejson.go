package api

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// AppendJSON appends the JSON encoding of s to dst: byte for byte what
// json.Marshal(s) writes, but with every executor's encoding (the one
// Executor.Encode cached) copied in as it is. encoding/json checks and
// compacts every json.Marshaler's output again, which at 1,000 executors
// was most of the cost of /state; the cached bytes came from json.Marshal
// themselves, so they are already compact and escaped.
//
// The small parts (the agent's own fields, each framework's) still go
// through json.Marshal; only the frameworks and executors arrays are
// written here.
func (s *State) AppendJSON(dst []byte) ([]byte, error) {
	head := *s
	head.Frameworks, head.CompletedFrameworks = []Framework{}, []Framework{}
	dst, err := appendHead(dst, head, `"frameworks":[],"completed_frameworks":[]}`)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `"frameworks":`...)
	if dst, err = appendFrameworks(dst, s.Frameworks); err != nil {
		return dst, err
	}
	dst = append(dst, `,"completed_frameworks":`...)
	if dst, err = appendFrameworks(dst, s.CompletedFrameworks); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// appendHead appends json.Marshal(v) without tail, the encoding of its
// last fields when they are empty (which the caller then writes itself).
func appendHead(dst []byte, v any, tail string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	if !bytes.HasSuffix(b, []byte(tail)) {
		// Only a change of the struct's field order gets here.
		return dst, fmt.Errorf("api: the JSON of %T does not end in %s", v, tail)
	}
	return append(dst, b[:len(b)-len(tail)]...), nil
}

func appendFrameworks(dst []byte, fs []Framework) ([]byte, error) {
	if fs == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i := range fs {
		if i > 0 {
			dst = append(dst, ',')
		}
		f := &fs[i]
		head := *f
		head.Executors, head.CompletedExecutors = []Executor{}, []Executor{}
		var err error
		if dst, err = appendHead(dst, head, `"executors":[],"completed_executors":[]}`); err != nil {
			return dst, err
		}
		dst = append(dst, `"executors":`...)
		if dst, err = appendExecutors(dst, f.Executors); err != nil {
			return dst, err
		}
		dst = append(dst, `,"completed_executors":`...)
		if dst, err = appendExecutors(dst, f.CompletedExecutors); err != nil {
			return dst, err
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

func appendExecutors(dst []byte, es []Executor) ([]byte, error) {
	if es == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i := range es {
		if i > 0 {
			dst = append(dst, ',')
		}
		if b := es[i].encoded; b != nil {
			dst = append(dst, b...)
			continue
		}
		b, err := json.Marshal(plainExecutor(es[i]))
		if err != nil {
			return dst, err
		}
		dst = append(dst, b...)
	}
	return append(dst, ']'), nil
}
