package remote

import (
	"io"
	"os"
	"sync"
	"time"
)

// Pipes carry a command's stdout and stderr from another process that
// runs it for us (an OpenSSH ControlMaster, mesosctl's ssh-mux daemon): the
// write ends are passed to that process, the read ends are copied into
// writers as the output arrives.
type Pipes struct {
	// OutW and ErrW are the write ends to pass on; close them (CloseWriters)
	// once they have been sent.
	OutW, ErrW *os.File
	outR, errR *os.File
	wg         sync.WaitGroup
}

// NewPipes makes the two pipes and starts copying into stdout and stderr
// (nil: discarded).
func NewPipes(stdout, stderr io.Writer) (*Pipes, error) {
	p := &Pipes{}
	var err error
	if p.outR, p.OutW, err = os.Pipe(); err != nil {
		return nil, err
	}
	if p.errR, p.ErrW, err = os.Pipe(); err != nil {
		p.outR.Close()
		p.OutW.Close()
		return nil, err
	}
	p.wg.Add(2)
	go p.drain(p.outR, stdout)
	go p.drain(p.errR, stderr)
	return p, nil
}

func (p *Pipes) drain(r *os.File, w io.Writer) {
	defer p.wg.Done()
	defer r.Close()
	io.Copy(orDiscard(w), r)
}

// CloseWriters closes this process's copies of the write ends.
func (p *Pipes) CloseWriters() {
	p.OutW.Close()
	p.ErrW.Close()
}

// Wait waits until both pipes are drained (every write end closed), at
// most limit when limit > 0: then the read ends are closed, dropping what
// a stuck writer still holds.
func (p *Pipes) Wait(limit time.Duration) {
	if limit <= 0 {
		p.wg.Wait()
		return
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		p.outR.Close()
		p.errR.Close()
		<-done
	}
}
