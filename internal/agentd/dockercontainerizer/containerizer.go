// Package dockercontainerizer is the agent's side of the Docker
// containerizer (Mesos 1.11's src/slave/containerizer/docker.cpp), the
// parts that are about the engine rather than one task: the check of the
// docker CLI at start, the recovery listing of mesos- containers (which
// fails, and with it the agent's start, when the engine cannot be
// reached), the killing of orphans (--docker_kill_orphans), image pulls
// before a task's executor starts, the removal of a task's exited
// container --docker_remove_delay after it ended, the host pids of running
// containers (for the process tree), and its metric
// (containerizer/docker/image_pull_ms).
package dockercontainerizer

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/docker"
	"github.com/mesosctl/mesosctl/internal/agentd/metrics"
)

// ImagePullWindow is the window of the image_pull timer's statistics
// (Mesos': 1 hour).
const ImagePullWindow = time.Hour

// Config are the agent flags the Docker containerizer acts on.
type Config struct {
	// Docker is the CLI (--docker) on the engine (--docker_socket), with
	// --docker_config.
	Docker *docker.Docker
	// StopTimeout is --docker_stop_timeout: how long `docker stop` lets an
	// orphan end before it is killed.
	StopTimeout time.Duration
	// RemoveDelay is --docker_remove_delay: how long an ended task's
	// container is kept (for `docker logs`/inspection) before `docker rm`.
	RemoveDelay time.Duration
	// KillOrphans is --docker_kill_orphans.
	KillOrphans bool
	// Logf logs one line ("I …", "W …").
	Logf func(format string, a ...any)
}

// Containerizer is the Docker containerizer of one agent.
type Containerizer struct {
	cfg Config
	// imagePull times every Pull (Mesos' metrics.image_pull).
	imagePull *metrics.Timer

	mu      sync.Mutex
	closed  bool
	removes map[string]*time.Timer // by container name
	wg      sync.WaitGroup
}

// New checks the docker CLI as Mesos does at start (a missing CLI, or one
// older than 1.8.0, keeps the agent from starting) and returns the
// containerizer. The error is worded as a Mesos agent's fatal one.
func New(ctx context.Context, cfg Config) (*Containerizer, error) {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if err := cfg.Docker.Validate(ctx); err != nil {
		return nil, fmt.Errorf("Failed to create a containerizer: Could not create DockerContainerizer: Failed to create docker: %w", err)
	}
	return &Containerizer{cfg: cfg, removes: map[string]*time.Timer{},
		imagePull: metrics.NewTimer("containerizer/docker/image_pull", ImagePullWindow)}, nil
}

// Docker is the docker CLI the containerizer uses.
func (c *Containerizer) Docker() *docker.Docker { return c.cfg.Docker }

// Known says what the agent knows of a Mesos container ID after its own
// recovery: Live (a run it follows), or Ended (a run that has ended, at
// EndedAt).
type Known struct {
	Live    bool
	Ended   bool
	EndedAt time.Time
}

// RecoverResult is what Recover found and did.
type RecoverResult struct {
	// Containers are the mesos- containers the engine has.
	Containers []docker.Container
	// Orphans are the containers stopped and removed as orphans.
	Orphans []string
}

// Recover lists the engine's mesos- containers (`docker ps -a` and an
// inspect of each, as Mesos' recovery does; an engine that cannot be
// reached is an error, and the agent does not start), then, with
// --docker_kill_orphans, stops and removes every one the agent does not
// follow (`docker stop -t <docker_stop_timeout>`, then `docker rm -v`):
// containers of other agents' or forgotten runs, and containers still
// running although their run has ended. The exited container of a run the
// agent knows has ended is removed --docker_remove_delay after its end
// (Mesos removes it at once with the orphans: its delayed removal was lost
// with the old agent process). known maps a container ID to what the agent
// knows of it.
func (c *Containerizer) Recover(ctx context.Context, known func(containerID string) Known) (RecoverResult, error) {
	var res RecoverResult
	list, err := c.cfg.Docker.Ps(ctx, true, docker.NamePrefix)
	if err != nil {
		return res, err
	}
	res.Containers = list
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 8)
	for _, ct := range list {
		cid, ok := docker.ParseName(ct.Name)
		if !ok {
			continue // not started by a Mesos agent
		}
		k := known(cid)
		switch {
		case k.Live:
			continue
		case k.Ended && !ct.Running:
			// An ended run's exited container: removed when its delay is
			// up, as if the agent had not restarted.
			c.RemoveAfter(ct.Name, time.Until(k.EndedAt.Add(c.cfg.RemoveDelay)))
			continue
		case !c.cfg.KillOrphans:
			continue
		}
		// Unknown to the agent, or still running although its run has
		// ended (its executor died): an orphan.
		res.Orphans = append(res.Orphans, ct.Name)
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c.cfg.Logf("I Killing orphaned Docker container %s (--docker_kill_orphans)", name)
			sctx, cancel := context.WithTimeout(ctx, c.cfg.StopTimeout+docker.ForceKillTimeout+30*time.Second)
			defer cancel()
			if err := c.cfg.Docker.Stop(sctx, name, c.cfg.StopTimeout, true); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(ct.Name)
	}
	wg.Wait()
	sort.Strings(res.Orphans)
	if len(errs) > 0 {
		for _, err := range errs {
			c.cfg.Logf("W %v", err)
		}
	}
	return res, nil
}

// Pull makes the task's image present before its executor starts (Mesos'
// PULLING state): a local image is used unless force; otherwise `docker
// pull`, whose failure says what failed. dir is the task's sandbox (its
// HOME for the pull). Every Pull is timed in
// containerizer/docker/image_pull_ms, whatever its outcome (Mesos times
// docker->pull, which inspects the image first, and its failures and
// cancellations too).
func (c *Containerizer) Pull(ctx context.Context, dir, image string, force bool) error {
	t0 := time.Now()
	_, err := c.cfg.Docker.Pull(ctx, dir, image, force)
	c.imagePull.Record(time.Since(t0))
	return err
}

// PutMetrics adds the Docker containerizer's metrics to m, as a Mesos
// 1.11 agent has them: containerizer/docker/image_pull_ms once an image
// was pulled (see metrics.Timer).
func (c *Containerizer) PutMetrics(m map[string]float64) { c.imagePull.Put(m) }

// RemoveAfter removes the container name (`docker rm -f -v`) after d (at
// once when d ≤ 0); a removal already scheduled for it is replaced.
func (c *Containerizer) RemoveAfter(name string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if t, ok := c.removes[name]; ok {
		t.Stop()
	}
	c.removes[name] = time.AfterFunc(max(d, 0), func() {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		delete(c.removes, name)
		c.wg.Add(1)
		c.mu.Unlock()
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.cfg.Docker.Rm(ctx, name, true); err != nil && !docker.IsNoSuchContainer(err) {
			c.cfg.Logf("W Unable to remove Docker container '%s': %v", name, err)
		}
	})
}

// PendingRemovals lists the containers whose removal is scheduled.
func (c *Containerizer) PendingRemovals() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.removes))
	for n := range c.removes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Pids returns the host pid of the main process of each running container
// among names (one `docker inspect` per container; those not running are
// left out).
func (c *Containerizer) Pids(ctx context.Context, names []string) map[string]int {
	out := map[string]int{}
	for _, n := range names {
		ct, err := c.cfg.Docker.Inspect(ctx, n)
		if err == nil && ct.Running && ct.Pid > 0 {
			out[n] = ct.Pid
		}
	}
	return out
}

// Close cancels the scheduled removals (an agent that stops leaves them to
// its next start's recovery) and waits for those under way.
func (c *Containerizer) Close() {
	c.mu.Lock()
	c.closed = true
	for _, t := range c.removes {
		t.Stop()
	}
	c.removes = map[string]*time.Timer{}
	c.mu.Unlock()
	c.wg.Wait()
}
