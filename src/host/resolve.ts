import {ADDRCONFIG} from 'node:dns'
import {lookup} from 'node:dns/promises'
import {hostname} from 'node:os'

import type {Host} from './host.js'

/** Parse hosts(5): address followed by names; `#` comments. Name lookups are case-insensitive. */
export function parseHosts(text: string): Map<string, string[]> {
  const table = new Map<string, string[]>()
  for (const raw of text.split('\n')) {
    // glibc splits on ASCII blanks only: a no-break space is part of a name.
    const [address, ...names] = raw
      .replace(/#.*$/, '')
      .split(/[ \t\r\f\v]+/)
      .filter(Boolean)
    if (!address || names.length === 0) continue
    for (const name of names) {
      const key = name.toLowerCase()
      const list = table.get(key) ?? []
      if (!list.includes(address)) list.push(address)
      table.set(key, list)
    }
  }
  return table
}

/**
 * The IPv4 address glibc's getaddrinfo reads from a numeric name without asking any resolver
 * (inet_aton's forms: `a.b.c.d`, `a.b.c`, `a.b`, `a`; each part decimal, 0-octal or 0x-hex).
 */
export function inetAton(name: string): string | undefined {
  const parts = name.split('.')
  if (parts.length > 4) return undefined
  const values: number[] = []
  for (const part of parts) {
    const match = /^(?:0[xX]([0-9a-fA-F]*)|(0[0-7]*)|([1-9][0-9]*))$/.exec(part)
    if (!match) return undefined
    values.push(
      match[1] !== undefined
        ? Number.parseInt(match[1] || '0', 16)
        : match[2] !== undefined
          ? Number.parseInt(match[2], 8)
          : Number(match[3]),
    )
  }
  const last = values.pop() as number
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined
  let value = last
  values.forEach((v, i) => (value += v * 2 ** (8 * (3 - i))))
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')
}

/**
 * getaddrinfo with AI_ADDRCONFIG, as pmcd calls it (__pmGetAddrInfo), bounded in time: a resolver
 * that does not answer in time leaves the name 'unknown', not unresolvable.
 */
async function liveLookup(name: string, timeoutMs: number): Promise<string[] | undefined | 'unknown'> {
  // Node's lookup maps a name through IDNA first (a BOM or a zero-width space vanishes, so
  // '\ufefflocalhost' would resolve); glibc, which pmcd calls, sends the bytes as they are.
  if (!/^[\x21-\x7e]+$/.test(name)) return undefined
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'unknown'>((resolve) => {
    timer = setTimeout(() => resolve('unknown'), timeoutMs)
  })
  try {
    const found = await Promise.race([
      lookup(name, {all: true, hints: ADDRCONFIG}).then(
        (list) => list.map((a) => a.address),
        () => undefined,
      ),
      timeout,
    ])
    if (found === 'unknown') return found
    return found && found.length > 0 ? [...new Set(found)] : undefined
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A host-name resolver for the machine under --root: its /etc/hosts, and, for the live machine
 * (root `/`), the system resolver too, bounded in time. An offline image has no DNS to ask: a
 * name its /etc/hosts does not list is 'unknown' (pmcd will ask the live host's resolver).
 */
export function hostResolver(
  host: Host,
  live: boolean,
  timeoutMs = 2000,
): (name: string) => Promise<string[] | undefined | 'unknown'> {
  let table: Promise<Map<string, string[]>> | undefined
  return async (name) => {
    if (live) return liveLookup(name, timeoutMs)
    const numeric = inetAton(name)
    if (numeric) return [numeric]
    table ??= host.readText('/etc/hosts').then((t) => (t.ok ? parseHosts(t.value) : new Map()))
    const known = (await table).get(name.toLowerCase())
    if (known) return known
    // Decided without DNS: ".invalid" never resolves (RFC 6761), nor does what is not a host name
    // at all (a CIDR such as 10.0.0.0/8). Any other name is for the live host's resolver to say.
    if (/(^|\.)invalid\.?$/i.test(name) || !/^[A-Za-z0-9_.-]+$/.test(name)) return undefined
    return 'unknown'
  }
}

/**
 * What pmcd takes `localhost` to mean (getmyhostid in access.c): the addresses of the machine's
 * host name, else those of `localhost`. Offline: the image's /etc/hostname in its /etc/hosts,
 * else its `localhost` entry, else loopback, which `localhost` always is (RFC 6761).
 */
export function localhostResolver(host: Host, live: boolean, timeoutMs = 2000): () => Promise<string[]> {
  let addresses: Promise<string[]> | undefined
  return () => {
    addresses ??= (async () => {
      if (live) {
        const known = (list: string[] | undefined | 'unknown') => (Array.isArray(list) ? list : undefined)
        return (
          known(await liveLookup(hostname(), timeoutMs)) ??
          known(await liveLookup('localhost', timeoutMs)) ?? ['127.0.0.1', '::1']
        )
      }
      const text = await host.readText('/etc/hosts')
      const table = text.ok ? parseHosts(text.value) : new Map<string, string[]>()
      const name = await host.readText('/etc/hostname')
      const own = name.ok ? table.get(name.value.trim().toLowerCase()) : undefined
      return own ?? table.get('localhost') ?? ['127.0.0.1', '::1']
    })()
    return addresses
  }
}
