import {lookup} from 'node:dns/promises'

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
 * A host-name resolver for the machine under --root: its /etc/hosts, and, for the live machine
 * (root `/`), the system resolver too, bounded in time. An offline image has no DNS to ask.
 */
export function hostResolver(
  host: Host,
  live: boolean,
  timeoutMs = 2000,
): (name: string) => Promise<string[] | undefined> {
  let table: Promise<Map<string, string[]>> | undefined
  return async (name) => {
    table ??= host.readText('/etc/hosts').then((t) => (t.ok ? parseHosts(t.value) : new Map()))
    const known = (await table).get(name.toLowerCase())
    if (known) return known
    if (!live) return undefined
    // Node's lookup maps a name through IDNA first (a BOM or a zero-width space vanishes, so
    // '\ufefflocalhost' would resolve); glibc, which pmcd calls, sends the bytes as they are.
    if (!/^[\x21-\x7e]+$/.test(name)) return undefined
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs)
    })
    try {
      const found = await Promise.race([
        lookup(name, {all: true}).then(
          (list) => list.map((a) => a.address),
          () => undefined,
        ),
        timeout,
      ])
      return found && found.length > 0 ? found : undefined
    } finally {
      clearTimeout(timer)
    }
  }
}
