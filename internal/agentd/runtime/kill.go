package runtime

import (
	"log/slog"
	"slices"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// A container's processes are its launcher's descendants. A kill that
// agentd delivers to them itself (KILL_CONTAINER's SIGKILL, and its other
// signals but SIGTERM and SIGINT for a standalone container) must not be
// lost at any moment of the launch, and one reading of the process tree
// cannot promise that: the launcher may not have started the command yet,
// and the first child it forks may not be the command at all (Go's os
// package forks a short-lived probe child, clone(CLONE_PIDFD), on a
// program's first exec; a kill that signalled only that child once let
// the command start afterwards and run on). So the kill is sticky: it is
// recorded for the launcher (launcher.KillFile: a launcher that has not
// started the command does not start it), and the tree is signalled again
// as processes appear, until the kill has reached the command or, for a
// SIGKILL, until the launcher has ended.

// killSweepMax bounds the pause between two readings of the tree of a
// container being killed.
const killSweepMax = 100 * time.Millisecond

// killContainer delivers sig to every process of the container whose
// launcher is pid (start time start; 0: unknown) and whose runtime
// directory is rt ("": record nothing). The first sweep is done when it
// returns; the rest, when processes are yet to appear, in the background.
func (r *Runtime) killContainer(rt string, pid int, start uint64, sig syscall.Signal) {
	if pid <= 0 {
		return
	}
	if rt != "" && terminatesByDefault(sig) {
		if err := launcher.RecordKill(rt, sig); err != nil {
			r.logf(slog.LevelWarn, "record the kill of the container of launcher %d: %v (signalling its processes anyway)", pid, err)
		}
	}
	k := &treeKill{pid: pid, start: start, sig: sig, launcherArgs: procfs.Cmdline(pid),
		signalled: map[int]bool{}, groups: map[int]bool{}}
	if k.sweep() {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		pause := 5 * time.Millisecond
		for {
			select {
			case <-r.stop:
				return // agentd stops; the launcher still honours the record
			case <-time.After(pause):
			}
			if k.sweep() {
				return
			}
			pause = min(2*pause, killSweepMax)
		}
	}()
}

// treeKill is one KILL_CONTAINER in progress.
type treeKill struct {
	pid          int
	start        uint64
	sig          syscall.Signal
	launcherArgs []string
	signalled    map[int]bool // processes that got sig (not SIGKILL)
	groups       map[int]bool // process groups that got sig (not SIGKILL)
}

// sweep signals the launcher's descendants and reports whether the kill is
// complete: the launcher has ended, or (for a signal other than SIGKILL,
// which is delivered once to each process that runs a program of its own,
// or to the process group it leads: the command and its children, or the
// executor and its task) some process received it. SIGKILL goes again to every descendant at each
// sweep, and to the process group each leads (the command's own, so that
// its children die with it even when they left the tree).
func (k *treeKill) sweep() bool {
	if !procfs.Alive(k.pid, k.start) {
		return true
	}
	tree := procfs.Tree(k.pid)
	reached := false
	for _, p := range tree[1:] {
		if k.sig == syscall.SIGKILL {
			// A pid that is a child here cannot be reused before it is
			// reaped, nor a process group's ID while the group exists:
			// -p is this container's group, or no group (ESRCH).
			_ = syscall.Kill(-p, syscall.SIGKILL)
			_ = syscall.Kill(p, syscall.SIGKILL)
			continue
		}
		// A copy of the launcher (the child os/exec forked, before its
		// exec; Go's probe child) shares the launcher's memory and, the
		// probe, its signal handlers: a catchable signal must wait until
		// the process runs a program of its own.
		if k.signalled[p] || !k.execed(p) {
			continue
		}
		k.signalled[p] = true
		st, err := procfs.ReadStat(p)
		if err != nil {
			continue // gone
		}
		switch {
		case k.groups[st.PGRP]:
			// Its group has it already.
		case st.PGRP == p:
			// The command leads its process group: the group gets it,
			// as the launcher passes SIGTERM on, so that a child it is
			// forking right now gets it too.
			k.groups[p] = true
			err = syscall.Kill(-p, k.sig)
		default:
			err = syscall.Kill(p, k.sig)
		}
		if err == nil {
			reached = true
		}
	}
	return reached
}

// execed reports whether p runs a program of its own: not a copy of the
// launcher before its exec (or Go's probe child), which share the
// launcher's arguments, nor a zombie (no arguments).
func (k *treeKill) execed(p int) bool {
	args := procfs.Cmdline(p)
	return len(args) > 0 && args[0] != "" && !slices.Equal(args, k.launcherArgs)
}

// terminatesByDefault reports whether sig's default action ends a process
// (the signals a launcher that has not started its command takes as the
// command's end: it does not start it).
func terminatesByDefault(sig syscall.Signal) bool {
	switch sig {
	case 0, syscall.SIGCHLD, syscall.SIGCONT, syscall.SIGURG, syscall.SIGWINCH,
		syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return false
	}
	return true
}
