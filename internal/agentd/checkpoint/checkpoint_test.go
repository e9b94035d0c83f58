package checkpoint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func statesOf(t *testing.T, path string) (states []string, torn bool) {
	t.Helper()
	recs, tornErr, err := ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		var u UpdateRecord
		if err := json.Unmarshal(r, &u); err != nil {
			t.Fatal(err)
		}
		states = append(states, u.Status.State)
	}
	return states, tornErr != nil
}

// TestTornTailEveryOffset cuts the log at every byte offset of its last
// record: the reader sees the complete records (and reports the torn
// tail), and the next append truncates the tail so that it and every later
// record are read back.
func TestTornTailEveryOffset(t *testing.T) {
	dir := t.TempDir()
	pristine := filepath.Join(dir, "pristine")
	for _, s := range []string{TaskStarting, TaskRunning, TaskFinished} {
		if err := AppendRecord(pristine, UpdateRecord{Type: "UPDATE", Status: Status{State: s, Message: "some words"}}); err != nil {
			t.Fatal(err)
		}
	}
	full, _ := os.ReadFile(pristine)
	lastLen := 0
	{
		recs, _, _ := ReadLog(pristine)
		lastLen = 4 + len(recs[2])
	}
	good := len(full) - lastLen
	log := filepath.Join(dir, "task.updates")
	for cut := good; cut < len(full); cut++ {
		if err := os.WriteFile(log, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		states, torn := statesOf(t, log)
		if len(states) != 2 || states[1] != TaskRunning || torn != (cut > good) {
			t.Fatalf("cut at %d: %v torn=%v", cut, states, torn)
		}
		if err := AppendRecord(log, UpdateRecord{Type: "UPDATE", Status: Status{State: TaskKilled}}); err != nil {
			t.Fatal(err)
		}
		if err := AppendRecord(log, UpdateRecord{Type: "UPDATE", Status: Status{State: TaskLost}}); err != nil {
			t.Fatal(err)
		}
		states, torn = statesOf(t, log)
		if len(states) != 4 || states[2] != TaskKilled || states[3] != TaskLost || torn {
			t.Fatalf("cut at %d, after two appends: %v torn=%v", cut, states, torn)
		}
	}
	// A tail the file system extended but never filled (zeros) is torn too.
	os.WriteFile(log, append(append([]byte{}, full[:good]...), make([]byte, 37)...), 0o644)
	if states, torn := statesOf(t, log); len(states) != 2 || !torn {
		t.Fatalf("zero-filled tail: %v torn=%v", states, torn)
	}
	if err := AppendRecord(log, UpdateRecord{Type: "UPDATE", Status: Status{State: TaskFinished}}); err != nil {
		t.Fatal(err)
	}
	if states, torn := statesOf(t, log); len(states) != 3 || torn {
		t.Fatalf("after append to a zero-filled tail: %v torn=%v", states, torn)
	}
}

// TestConcurrentAppends: records of concurrent writers never interleave.
func TestConcurrentAppends(t *testing.T) {
	log := filepath.Join(t.TempDir(), "task.updates")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := AppendRecord(log, UpdateRecord{Type: "UPDATE", Status: Status{State: TaskRunning, Message: string(make([]byte, 300))}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if states, torn := statesOf(t, log); len(states) != 400 || torn {
		t.Fatalf("%d records, torn=%v", len(states), torn)
	}
}

// TestAppendErrorsSurface: a log that cannot be written is an error.
func TestAppendErrorsSurface(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if err := AppendRecord(filepath.Join(blocker, "task.updates"), UpdateRecord{}); err == nil {
		t.Fatal("append under a regular file succeeded")
	}
	if err := WriteRecord(filepath.Join(blocker, "task.info"), UpdateRecord{}); err == nil {
		t.Fatal("write under a regular file succeeded")
	}
}
