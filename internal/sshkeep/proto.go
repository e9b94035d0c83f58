package sshkeep

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/remote"
)

// The protocol: each Unix connection carries one request, a JSON object on
// one line; an exec request comes with two file descriptors (the write
// ends of the command's stdout and stderr pipes) attached to its bytes.
// The daemon answers with one JSON line. A client cancels an exec by
// closing its connection. A stream request comes with three descriptors
// (the read end of the command's stdin pipe, the write ends of its stdout
// and stderr pipes): the daemon answers {"started":true} once the channel
// runs, or with an error, and closes the connection when the channel
// ends; the client ends the channel by closing its connection.

// Settings are what a run sets for the connections it opens.
type Settings struct {
	KnownHostsFile    string        `json:"known_hosts_file,omitempty"`
	AcceptNewHostKeys bool          `json:"accept_new_host_keys,omitempty"`
	ConnectTimeout    time.Duration `json:"connect_timeout,omitempty"`
	AgentSocket       string        `json:"agent_socket,omitempty"`
	HomeDir           string        `json:"home_dir,omitempty"`
}

type request struct {
	Op       string        `json:"op"` // exec, stream, status, stop
	Run      string        `json:"run,omitempty"`
	Settings Settings      `json:"settings"`
	Target   remote.Target `json:"target"`
	Command  string        `json:"command,omitempty"`
	Root     bool          `json:"root,omitempty"`
	// Subsystem (stream): start this subsystem instead of Command.
	Subsystem string `json:"subsystem,omitempty"`
}

type reply struct {
	Exit    *int    `json:"exit,omitempty"`
	Error   string  `json:"error,omitempty"`
	Kind    string  `json:"kind,omitempty"`
	Connect bool    `json:"connect,omitempty"` // the error is a connection-level one
	Status  *Status `json:"status,omitempty"`
	Started bool    `json:"started,omitempty"` // stream: the channel is open
}

// Status is what `mesosctl ssh-mux status` shows.
type Status struct {
	PID         int           `json:"pid"`
	Socket      string        `json:"socket"`
	Started     time.Time     `json:"started"`
	Persist     time.Duration `json:"persist_ns"`
	IdleSince   *time.Time    `json:"idle_since,omitempty"` // nil while commands run
	Running     int           `json:"running"`
	Connections []string      `json:"connections"`
}

const maxRequest = 1 << 20

// readRequest reads one JSON line and the descriptors sent with it.
func readRequest(c *net.UnixConn) (request, []int, error) {
	var req request
	var fds []int
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	for {
		n, oobn, _, _, err := c.ReadMsgUnix(chunk, oob)
		if oobn > 0 {
			msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn])
			if perr == nil {
				for _, m := range msgs {
					if got, err := syscall.ParseUnixRights(&m); err == nil {
						fds = append(fds, got...)
					}
				}
			}
		}
		buf = append(buf, chunk[:n]...)
		if len(buf) > 0 && buf[len(buf)-1] == '\n' {
			break
		}
		if err != nil || n == 0 {
			closeFDs(fds)
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return req, nil, err
		}
		if len(buf) > maxRequest {
			closeFDs(fds)
			return req, nil, errors.New("request too large")
		}
	}
	if err := json.Unmarshal(buf, &req); err != nil {
		closeFDs(fds)
		return req, nil, fmt.Errorf("bad request: %w", err)
	}
	return req, fds, nil
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
