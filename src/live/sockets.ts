import type {ProcSource} from './proc.js'

/** A TCP socket in the LISTEN state, from /proc/net/tcp or tcp6. */
export interface TcpListener {
  /** Numeric address as the kernel holds it: `0.0.0.0`, `127.0.0.1`, `::`, `::1`, `::ffff:10.0.0.5`. */
  address: string
  port: number
  family: 4 | 6
  inode: number
  uid: number
  /** Where it was read: `/proc/net/tcp line 3`. */
  source: string
}

/** The processes holding a socket open, by inode. */
export interface SocketOwner {
  pid: number
  comm: string
}

const TCP_LISTEN = '0A'

/** A 32-bit word of /proc/net/tcp: hex in the kernel's (little-endian) byte order. */
function wordBytes(hex: string): number[] {
  const value = Number.parseInt(hex, 16)
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff]
}

/** `0100007F` -> 127.0.0.1; 32 hex digits -> an IPv6 address in its short form. */
export function decodeProcAddress(hex: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(hex)) return wordBytes(hex).join('.')
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) return undefined
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)))
  const groups = Array.from(
    {length: 8},
    (_, i) => ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number),
  )
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return `::ffff:${bytes.slice(12).join('.')}`
  // The longest run of zero groups (two or more) becomes `::`.
  let best = {start: -1, length: 0}
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > best.length && j - i >= 2) best = {start: i, length: j - i}
    i = j
  }
  const text = groups.map((g) => g.toString(16))
  if (best.start < 0) return text.join(':')
  return `${text.slice(0, best.start).join(':')}::${text.slice(best.start + best.length).join(':')}`
}

/** The LISTEN sockets of one /proc/net/tcp-format file. */
export function parseProcTcp(text: string, family: 4 | 6, file: string): TcpListener[] {
  const listeners: TcpListener[] = []
  text.split('\n').forEach((line, index) => {
    if (index === 0) return
    const fields = line.trim().split(/\s+/)
    if (fields.length < 10 || fields[3] !== TCP_LISTEN) return
    const [addressHex = '', portHex = ''] = (fields[1] ?? '').split(':')
    const address = decodeProcAddress(addressHex)
    const port = Number.parseInt(portHex, 16)
    const uid = Number(fields[7])
    const inode = Number(fields[9])
    if (address === undefined || !Number.isInteger(port) || !Number.isInteger(inode)) return
    listeners.push({address, port, family, inode, uid, source: `${file} line ${index + 1}`})
  })
  return listeners
}

/** Every TCP listener of this machine's network namespace. */
export function readListeners(proc: ProcSource): TcpListener[] {
  return [
    ...parseProcTcp(proc.read('net/tcp')?.toString('utf8') ?? '', 4, `${proc.description}/net/tcp`),
    ...parseProcTcp(proc.read('net/tcp6')?.toString('utf8') ?? '', 6, `${proc.description}/net/tcp6`),
  ]
}

/** Which processes hold each of these socket inodes (through /proc/PID/fd/N -> socket:[INODE]). */
export function socketOwners(proc: ProcSource, inodes: ReadonlySet<number>): Map<number, SocketOwner[]> {
  const owners = new Map<number, SocketOwner[]>()
  if (inodes.size === 0) return owners
  for (const name of proc.list('')) {
    if (!/^\d+$/.test(name)) continue
    for (const fd of proc.list(`${name}/fd`)) {
      const target = proc.link(`${name}/fd/${fd}`)
      const inode = Number(/^socket:\[(\d+)\]$/.exec(target ?? '')?.[1])
      if (!inodes.has(inode)) continue
      const comm = proc.read(`${name}/comm`)?.toString('utf8').trim() ?? '?'
      const list = owners.get(inode) ?? []
      if (!list.some((o) => o.pid === Number(name))) list.push({pid: Number(name), comm})
      owners.set(inode, list)
    }
  }
  return owners
}
