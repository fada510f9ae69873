import type {Host} from '../../host/host.js'
import {authorizedKeysSettings, expandKeysFile} from '../keys/sshd-config.js'

/** Proxmox's cluster-wide file: /root/.ssh/authorized_keys links to it on every node. */
export const PVE_AUTHORIZED_KEYS = '/etc/pve/priv/authorized_keys'

export interface KeysFile {
  /** The path sshd reads (the first that leads to the file). */
  path: string
  /** Whose file it is. */
  user: string
  text: string
}

/**
 * Every authorized_keys file under the root, each once however many paths lead to it: the files
 * sshd_config names for every user with a home directory, and Proxmox's cluster-wide one.
 */
export async function authorizedKeysFiles(host: Host): Promise<{files: KeysFile[]; unreadable: string[]}> {
  const settings = await authorizedKeysSettings(host)
  const {users} = await host.accounts()
  const people = users.filter((u): u is typeof u & {home: string} => !!u.home)
  if (!people.some((u) => u.id === 0)) people.unshift({name: 'root', id: 0, home: '/root', line: 0})
  const candidates: {path: string; user: string}[] = []
  for (const user of people)
    for (const pattern of settings.files) {
      const file = expandKeysFile(pattern, user)
      if (file !== undefined) candidates.push({path: file, user: user.name})
    }
  candidates.push({path: PVE_AUTHORIZED_KEYS, user: 'root'})
  const seen = new Set<string>()
  const files: KeysFile[] = []
  const unreadable: string[] = []
  for (const candidate of candidates) {
    const st = await host.stat(candidate.path, {follow: true})
    if (!st.ok) {
      if (!st.missing) unreadable.push(st.message)
      continue
    }
    if (st.value.type !== 'file' || seen.has(st.value.resolved)) continue
    seen.add(st.value.resolved)
    const text = await host.readText(candidate.path)
    if (text.ok) files.push({...candidate, text: text.value})
    else unreadable.push(text.message)
  }
  return {files, unreadable}
}
