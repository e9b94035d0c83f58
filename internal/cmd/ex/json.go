package ex

import (
	"bufio"
	"encoding/base64"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/render"
	"github.com/mesosctl/mesosctl/internal/spool"
)

// Result is one node's result as -o json prints it (one JSON object a
// line, as each node completes). Output that is not valid UTF-8 is also
// given exactly, in base64: stdout then has U+FFFD where bytes were
// invalid, and stdout_base64 has the bytes.
type Result struct {
	Node         string `json:"node"`
	ExitCode     int    `json:"exit_code"`
	Stdout       string `json:"stdout"`
	StdoutBase64 string `json:"stdout_base64,omitempty"`
	Stderr       string `json:"stderr"`
	StderrBase64 string `json:"stderr_base64,omitempty"`
	DurationMS   int64  `json:"duration_ms"`
	Error        string `json:"error,omitempty"`
}

// printItem prints one node's result: streamed from its spooled output
// for plain -o json (memory stays bounded), built in memory for --jq,
// --template and -o yaml (one node at a time).
func (o *Options) printItem(w io.Writer, r *remote.Result, stdout, stderr *spool.Spool) error {
	errText := ""
	if r.Err != nil {
		errText = r.Err.Error()
	}
	if o.Output.JQ == "" && o.Output.Template == "" && o.Output.Format == render.FormatJSON {
		return writeJSONLine(w, r, stdout, stderr, errText)
	}
	res := Result{Node: r.Node, ExitCode: r.ExitCode, DurationMS: r.Duration.Milliseconds(), Error: errText}
	var err error
	if res.Stdout, res.StdoutBase64, err = text(stdout); err != nil {
		return err
	}
	if res.Stderr, res.StderrBase64, err = text(stderr); err != nil {
		return err
	}
	if o.Output.Format == render.FormatYAML {
		io.WriteString(w, "---\n")
	}
	return o.Output.Print(o.IO, res, nil)
}

func text(s *spool.Spool) (string, string, error) {
	b, err := s.Bytes(math.MaxInt64)
	if err != nil {
		return "", "", err
	}
	if s.ValidUTF8() {
		return string(b), "", nil
	}
	return string(b), base64.StdEncoding.EncodeToString(b), nil
}

// writeJSONLine writes the Result object of r, streaming the outputs from
// their spools.
func writeJSONLine(w io.Writer, r *remote.Result, stdout, stderr *spool.Spool, errText string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`{"node":`)
	render.WriteJSONString(bw, strings.NewReader(r.Node))
	bw.WriteString(`,"exit_code":` + strconv.Itoa(r.ExitCode))
	for _, f := range []struct {
		key string
		s   *spool.Spool
	}{{"stdout", stdout}, {"stderr", stderr}} {
		bw.WriteString(`,"` + f.key + `":`)
		if err := render.WriteJSONString(bw, f.s.Reader()); err != nil {
			return err
		}
		if !f.s.ValidUTF8() {
			bw.WriteString(`,"` + f.key + `_base64":"`)
			enc := base64.NewEncoder(base64.StdEncoding, bw)
			if _, err := io.Copy(enc, f.s.Reader()); err != nil {
				return err
			}
			enc.Close()
			bw.WriteByte('"')
		}
	}
	bw.WriteString(`,"duration_ms":` + strconv.FormatInt(r.Duration.Milliseconds(), 10))
	if errText != "" {
		bw.WriteString(`,"error":`)
		render.WriteJSONString(bw, strings.NewReader(errText))
	}
	bw.WriteString("}\n")
	return bw.Flush()
}
