import type {Host} from '../../host/host.js'
import {parseAuthorizedKeys} from '../../parsers/authorized-keys.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {withRemedy} from '../remedy.js'
import {ACTIVE_KEY, PROXY_STATE_DIR} from './analysis.js'

/**
 * A new key is rotate-keys' work: it pushes the new ed25519 key to every node, switches the proxy
 * and only then removes the old one, so it is never an automatic file edit.
 */
const rotate = (why: string) =>
  withRemedy({kind: 'manual', command: 'pcp-harden rotate-keys --dry-run && pcp-harden rotate-keys', why})

const DAY_MS = 86_400_000
/** rotate-keys' journal: present while a rotation runs, and after one that was interrupted. */
export const ROTATION_JOURNAL = `${PROXY_STATE_DIR}/ssh.d/rotation.json`
/** The Pulse proxy hardening guide "Key Rotation": recommended every 90 days, at least every 180. */
export const ROTATE_RECOMMENDED_DAYS = 90
export const ROTATE_REQUIRED_DAYS = 180

export interface ProxyKeyAnalysis {
  path: string
  ageDays: number
  type: string
}

/**
 * The proxy's active key: its type and its age, the key file's mtime (rotation writes a new file;
 * `chmod` and `chown` leave the mtime alone).
 */
export const analyzeProxyKey = perHost(async (host: Host): Promise<Outcome<ProxyKeyAnalysis>> => {
  const st = await host.stat(ACTIVE_KEY, {follow: true})
  if (!st.ok && st.missing) return {state: 'absent', reason: `${ACTIVE_KEY} not found`}
  if (!st.ok) return {state: 'error', path: ACTIVE_KEY, message: st.message}
  const text = await host.readText(ACTIVE_KEY)
  if (!text.ok) return {state: 'error', path: ACTIVE_KEY, message: text.message}
  const findings: Finding[] = []
  const ageDays = Math.floor((Date.now() - st.value.mtimeMs) / DAY_MS)
  const key = parseAuthorizedKeys(text.value).entries.find((e) => e.kind === 'key')
  const type = key?.key.type ?? 'none'
  if (!key)
    findings.push({
      check: 'PSP-KEYS-010',
      path: ACTIVE_KEY,
      message: 'the file holds no public key sshd can read',
      ...rotate('rotate-keys makes a new ed25519 key and deploys it to every node'),
    })
  else if (key.key.type !== 'ssh-ed25519')
    findings.push({
      check: 'PSP-KEYS-010',
      path: ACTIVE_KEY,
      evidence: `${key.key.type} ${key.key.bits} bits ${key.key.fingerprint}`,
      message: `the proxy's key is ${key.key.type} (${key.key.bits} bits), not ed25519 as the hardening guide makes it`,
      ...rotate('rotate-keys replaces it by an ed25519 key on every node, then removes the old one'),
    })
  const age = {path: ACTIVE_KEY, evidence: `modified ${new Date(st.value.mtimeMs).toISOString()}`}
  const interrupted = await host.exists(ROTATION_JOURNAL)
  const rotating = interrupted
    ? ` (${ROTATION_JOURNAL} is there: a rotation is under way, or was interrupted)`
    : ''
  const renew = rotate(
    "rotate-keys needs the nodes reachable over SSH with the admin's key" +
      (interrupted ? '; it finishes or rolls back (--rollback) the interrupted rotation first' : ''),
  )
  if (ageDays > ROTATE_RECOMMENDED_DAYS)
    findings.push({
      check: 'PSP-KEYS-011',
      ...age,
      message: `the proxy's key is ${ageDays} days old: rotate it every ${ROTATE_RECOMMENDED_DAYS} days${rotating}`,
      ...renew,
    })
  if (ageDays > ROTATE_REQUIRED_DAYS)
    findings.push({
      check: 'PSP-KEYS-012',
      ...age,
      message: `the proxy's key is ${ageDays} days old, past the ${ROTATE_REQUIRED_DAYS}-day limit of the hardening guide${rotating}`,
      ...renew,
    })
  return {state: 'judged', path: ACTIVE_KEY, ageDays, type, findings}
})
