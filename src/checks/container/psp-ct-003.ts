import type {Check} from '../types.js'
import {CONTAINER_ID_PLACEHOLDER, CONTAINER_SOCKET, offlineImage, offlineSkip, onTheHost} from './view.js'

const DIR = '/mnt/pulse-proxy'

export const check: Check = {
  id: 'PSP-CT-003',
  title: 'The proxy socket is visible in the container at /mnt/pulse-proxy',
  severity: 'medium',
  profiles: ['pulse-container'],
  tags: ['container', 'pulse', 'socket'],
  rationale:
    'Pulse in the container reaches the host proxy only through the bind-mounted socket directory. No socket ' +
    'there means no mount, a socket-file mount gone stale after a proxy restart, or a stopped proxy: Pulse then ' +
    'gets no temperatures, and the usual "fix" is SSH keys inside the container, which the proxy exists to avoid. ' +
    'Mounts exist only in a running container: in an offline image the check says it cannot decide.',
  remediation:
    'On the host: lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0 (or mp0: ' +
    '/run/pulse-sensor-proxy,mp=/mnt/pulse-proxy) in the container config, systemctl start pulse-sensor-proxy, ' +
    'restart the container',
  reference:
    'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Check bind mount" (ls -la /mnt/pulse-proxy/; pulse-sensor-proxy.sock visible)',
  example: {
    fail: '/mnt/pulse-proxy/ (empty directory)',
    pass: 'srwxrwxrwx nobody nogroup /mnt/pulse-proxy/pulse-sensor-proxy.sock',
  },
  async run(host) {
    if (await offlineImage(host)) return offlineSkip('the bind mount')
    const dir = await host.stat(DIR, {follow: true})
    if (dir.ok && dir.value.type !== 'dir')
      return [
        {
          status: 'fail',
          path: DIR,
          message: `${DIR} is a ${dir.value.type}, not the mounted directory: the host mounts a file, which goes stale when the proxy restarts`,
          ...onTheHost(
            `grep -n 'pulse-sensor-proxy' /etc/pve/lxc/${CONTAINER_ID_PLACEHOLDER}.conf`,
            'replace the line that mounts the socket file by "lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0" (pcp-harden lxc lint gives the exact sed), then pct reboot the container',
          ),
        },
      ]
    const st = await host.stat(CONTAINER_SOCKET, {follow: true})
    if (!st.ok && !st.missing) return [{status: 'error', path: CONTAINER_SOCKET, message: st.message}]
    if (!st.ok)
      return [
        {
          status: 'fail',
          path: CONTAINER_SOCKET,
          message: dir.ok
            ? `no socket in ${DIR}: the socket directory is not mounted here, or the proxy is not running`
            : `${DIR} does not exist: the host does not mount the proxy socket directory into this container`,
          ...(dir.ok
            ? {}
            : onTheHost(
                `echo 'lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0' >> /etc/pve/lxc/${CONTAINER_ID_PLACEHOLDER}.conf && pct reboot ${CONTAINER_ID_PLACEHOLDER}`,
                "the host mounts its proxy socket directory here at the container's next start",
              )),
        },
      ]
    if (st.value.type !== 'socket')
      return [
        {
          status: 'fail',
          path: CONTAINER_SOCKET,
          message: `is a ${st.value.type}, expected the proxy's socket`,
        },
      ]
    return [{status: 'pass', path: CONTAINER_SOCKET, message: 'the proxy socket is visible in the container'}]
  },
}
