// Package zkdial is the dialer every go-zookeeper connection of mesosctl
// uses: it bounds the session handshake by the session timeout.
package zkdial

import (
	"encoding/binary"
	"net"
	"sync"
	"time"
)

// go-zookeeper waits up to ten times its receive timeout (6.7× the session
// timeout: 67 s for Mesos' default --zk_session_timeout of 10 s) for the
// answer to its connect request, and reads the answer's body with no
// deadline at all. A ZooKeeper 3.8 server that is still loading its
// database can accept a connection and then fail to close it (a
// NullPointerException in ServerCnxn.close, seen in its log), so a client
// that reconnects in that window hangs that long before it tries again,
// well after the server is ready. The Java client bounds the handshake by
// its read timeout instead. handshakeDialer does the same for go-zookeeper:
// until the connect response has been read in full, no read or write
// deadline may lie later than the dial time plus the session timeout;
// afterwards the connection's deadlines are the library's own.

// Dialer returns a go-zookeeper Dialer (pass it with zk.WithDialer) whose
// connections bound the session handshake by limit, normally the session
// timeout.
func Dialer(limit time.Duration) func(network, address string, timeout time.Duration) (net.Conn, error) {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		c, err := net.DialTimeout(network, address, timeout)
		if err != nil {
			return nil, err
		}
		hc := &handshakeConn{Conn: c, deadline: time.Now().Add(limit), need: -1}
		if err := c.SetDeadline(hc.deadline); err != nil {
			c.Close()
			return nil, err
		}
		return hc, nil
	}
}

// handshakeConn caps deadlines until the length-prefixed connect response
// has been read.
type handshakeConn struct {
	net.Conn
	deadline time.Time

	mu   sync.Mutex
	done bool
	hdr  [4]byte
	nhdr int
	need int // body bytes still to come; -1 until the length is known
}

func (c *handshakeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if !c.done && c.account(p[:n]) {
			c.done = true
			// The library has cleared both deadlines by the time it reads
			// the response body; give it back exactly that.
			_ = c.Conn.SetDeadline(time.Time{})
		}
		c.mu.Unlock()
	}
	return n, err
}

// account counts bytes of the connect response and reports whether it is
// complete.
func (c *handshakeConn) account(b []byte) bool {
	for c.nhdr < len(c.hdr) && len(b) > 0 {
		c.hdr[c.nhdr] = b[0]
		c.nhdr++
		b = b[1:]
	}
	if c.nhdr < len(c.hdr) {
		return false
	}
	if c.need < 0 {
		c.need = int(binary.BigEndian.Uint32(c.hdr[:]))
	}
	c.need -= len(b)
	return c.need <= 0
}

func (c *handshakeConn) capped(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done && (t.IsZero() || t.After(c.deadline)) {
		return c.deadline
	}
	return t
}

func (c *handshakeConn) SetDeadline(t time.Time) error {
	return c.Conn.SetDeadline(c.capped(t))
}

func (c *handshakeConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.capped(t))
}

func (c *handshakeConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.capped(t))
}
