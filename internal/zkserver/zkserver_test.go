package zkserver

import (
	"os"
	"strings"
	"testing"
)

func TestLaunchRestartStop(t *testing.T) {
	s, err := Launch(Options{Dir: t.TempDir(), DieWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	if s.Port == 0 || s.Pid() == 0 || !Ruok(s.Addr()) {
		t.Fatalf("not serving: port %d pid %d", s.Port, s.Pid())
	}
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Errorf("Addr = %q", s.Addr())
	}
	cfg, err := os.ReadFile(s.Dir + "/zoo.cfg")
	if err != nil || !strings.Contains(string(cfg), "clientPortAddress=127.0.0.1\n") {
		t.Errorf("zoo.cfg must bind loopback only: %q %v", cfg, err)
	}
	port := s.Port
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Port != port || !Ruok(s.Addr()) {
		t.Fatalf("after restart: port %d (was %d), ruok %v", s.Port, port, Ruok(s.Addr()))
	}
	s.Stop()
	if s.Pid() != 0 || Ruok(s.Addr()) {
		t.Fatal("still serving after Stop")
	}
	s.Stop() // idempotent
}
