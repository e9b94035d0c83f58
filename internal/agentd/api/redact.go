package api

import "strings"

// Redacted replaces a secret in flag values shown by agentd (/flags,
// /state "flags", v1 GET_FLAGS, the start-up log).
const Redacted = "<redacted>"

// SecretFlag reports whether the agent flag name can carry a secret:
// --http_credentials, --credential and --docker_config (inline JSON; the
// last holds registry credentials), --master (the userinfo of a zk://
// URL).
func SecretFlag(name string) bool {
	switch name {
	case "http_credentials", "credential", "docker_config", "master":
		return true
	}
	return false
}

// RedactFlag is how agentd shows the value of flag name given as value
// (before any file:// is read): paths stay visible, as Mesos shows them;
// inline credentials JSON becomes Redacted; the password of a zk:// URL
// becomes "xxxxx"; --master=file:///p shows the path p (Mesos' flag type
// for it shows the file, never its content). Other flags are unchanged.
// The CLI uses it too, to compare a flag file with what /flags shows.
func RedactFlag(name, value string) string {
	switch name {
	case "http_credentials", "credential", "docker_config":
		if v := strings.TrimSpace(value); strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
			return Redacted
		}
	case "master":
		if p, ok := strings.CutPrefix(value, "file://"); ok {
			return p
		}
		return RedactURL(value)
	}
	return value
}

// RedactURL hides the password of a URL's userinfo
// (zk://user:secret@host:2181/mesos → zk://user:xxxxx@host:2181/mesos); a
// userinfo without a user name (zk://secret@…) is hidden whole.
func RedactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	authority, path, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return u
	}
	user, _, hasPass := strings.Cut(authority[:at], ":")
	info := "xxxxx"
	if hasPass && user != "" {
		info = user + ":xxxxx"
	}
	out := scheme + "://" + info + authority[at:]
	if strings.Contains(rest, "/") {
		out += "/" + path
	}
	return out
}
