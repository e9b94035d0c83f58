package remote

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPrinterHeaderModeOrdered(t *testing.T) {
	var out, errOut bytes.Buffer
	p := NewPrinter(&out, &errOut, ModeHeader, []string{"a", "b", "c"})
	p.Ordered = true
	res := []Result{{Node: "a", Stdout: []byte("1")}, {Node: "b", Err: errors.New("boom"), ExitCode: -1}, {Node: "c", Stdout: []byte("3\n"), ExitCode: 2}}
	p.Done(2, &res[2])
	if out.Len() != 0 {
		t.Fatalf("printed c before a: %q", out.String())
	}
	p.Done(0, &res[0])
	p.Done(1, &res[1])
	p.Finish(res)
	if got, want := out.String(), "-- a --\n1\n-- b --\n-- c --\n3\n"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
	if got, want := errOut.String(), "mesosctl: b: boom\nmesosctl: c: exited with exit code 2\n"; got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
}

func TestPrinterHeaderModeCompletionOrder(t *testing.T) {
	var out, errOut bytes.Buffer
	p := NewPrinter(&out, &errOut, ModeHeader, []string{"a", "b"})
	wo, we := p.Writers(1)
	wo.Write([]byte("second"))
	we.Write([]byte("e\n"))
	p.Done(1, &Result{Node: "b", ExitCode: 1})
	if out.String() != "-- b --\nsecond\n" || errOut.String() != "e\n" {
		t.Fatalf("b not printed as soon as done: %q %q", out.String(), errOut.String())
	}
	p.Writers(0)
	p.Done(0, &Result{Node: "a"})
	res := []Result{{Node: "a"}, {Node: "b", ExitCode: 1}, {Node: "c", Err: &ConnectError{Err: errors.New("connect to x: connection refused")}}}
	p.Summary = true
	p.Finish(res)
	if got, want := errOut.String(), "e\n1 ok · 1 exit 1: b · 1 unreachable: c\n"; got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
}

func TestPrinterGatherAndDiff(t *testing.T) {
	var out, errOut bytes.Buffer
	names := []string{"n1", "n2", "n3", "n4"}
	p := NewPrinter(&out, &errOut, ModeGather, names)
	p.Diff = true
	texts := []string{"a\nb\nc\n", "a\nB\nc\n", "a\nb\nc\n", "a\nb\nc\n"}
	for _, i := range []int{3, 1, 0, 2} {
		o, _ := p.Writers(i)
		o.Write([]byte(texts[i]))
		p.Done(i, &Result{Node: names[i]})
	}
	p.Finish(nil)
	want := "--- n1,n3,n4 (3)\n+++ n2 (1)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
	if out.String() != want {
		t.Fatalf("diff:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestLineWriterLongLineInPieces(t *testing.T) {
	var out bytes.Buffer
	p := NewPrinter(&out, &out, ModeStream, []string{"n"})
	w, _ := p.Writers(0)
	w.Write(bytes.Repeat([]byte("x"), MaxLine+10))
	w.Write([]byte("y\n"))
	p.Done(0, &Result{Node: "n"})
	want := "n: " + strings.Repeat("x", MaxLine) + "\nn: xxxxxxxxxxy\n"
	if out.String() != want {
		t.Fatalf("got %d bytes, want %d", out.Len(), len(want))
	}
}

func TestLineWriterWholeLinesOnly(t *testing.T) {
	var out bytes.Buffer
	p := NewPrinter(&out, &out, ModeStream, []string{"n1", "n2"})
	w1, _ := p.Writers(0)
	w2, _ := p.Writers(1)
	var wg sync.WaitGroup
	for _, w := range []interface{ Write([]byte) (int, error) }{w1, w2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				w.Write([]byte("abc"))
				w.Write([]byte("def\nxy"))
				w.Write([]byte("z\n"))
			}
			w.Write([]byte("tail"))
		}()
	}
	wg.Wait()
	p.Done(0, &Result{Node: "n1"})
	p.Done(1, &Result{Node: "n2"})
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		switch strings.SplitN(l, ": ", 2)[1] {
		case "abcdef", "xyz", "tail":
		default:
			t.Fatalf("torn line %q", l)
		}
	}
}

func TestProgressLineAndErase(t *testing.T) {
	var buf safeBuf
	p := &Progress{W: &buf, Names: []string{"lxb001", "lxb002"}, Delay: 10 * time.Millisecond, Interval: 10 * time.Millisecond}
	p.Start()
	p.NodeStarted(0)
	p.NodeStarted(1)
	p.NodeDone(0, true)
	// Wait for a line drawn after the update (bounded; a loaded machine
	// may run the ticker late), then stop.
	want := "\r\x1b[K1/2 done, 1 failed, slowest: lxb002 0."
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(buf.String(), want) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	p.Stop()
	s := buf.String()
	if !strings.Contains(s, want) {
		t.Fatalf("progress output %q", s)
	}
	if !strings.HasSuffix(s, "\r\x1b[K") {
		t.Fatalf("line not erased at the end: %q", s)
	}
	// Nothing is drawn when the run ends before the delay.
	var quiet safeBuf
	q := &Progress{W: &quiet, Names: []string{"a"}, Delay: time.Hour}
	q.Start()
	q.Stop()
	if quiet.String() != "" {
		t.Fatalf("drawn before delay: %q", quiet.String())
	}
}

type safeBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *safeBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
