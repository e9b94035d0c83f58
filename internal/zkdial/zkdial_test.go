package zkdial

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
)

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// A server that accepts connections and never answers the connect request
// (what a ZooKeeper 3.8 server can do while it loads its database) must
// cost the client one session timeout per attempt, not go-zookeeper's
// 6.7: with a 1 s session timeout the client dials again about 2 s after
// its first dial (1 s handshake bound plus its 1 s pause between rounds),
// where unbounded it would wait 7.7 s.
func TestHandshakeBoundedBySessionTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dials := make(chan time.Time, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			dials <- time.Now()
			defer c.Close() // hold it open, answer nothing
		}
	}()
	conn, _, err := gozk.Connect([]string{l.Addr().String()}, time.Second,
		gozk.WithDialer(Dialer(time.Second)), gozk.WithLogger(quiet{}), gozk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	first := <-dials
	select {
	case second := <-dials:
		t.Logf("second dial %v after the first", second.Sub(first).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not dial again within 5 s of a server that never answered its handshake")
	}
}

// handshakeConn counts the length-prefixed connect response however the
// reads split it, caps deadlines until then and passes them through after.
func TestHandshakeConnAccounting(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	limit := time.Now().Add(time.Hour)
	hc := &handshakeConn{Conn: client, deadline: limit, need: -1}

	if got := hc.capped(time.Time{}); !got.Equal(limit) {
		t.Errorf("zero deadline during the handshake = %v, want the limit", got)
	}
	later := limit.Add(time.Minute)
	if got := hc.capped(later); !got.Equal(limit) {
		t.Errorf("late deadline during the handshake = %v, want the limit", got)
	}

	resp := make([]byte, 4+5)
	binary.BigEndian.PutUint32(resp, 5)
	go func() {
		for _, part := range [][]byte{resp[:2], resp[2:6], resp[6:]} {
			server.Write(part)
		}
		server.Write([]byte("after"))
	}()
	buf := make([]byte, 3)
	read := 0
	for read < len(resp) {
		n, err := hc.Read(buf[:min(len(buf), len(resp)-read)])
		if err != nil {
			t.Fatal(err)
		}
		read += n
		hc.mu.Lock()
		done := hc.done
		hc.mu.Unlock()
		if done != (read == len(resp)) {
			t.Fatalf("after %d of %d bytes done = %v", read, len(resp), done)
		}
	}
	if got := hc.capped(later); !got.Equal(later) {
		t.Errorf("deadline after the handshake = %v, want it unchanged", got)
	}
	if got := hc.capped(time.Time{}); !got.IsZero() {
		t.Errorf("zero deadline after the handshake = %v, want zero", got)
	}
	rest := make([]byte, 5)
	if _, err := hc.Read(rest); err != nil || string(rest) != "after" {
		t.Errorf("read after the handshake = %q, %v", rest, err)
	}
}
