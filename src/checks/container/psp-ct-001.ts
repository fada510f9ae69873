import type {Check} from '../types.js'
import {CONTAINER_ID_PLACEHOLDER, offlineImage, offlineSkip, onTheHost, UID_MAP} from './view.js'

interface IdRange {
  line: number
  inside: number
  outside: number
  count: number
}

/** /proc/self/uid_map: `inside outside count` per line, or why it cannot be read as one. */
export function parseIdMap(text: string): IdRange[] | string {
  const ranges: IdRange[] = []
  const lines = text.split('\n')
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue
    const fields = line.trim().split(/\s+/)
    if (fields.length !== 3 || !fields.every((f) => /^\d+$/.test(f)))
      return `line ${index + 1} is not "inside outside count": ${line.trim()}`
    const [inside, outside, count] = fields.map(Number) as [number, number, number]
    ranges.push({line: index + 1, inside, outside, count})
  }
  return ranges.length > 0 ? ranges : 'the map is empty'
}

export const check: Check = {
  id: 'PSP-CT-001',
  title: 'The Pulse container runs unprivileged (its uid map is not the identity)',
  severity: 'high',
  profiles: ['pulse-container'],
  tags: ['container', 'isolation'],
  rationale:
    'Seen from inside, a privileged container has the identity map `0 0 4294967295` in /proc/self/uid_map: its ' +
    'root is host root. An unprivileged one maps root to a host range (0 100000 65536). Any range that reaches ' +
    "host uid 0 gives some container user host root. The check reads the running container's own /proc; in an " +
    'offline image there is none, and it says so instead of passing.',
  remediation:
    'On the host: recreate the container unprivileged (pct restore --unprivileged 1), see PSP-LXC-001 there',
  reference:
    'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Runtime Verification" (cat /proc/self/uid_map; NOT 0 0 4294967295)',
  example: {fail: '/proc/self/uid_map: 0 0 4294967295', pass: '/proc/self/uid_map: 0 100000 65536'},
  async run(host) {
    if (await offlineImage(host)) return offlineSkip('the uid map')
    const text = await host.readText(UID_MAP)
    if (!text.ok) return [{status: 'error', path: UID_MAP, message: text.message}]
    const ranges = parseIdMap(text.value)
    if (typeof ranges === 'string')
      return [{status: 'error', path: UID_MAP, message: `cannot read the uid map: ${ranges}`}]
    const evidence = ranges.map((r) => `${r.inside} ${r.outside} ${r.count}`).join('; ')
    const root = ranges.filter((r) => r.outside === 0)
    if (root.length === 0)
      return [{status: 'pass', path: UID_MAP, message: 'no container uid maps to host root', evidence}]
    return root.map((r) => ({
      status: 'fail' as const,
      path: UID_MAP,
      line: r.line,
      message:
        r.inside === 0 && r.count === 4294967295
          ? 'the identity map (0 0 4294967295): a privileged container, its root is host root'
          : `container uid ${r.inside} is host root (${r.inside} ${r.outside} ${r.count})`,
      evidence,
      ...(r.inside === 0 && r.count === 4294967295
        ? onTheHost(
            `vzdump ${CONTAINER_ID_PLACEHOLDER} --mode stop --storage <BACKUP-STORAGE> && pct restore ${CONTAINER_ID_PLACEHOLDER} <THE-BACKUP-ARCHIVE> --unprivileged 1 --force`,
            'PVE converts a privileged container only through a backup and a restore with --unprivileged 1, which shifts the ownership of its files',
          )
        : onTheHost(
            `grep -n '^lxc.idmap' /etc/pve/lxc/${CONTAINER_ID_PLACEHOLDER}.conf`,
            'the lxc.idmap line that maps a container uid to host uid 0 must go, and the map must still cover every id the container uses: only the admin can write the replacement',
          )),
    }))
  },
}
