import path from 'node:path'

import {parseAuthorizedKeys} from '../parsers/authorized-keys.js'
import {parseLxcConfig} from '../parsers/lxc-conf.js'
import {byteLines} from '../rotate/lines.js'
import {markedAsProxy, PROXY_NAME, PROXY_SOCKET_DIR} from '../checks/legacy/analysis.js'

/** The file without the given 1-based lines; every other byte kept. */
export function withoutLines(before: Buffer, removed: readonly number[]): Buffer {
  const gone = new Set(removed)
  return Buffer.concat(byteLines(before).filter((_, index) => !gone.has(index + 1)))
}

/**
 * Remove every line of the proxy's from an authorized_keys file: marked as the proxy's (its
 * comment, the installer's or the rotation's marker), or carrying one of its keys (current,
 * staged or previous), whether sshd uses the line or ignores it. Nothing else is touched.
 */
export function removeProxyLines(
  before: Buffer,
  keyIds: ReadonlySet<string>,
): {content: Buffer; removed: number[]} {
  const removed = parseAuthorizedKeys(before.toString('utf8'))
    .entries.filter(
      (e) => e.kind !== 'comment' && (markedAsProxy(e) || (e.key !== undefined && keyIds.has(e.key.id))),
    )
    .map((e) => e.line)
  return {content: withoutLines(before, removed), removed}
}

const hostDir = (p: string) => {
  const clean = path.posix.normalize(p).replace(/(.)\/+$/, '$1')
  return clean === '/var/run' || clean.startsWith('/var/run/') ? clean.slice(4) : clean
}
const mountsSocketDir = (source: string) =>
  hostDir(source) === PROXY_SOCKET_DIR || hostDir(source).startsWith(`${PROXY_SOCKET_DIR}/`)

/**
 * Remove the bind mounts of the proxy's socket directory from a container config's main (live)
 * section: `mpN:` and `lxc.mount.entry:` lines. Snapshot and pending sections are never edited.
 */
export function removeProxyMounts(before: Buffer): {content: Buffer; removed: number[]} {
  const {main} = parseLxcConfig(before.toString('utf8'))
  const removed = [
    ...main.mountpoints.filter((mp) => mp.type === 'bind' && mountsSocketDir(mp.volume)).map((mp) => mp.line),
    ...main.mountEntries.filter((e) => mountsSocketDir(e.source)).map((e) => e.line),
  ].sort((a, b) => a - b)
  return {content: withoutLines(before, removed), removed}
}

/**
 * The proxy's account removed from passwd, shadow, group or gshadow: its own line, and its name
 * in other groups' member lists (the installer added it to www-data).
 */
export function removeAccount(before: Buffer, file: 'passwd' | 'shadow' | 'group' | 'gshadow'): Buffer {
  const out = byteLines(before).flatMap((raw) => {
    const text = raw.toString('utf8')
    const ending = /\r?\n$/.exec(text)?.[0] ?? ''
    const line = text.slice(0, text.length - ending.length)
    const fields = line.split(':')
    if (fields[0] === PROXY_NAME) return []
    if (file === 'passwd' || file === 'shadow') return [raw]
    // group: name:password:gid:members; gshadow: name:password:admins:members.
    let changed = false
    for (const index of file === 'group' ? [3] : [2, 3]) {
      const list = fields[index]
      if (list === undefined || list === '') continue
      const names = list.split(',')
      if (!names.includes(PROXY_NAME)) continue
      fields[index] = names.filter((n) => n !== PROXY_NAME).join(',')
      changed = true
    }
    return changed ? [Buffer.from(`${fields.join(':')}${ending}`)] : [raw]
  })
  return Buffer.concat(out)
}
