#!/bin/sh
# mesosctl postrm / %postun: forget the removed unit; on purge (Debian), also
# the agent credential the package created.
set -e
if [ "$1" = purge ]; then
	rm -f "${DPKG_ROOT:-}/etc/mesosctl/agentd-credentials.json"
	rmdir "${DPKG_ROOT:-}/etc/mesosctl" 2>/dev/null || true
fi
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
