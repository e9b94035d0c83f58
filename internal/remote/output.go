package remote

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Mode is how a fan-out's output is shown.
type Mode int

const (
	// ModeHeader prints each node's output, in node-set order, under a
	// "-- lxb001 --" header line (as `vn ex` does).
	ModeHeader Mode = iota
	// ModeStream prints lines as they arrive, prefixed "lxb001: ".
	ModeStream
	// ModeGather groups nodes with identical output under one folded
	// node-set header (as `clush -b` does).
	ModeGather
)

// GatherRule is the separator line above and below a gathered header.
const GatherRule = "---------------"

// Printer shows the results of a fan-out on a pair of streams. Node stdout
// goes to Out; node stderr, errors and the failure summary go to ErrOut.
type Printer struct {
	Out, ErrOut io.Writer
	Mode        Mode
	// Names are the node names in node-set order.
	Names []string
	// Fold folds node names into a node set (lxb[001-004]); defaults to
	// joining with commas.
	Fold func([]string) string
	// Progress, when set, is erased before anything is printed.
	Progress *Progress
	// Prog is the program name used in messages ("mesosctl").
	Prog string

	mu      sync.Mutex // guards done, next, streams
	outMu   sync.Mutex // serialises writes to Out and ErrOut
	done    []*Result
	next    int
	streams []*lineWriter
}

// NewPrinter returns a Printer for the nodes names.
func NewPrinter(out, errOut io.Writer, mode Mode, names []string) *Printer {
	return &Printer{Out: out, ErrOut: errOut, Mode: mode, Names: names, Prog: "mesosctl",
		done: make([]*Result, len(names)), streams: make([]*lineWriter, 2*len(names))}
}

func (p *Printer) fold(names []string) string {
	if p.Fold != nil {
		return p.Fold(names)
	}
	return strings.Join(names, ",")
}

func (p *Printer) write(fn func()) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	if p.Progress != nil {
		p.Progress.Suspend(fn)
		return
	}
	fn()
}

// Writers returns node i's stdout and stderr line writers for ModeStream;
// pass it as Runner.Output.
func (p *Printer) Writers(i int) (io.Writer, io.Writer) {
	if p.Mode != ModeStream {
		return nil, nil
	}
	prefix := p.Names[i] + ": "
	o := &lineWriter{p: p, w: p.Out, prefix: prefix}
	e := &lineWriter{p: p, w: p.ErrOut, prefix: prefix}
	p.mu.Lock()
	p.streams[2*i], p.streams[2*i+1] = o, e
	p.mu.Unlock()
	return o, e
}

// Done records node i's result; in ModeHeader it prints every finished
// node whose predecessors have all been printed.
func (p *Printer) Done(i int, r *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[i] = r
	switch p.Mode {
	case ModeHeader:
		for p.next < len(p.done) && p.done[p.next] != nil {
			res := p.done[p.next]
			p.write(func() { p.printHeader(res) })
			p.next++
		}
	case ModeStream:
		for _, lw := range p.streams[2*i : 2*i+2] {
			if lw != nil {
				lw.flush()
			}
		}
		if r.Err != nil {
			p.write(func() { fmt.Fprintf(p.ErrOut, "%s: %s: %v\n", p.Prog, r.Node, r.Err) })
		}
	}
}

func (p *Printer) printHeader(r *Result) {
	fmt.Fprintf(p.Out, "-- %s --\n", r.Node)
	writeEnsuringNewline(p.Out, r.Stdout)
	writeEnsuringNewline(p.ErrOut, r.Stderr)
	if r.Err != nil {
		fmt.Fprintf(p.ErrOut, "%s: %s: %v\n", p.Prog, r.Node, r.Err)
	}
}

func writeEnsuringNewline(w io.Writer, b []byte) {
	if len(b) == 0 {
		return
	}
	if b[len(b)-1] != '\n' {
		w.Write(append(b[:len(b):len(b)], '\n'))
		return
	}
	w.Write(b)
}

// Finish prints what is left (gathered groups, the summary of failures)
// once every node is done.
func (p *Printer) Finish(results []Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.write(func() {
		if p.Mode == ModeGather {
			p.printGathered(results)
		}
		p.printSummary(results)
	})
}

func (p *Printer) printGathered(results []Result) {
	type group struct {
		out   []byte
		names []string
	}
	var groups []*group
	byOut := map[string]*group{}
	for i := range results {
		r := &results[i]
		if len(r.Stdout) == 0 {
			continue
		}
		g := byOut[string(r.Stdout)]
		if g == nil {
			g = &group{out: r.Stdout}
			byOut[string(r.Stdout)] = g
			groups = append(groups, g)
		}
		g.names = append(g.names, r.Node)
	}
	for _, g := range groups {
		fmt.Fprintf(p.Out, "%s\n%s (%d)\n%s\n", GatherRule, p.fold(g.names), len(g.names), GatherRule)
		writeEnsuringNewline(p.Out, g.out)
	}
	for i := range results {
		r := &results[i]
		if len(r.Stderr) > 0 {
			lw := &lineWriter{w: p.ErrOut, prefix: r.Node + ": "}
			lw.emit(r.Stderr)
			lw.flushLocked()
		}
	}
	for i := range results {
		if r := &results[i]; r.Err != nil {
			fmt.Fprintf(p.ErrOut, "%s: %s: %v\n", p.Prog, r.Node, r.Err)
		}
	}
}

// printSummary names the nodes that exited non-zero, grouped by exit code.
func (p *Printer) printSummary(results []Result) {
	byCode := map[int][]string{}
	for i := range results {
		r := &results[i]
		if r.Err == nil && r.ExitCode != 0 {
			byCode[r.ExitCode] = append(byCode[r.ExitCode], r.Node)
		}
	}
	codes := make([]int, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(p.ErrOut, "%s: %s: exited with exit code %d\n", p.Prog, p.fold(byCode[c]), c)
	}
}

// lineWriter prefixes each line and writes only whole lines, one Write per
// batch of lines, under the Printer's lock, so lines of different nodes
// never interleave mid-line.
type lineWriter struct {
	p       *Printer
	w       io.Writer
	prefix  string
	partial []byte
	mu      sync.Mutex
}

func (l *lineWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(b)
	last := bytes.LastIndexByte(b, '\n')
	if last < 0 {
		l.partial = append(l.partial, b...)
		return n, nil
	}
	var out []byte
	if len(l.partial) > 0 {
		out = l.format(append(l.partial, b[:last+1]...))
		l.partial = l.partial[:0]
	} else {
		out = l.format(b[:last+1])
	}
	l.partial = append(l.partial, b[last+1:]...)
	l.out(out)
	return n, nil
}

func (l *lineWriter) out(b []byte) {
	if l.p == nil {
		l.w.Write(b)
		return
	}
	l.p.write(func() { l.w.Write(b) })
}

// format prefixes every line of b, which ends with '\n'.
func (l *lineWriter) format(b []byte) []byte {
	lines := bytes.Count(b, []byte{'\n'})
	out := make([]byte, 0, len(b)+lines*len(l.prefix))
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		out = append(out, l.prefix...)
		out = append(out, b[:i+1]...)
		b = b[i+1:]
	}
	return out
}

// emit formats b (any content) without the Printer's lock (caller holds it).
func (l *lineWriter) emit(b []byte) {
	if last := bytes.LastIndexByte(b, '\n'); last >= 0 {
		l.w.Write(l.format(b[:last+1]))
		b = b[last+1:]
	}
	l.partial = append(l.partial, b...)
}

// flush writes a partial last line, completed with a newline.
func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) == 0 {
		return
	}
	b := l.format(append(l.partial, '\n'))
	l.partial = nil
	l.out(b)
}

func (l *lineWriter) flushLocked() {
	if len(l.partial) > 0 {
		l.w.Write(l.format(append(l.partial, '\n')))
		l.partial = nil
	}
}
