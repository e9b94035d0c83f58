#!/bin/sh
# mesosctl postinst / %post: make systemd see a new or changed
# mesosctl-agentd.service. The unit is not enabled or started here: the agent
# needs its master and resources configured first.
set -e
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	# On upgrade, restart a running agent onto the new binary. KillMode=process
	# keeps its executors and tasks running; agentd re-adopts them.
	if systemctl is-active --quiet mesosctl-agentd.service; then
		systemctl try-restart mesosctl-agentd.service || true
	fi
fi
exit 0
