package launcher

import (
	"errors"
	"os"
	"slices"
	"testing"
)

// TestTaskCmdNeverFallsBackToRoot: a user that cannot be resolved is an
// error, not a process running as the launcher's own user.
func TestTaskCmdNeverFallsBackToRoot(t *testing.T) {
	i := &Info{User: "mtnosuchuser", Shell: true, Command: "id -u", Sandbox: t.TempDir()}
	c, err := i.TaskCmd()
	var unknown *UnknownUserError
	if c != nil || !errors.As(err, &unknown) || err.Error() != "Failed to get the uid of user 'mtnosuchuser': No such user 'mtnosuchuser'" {
		t.Fatalf("TaskCmd for an unknown user: %v, %v", c, err)
	}
}

// TestTaskCmdEnvironment: ExecutorEnv, MESOS_ALLOCATION_ROLE, the user's
// variables, the task's own (which win), PATH by default; nothing of the
// launcher's own environment.
func TestTaskCmdEnvironment(t *testing.T) {
	t.Setenv("LAUNCHER_ONLY", "x")
	i := &Info{Shell: true, Command: "true", Sandbox: t.TempDir(),
		ExecutorEnv: map[string]string{"MESOS_SANDBOX": "/s", "A": "exec"},
		Env:         map[string]string{"A": "task", "USER": "override"}}
	c, err := i.TaskCmd()
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := CurrentAccount()
	want := []string{"A=task", "HOME=" + acct.Home, "LOGNAME=" + acct.Name, "MESOS_ALLOCATION_ROLE=*", "MESOS_SANDBOX=/s",
		"PATH=" + DefaultPath, "USER=override"}
	if !slices.Equal(c.Env, want) {
		t.Errorf("env %q, want %q", c.Env, want)
	}
	if c.SysProcAttr.Credential != nil && os.Geteuid() == int(c.SysProcAttr.Credential.Uid) {
		t.Errorf("credential switch to the current user: %+v", c.SysProcAttr.Credential)
	}
	i.Standalone = true
	c, _ = i.TaskCmd()
	if slices.Contains(c.Env, "MESOS_ALLOCATION_ROLE=*") {
		t.Error("a standalone container got MESOS_ALLOCATION_ROLE")
	}
}
