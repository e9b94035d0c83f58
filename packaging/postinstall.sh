#!/bin/sh
# mesosctl postinst / %post.
# 1. Create agentd's read-write HTTP credential (once; an upgrade keeps it):
#    /etc/mesosctl/agentd-credentials.json, mode 0600, a random secret for
#    principal "mesosctl". /etc/default/mesosctl-agentd turns read-write
#    authentication on with it; mesosctl on this node finds it by itself.
# 2. Make systemd see a new or changed mesosctl-agentd.service. The unit is
#    not enabled or started here: the agent needs its master and resources
#    configured first.
set -e
cred_dir="${DPKG_ROOT:-}/etc/mesosctl"
cred="$cred_dir/agentd-credentials.json"
if [ ! -e "$cred" ]; then
	mkdir -p "$cred_dir"
	chmod 0755 "$cred_dir"
	secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	tmp="$cred.new.$$"
	(umask 077 && printf '{"credentials":[{"principal":"mesosctl","secret":"%s"}]}\n' "$secret" > "$tmp")
	chmod 0600 "$tmp"
	mv "$tmp" "$cred"
fi
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	# On upgrade, restart a running agent onto the new binary. KillMode=process
	# keeps its executors and tasks running; agentd re-adopts them.
	if systemctl is-active --quiet mesosctl-agentd.service; then
		systemctl try-restart mesosctl-agentd.service || true
	fi
fi
exit 0
