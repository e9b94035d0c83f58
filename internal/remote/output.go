package remote

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/mesosctl/mesosctl/internal/spool"
)

// Mode is how a fan-out's output is shown.
type Mode int

const (
	// ModeHeader prints each node's output under a "-- lxb001 --" header
	// line (as `vn ex` does), as soon as the node is done (or in node-set
	// order with Printer.Ordered).
	ModeHeader Mode = iota
	// ModeStream prints lines as they arrive, prefixed "lxb001: ".
	ModeStream
	// ModeGather groups nodes with identical output under one folded
	// node-set header (as `clush -b` does).
	ModeGather
	// ModeItems hands each finished node to Printer.Item (structured
	// output such as JSON Lines).
	ModeItems
)

// GatherRule is the separator line above and below a gathered header.
const GatherRule = "---------------"

// MaxLine is the longest line ModeStream holds back waiting for its end: a
// longer one is printed in pieces of MaxLine bytes, each on a line of its
// own, so that memory stays bounded.
const MaxLine = 64 << 10

// MaxDiff bounds the size of the outputs --diff compares (per side); larger
// ones are reported as differing, by size and hash, without a diff.
const MaxDiff = 8 << 20

// Printer shows the results of a fan-out on a pair of streams. Node stdout
// goes to Out; node stderr, errors and the closing summary go to ErrOut.
//
// Output is held per node with bounded memory (internal/spool: 64 KiB in
// memory, the rest in an unlinked temporary file) and written as soon as
// the node is done; ModeGather keeps one copy per distinct output (nodes
// are grouped by the SHA-256 of their output).
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
	// Ordered prints nodes in node-set order (ModeHeader, ModeItems): a
	// node is printed once it and every node before it are done. By
	// default each node is printed as soon as it is done.
	Ordered bool
	// Diff, in ModeGather, prints a unified diff of each group's output
	// against the most common one instead of the outputs.
	Diff bool
	// Summary ends with one line counting the outcomes (on a terminal),
	// "62 ok · 1 exit 1: lxb007 · 1 unreachable: lxb009", instead of a
	// line per non-zero exit code.
	Summary bool
	// Item prints one finished node in ModeItems, with its output.
	Item func(w io.Writer, r *Result, stdout, stderr *spool.Spool) error
	// SpoolDir is where output beyond 64 KiB per node is kept ("": the
	// system's temporary directory).
	SpoolDir string

	mu      sync.Mutex // guards the fields below
	outMu   sync.Mutex // serialises writes to Out and ErrOut
	done    []*Result
	printed []bool
	next    int
	streams []*lineWriter
	spools  []*spool.Spool
	groups  map[[32]byte]*group
	order   []*group
	err     error
}

type group struct {
	out   *spool.Spool
	names []string
	first int // index of the first node
}

// NewPrinter returns a Printer for the nodes names.
func NewPrinter(out, errOut io.Writer, mode Mode, names []string) *Printer {
	return &Printer{Out: out, ErrOut: errOut, Mode: mode, Names: names, Prog: "mesosctl",
		done: make([]*Result, len(names)), printed: make([]bool, len(names)),
		streams: make([]*lineWriter, 2*len(names)), spools: make([]*spool.Spool, 2*len(names)),
		groups: map[[32]byte]*group{}}
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

// Writers returns the writers that take node i's stdout and stderr as it
// arrives; pass it as Runner.Output (with Runner.NoCapture).
func (p *Printer) Writers(i int) (io.Writer, io.Writer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prefix := p.Names[i] + ": "
	switch p.Mode {
	case ModeStream:
		o := &lineWriter{p: p, w: p.Out, prefix: prefix}
		e := &lineWriter{p: p, w: p.ErrOut, prefix: prefix}
		p.streams[2*i], p.streams[2*i+1] = o, e
		return o, e
	case ModeGather:
		// stderr is shown live, prefixed; stdout is kept and hashed.
		o := &spool.Spool{Dir: p.SpoolDir, Hash: true}
		e := &lineWriter{p: p, w: p.ErrOut, prefix: prefix}
		p.spools[2*i], p.streams[2*i+1] = o, e
		return o, e
	default:
		o, e := &spool.Spool{Dir: p.SpoolDir}, &spool.Spool{Dir: p.SpoolDir}
		p.spools[2*i], p.spools[2*i+1] = o, e
		return o, e
	}
}

// outputs are node i's stdout and stderr as spools: those Writers gave, or
// r.Stdout and r.Stderr when the caller captured the output itself.
func (p *Printer) outputs(i int, r *Result) (*spool.Spool, *spool.Spool) {
	o, e := p.spools[2*i], p.spools[2*i+1]
	if o == nil {
		o = &spool.Spool{Dir: p.SpoolDir, Hash: p.Mode == ModeGather}
		o.Write(r.Stdout)
	}
	if e == nil {
		e = &spool.Spool{Dir: p.SpoolDir}
		e.Write(r.Stderr)
	}
	return o, e
}

// Done records node i's result and prints what can be printed: the node
// itself (ModeHeader, ModeItems), or, with Ordered, every finished node
// whose predecessors have all been printed.
func (p *Printer) Done(i int, r *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[i] = r
	switch p.Mode {
	case ModeHeader, ModeItems:
		if !p.Ordered {
			p.printNode(i)
			return
		}
		for p.next < len(p.done) && p.done[p.next] != nil {
			p.printNode(p.next)
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
	case ModeGather:
		if lw := p.streams[2*i+1]; lw != nil {
			lw.flush()
		}
		out, errs := p.outputs(i, r)
		errs.Close()
		p.spools[2*i], p.spools[2*i+1] = nil, nil
		// Gathering shows the nodes that printed something; --diff
		// compares every node that ran the command, silent ones included.
		if (!p.Diff && out.Len() == 0) || (p.Diff && r.Err != nil) {
			out.Close()
			return
		}
		sum := out.Sum()
		g := p.groups[sum]
		if g == nil {
			g = &group{out: out, first: i}
			p.groups[sum] = g
			p.order = append(p.order, g)
		} else {
			out.Close()
			g.first = min(g.first, i)
		}
		g.names = append(g.names, r.Node)
	}
}

// printNode prints node i (ModeHeader, ModeItems) and drops its output.
func (p *Printer) printNode(i int) {
	if p.printed[i] {
		return
	}
	p.printed[i] = true
	r := p.done[i]
	out, errs := p.outputs(i, r)
	defer out.Close()
	defer errs.Close()
	p.spools[2*i], p.spools[2*i+1] = nil, nil
	p.write(func() {
		if p.Mode == ModeItems {
			if err := p.Item(p.Out, r, out, errs); err != nil && p.err == nil {
				p.err = err
			}
			return
		}
		fmt.Fprintf(p.Out, "-- %s --\n", r.Node)
		copyEnsuringNewline(p.Out, out)
		copyEnsuringNewline(p.ErrOut, errs)
		if r.Err != nil {
			fmt.Fprintf(p.ErrOut, "%s: %s: %v\n", p.Prog, r.Node, r.Err)
		}
	})
}

func copyEnsuringNewline(w io.Writer, s *spool.Spool) {
	if s.Len() == 0 {
		return
	}
	s.WriteTo(w)
	if s.LastByte() != '\n' {
		w.Write([]byte{'\n'})
	}
}

// Finish prints what is left (gathered groups or their diff, the
// summary) once every node is done, and returns the first error of Item.
func (p *Printer) Finish(results []Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.write(func() {
		if p.Mode == ModeGather {
			p.printGathered(results)
		}
		if p.Summary {
			p.printSummaryLine(results)
		} else {
			p.printExitCodes(results)
		}
	})
	for _, s := range p.spools {
		if s != nil {
			s.Close()
		}
	}
	return p.err
}

func (p *Printer) printGathered(results []Result) {
	groups := p.order
	sort.SliceStable(groups, func(a, b int) bool { return groups[a].first < groups[b].first })
	defer func() {
		for _, g := range groups {
			g.out.Close()
		}
	}()
	for _, g := range groups {
		sortByIndex(g.names, p.Names)
	}
	if p.Diff {
		p.printDiffs(groups)
	} else {
		for _, g := range groups {
			fmt.Fprintf(p.Out, "%s\n%s (%d)\n%s\n", GatherRule, p.fold(g.names), len(g.names), GatherRule)
			copyEnsuringNewline(p.Out, g.out)
		}
	}
	for i := range results {
		if r := &results[i]; r.Err != nil {
			fmt.Fprintf(p.ErrOut, "%s: %s: %v\n", p.Prog, r.Node, r.Err)
		}
	}
}

// sortByIndex sorts names into their order in all.
func sortByIndex(names, all []string) {
	idx := make(map[string]int, len(names))
	for _, n := range names {
		idx[n] = -1
	}
	for i, n := range all {
		if _, ok := idx[n]; ok {
			idx[n] = i
		}
	}
	sort.SliceStable(names, func(a, b int) bool { return idx[names[a]] < idx[names[b]] })
}

// printDiffs prints, for every group but the most common one (the largest;
// the first in node-set order among equals), a unified diff of the most
// common output against the group's, as clush --diff does.
func (p *Printer) printDiffs(groups []*group) {
	if len(groups) < 2 {
		return
	}
	ref := groups[0]
	for _, g := range groups[1:] {
		if len(g.names) > len(ref.names) {
			ref = g
		}
	}
	refName := fmt.Sprintf("%s (%d)", p.fold(ref.names), len(ref.names))
	refText, refErr := ref.out.Bytes(MaxDiff)
	for _, g := range groups {
		if g == ref {
			continue
		}
		name := fmt.Sprintf("%s (%d)", p.fold(g.names), len(g.names))
		text, err := g.out.Bytes(MaxDiff)
		if err != nil || refErr != nil {
			fmt.Fprintf(p.Out, "--- %s\n+++ %s\n@@ outputs differ: %d and %d bytes, too large to compare (limit %d MiB) @@\n",
				refName, name, ref.out.Len(), g.out.Len(), MaxDiff>>20)
			continue
		}
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: splitLines(refText), B: splitLines(text),
			FromFile: refName, ToFile: name, Context: 3})
		io.WriteString(p.Out, diff)
		if diff != "" && !strings.HasSuffix(diff, "\n") {
			io.WriteString(p.Out, "\n")
		}
	}
}

// splitLines splits b after each newline; a last line without one is
// given one (the diff shows lines, not the final newline).
func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	lines[len(lines)-1] += "\n"
	return lines
}

// printExitCodes names the nodes that exited non-zero, grouped by exit code.
func (p *Printer) printExitCodes(results []Result) {
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

// Outcome names what happened on a node, as the closing summary counts
// it: "ok", "exit N", or a failure kind ("unreachable", "host key
// refused", "login refused", "timed out", "cancelled", "failed").
func Outcome(r *Result) string {
	switch {
	case r.Err != nil:
		return Kind(r.Err)
	case r.ExitCode == 0:
		return "ok"
	default:
		return fmt.Sprintf("exit %d", r.ExitCode)
	}
}

// SummaryLine counts the outcomes: "62 ok · 1 exit 1: lxb007 · 1
// unreachable: lxb009" (ok first, then exit codes, then failures; the
// nodes of every outcome but ok are named, folded).
func SummaryLine(results []Result, fold func([]string) string) string {
	byOutcome := map[string][]string{}
	var order []string
	for i := range results {
		o := Outcome(&results[i])
		if byOutcome[o] == nil {
			order = append(order, o)
		}
		byOutcome[o] = append(byOutcome[o], results[i].Node)
	}
	rank := func(o string) (int, int) {
		if o == "ok" {
			return 0, 0
		}
		if c, ok := strings.CutPrefix(o, "exit "); ok {
			n, _ := strconv.Atoi(c)
			return 1, n
		}
		return 2, 0
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, ca := rank(order[a])
		rb, cb := rank(order[b])
		if ra != rb {
			return ra < rb
		}
		return ca < cb
	})
	var parts []string
	for _, o := range order {
		names := byOutcome[o]
		if o == "ok" {
			parts = append(parts, fmt.Sprintf("%d ok", len(names)))
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s: %s", len(names), o, fold(names)))
	}
	return strings.Join(parts, " · ")
}

func (p *Printer) printSummaryLine(results []Result) {
	if len(results) == 0 {
		return
	}
	fmt.Fprintln(p.ErrOut, SummaryLine(results, p.fold))
}

// lineWriter prefixes each line and writes only whole lines, one Write per
// batch of lines, under the Printer's lock, so lines of different nodes
// never interleave mid-line. A line longer than MaxLine is written in
// pieces.
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
	for len(b) > 0 {
		last := bytes.LastIndexByte(b, '\n')
		if last < 0 {
			room := MaxLine - len(l.partial)
			if len(b) < room {
				l.partial = append(l.partial, b...)
				return n, nil
			}
			// The line is too long to hold: write a piece of it.
			l.partial = append(l.partial, b[:room]...)
			b = b[room:]
			l.out(l.format(append(l.partial, '\n')))
			l.partial = l.partial[:0]
			continue
		}
		var out []byte
		if len(l.partial) > 0 {
			out = l.format(append(l.partial, b[:last+1]...))
			l.partial = l.partial[:0]
		} else {
			out = l.format(b[:last+1])
		}
		l.out(out)
		b = b[last+1:]
	}
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
