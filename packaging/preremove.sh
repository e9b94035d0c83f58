#!/bin/sh
# mesosctl prerm / %preun: stop the agent when the package is removed (not
# on upgrade). Tasks keep running (KillMode=process); they are orphaned until
# an agent with the same work_dir starts again.
set -e
case "$1" in
	remove|0) ;;
	*) exit 0 ;;
esac
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl stop mesosctl-agentd.service >/dev/null 2>&1 || true
fi
exit 0
