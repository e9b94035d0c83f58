package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Image is what `docker inspect` says of an image (what Mesos reads).
type Image struct {
	ID         string
	Entrypoint []string
	Env        []string
}

// ImageRef is image with ":latest" added when it names no tag (a
// registry's port, as in localhost:5000/app, is not a tag), as Mesos
// pulls it; an image given by digest (name@sha256:…) is left alone.
func ImageRef(image string) string {
	if strings.Contains(image, "@") {
		return image
	}
	parts := strings.Split(image, "/")
	if !strings.Contains(parts[len(parts)-1], ":") {
		return image + ":latest"
	}
	return image
}

// Pull makes image present in the engine, as Mesos' Docker::pull: unless
// force, an image that `docker inspect` finds is used as it is; otherwise
// `docker pull` runs with HOME set to dir (the sandbox, where a
// .docker/config.json or .dockercfg fetched with the task is found) or,
// when dir has none and --docker_config is set, to a temporary directory
// holding that config. A failed pull is a *CommandError naming the pull
// command and carrying docker's stderr.
func (d *Docker) Pull(ctx context.Context, dir, image string, force bool) (Image, error) {
	ref := ImageRef(image)
	if !force {
		if img, err := d.inspectImage(ctx, ref); err == nil {
			return img, nil
		}
	}
	env := d.env()
	var home string
	if len(d.Config) > 0 {
		tmp, err := os.MkdirTemp("", "mesosctl-docker-config-")
		if err != nil {
			return Image{}, fmt.Errorf("Failed to create temporary directory for docker config file: %v", err)
		}
		defer os.RemoveAll(tmp)
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(d.Config, &obj); err != nil {
			return Image{}, fmt.Errorf("--docker_config is not a JSON object: %v", err)
		}
		path, file := tmp, ".dockercfg"
		if _, ok := obj["auths"]; ok {
			path, file = filepath.Join(tmp, ".docker"), "config.json"
		}
		if err := os.MkdirAll(path, 0o700); err != nil {
			return Image{}, fmt.Errorf("Failed to create path '%s': %v", path, err)
		}
		if err := os.WriteFile(filepath.Join(path, file), d.Config, 0o600); err != nil {
			return Image{}, fmt.Errorf("Failed to write docker config file to '%s': %v", filepath.Join(path, file), err)
		}
		home = tmp
	}
	sandboxHome := dir
	if home != "" && !exists(filepath.Join(dir, ".docker", "config.json")) && !exists(filepath.Join(dir, ".dockercfg")) {
		sandboxHome = home
	}
	env = setEnv(env, "HOME", sandboxHome)
	if home != "" || sandboxHome != "" {
		// The client reads its config from $HOME unless DOCKER_CONFIG
		// points elsewhere.
		env = setEnv(env, "DOCKER_CONFIG", filepath.Join(sandboxHome, ".docker"))
	}
	if _, err := d.run(ctx, env, "pull", ref); err != nil {
		return Image{}, err
	}
	img, err := d.inspectImage(ctx, ref)
	if err != nil {
		return Image{}, fmt.Errorf("the image %s was pulled but cannot be inspected: %w", ref, err)
	}
	return img, nil
}

func (d *Docker) inspectImage(ctx context.Context, ref string) (Image, error) {
	out, err := d.run(ctx, nil, "inspect", "--type=image", ref)
	if err != nil {
		return Image{}, err
	}
	var arr []struct {
		ID     string `json:"Id"`
		Config struct {
			Entrypoint []string
			Env        []string
		}
	}
	if err := json.Unmarshal(out, &arr); err != nil {
		return Image{}, fmt.Errorf("Failed to parse JSON: %v", err)
	}
	if len(arr) != 1 {
		return Image{}, errors.New("Failed to find image")
	}
	return Image{ID: arr[0].ID, Entrypoint: arr[0].Config.Entrypoint, Env: arr[0].Config.Env}, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func setEnv(env []string, key, value string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}
