/** Seeded ufw configurations for the ufw differential test: the `ufw` commands a user types, and the rest. */
import {pick, prng, type Rand} from './generate.js'

const chance = (r: Rand, p: number) => r() < p

/** Sources that sit in and out of the lab's client addresses (LAB_SOURCES). */
const V4_SOURCES = [
  '10.0.0.0/8',
  '10.1.0.0/16',
  '10.1.2.3',
  '192.168.1.0/24',
  '192.168.0.0/16',
  '172.16.0.0/12',
  '203.0.113.7',
]
const V6_SOURCES = ['fd00::/8', 'fd00:1::/32', '2001:db8::/32', '2001:db8::9']
/** Port specs as ufw takes them; the ones with a range or a list need a protocol. */
const PORTS = ['44321', '44322:44323', '9127', '8443', '9191', '9000:9200', '44321,9191', '22']

export interface UfwCase {
  seed: number
  /** ufw.conf's ENABLED (ufw-init start loads nothing without it). */
  enabled: boolean
  /** `ufw default ... incoming`, as /etc/default/ufw's DEFAULT_INPUT_POLICY. */
  policy: 'deny' | 'allow' | 'reject'
  /** /etc/default/ufw's IPV6. */
  ipv6: boolean
  /** The `ufw` commands that write user.rules and user6.rules, in order (argv after `ufw`). */
  commands: string[][]
  /** Lines put into before.rules (and before6.rules) just before its `-j ufw-not-local`. */
  before: {4: string[]; 6: string[]}
}

function genCommand(r: Rand, serverIface: string, count: number): string[] {
  const action = pick(r, ['allow', 'allow', 'deny', 'reject', 'limit'] as const)
  const out: string[] = []
  if (count > 0 && chance(r, 0.2)) out.push('insert', String(1 + Math.floor(r() * count)))
  out.push(action)
  const port = chance(r, 0.85) ? pick(r, PORTS) : undefined
  // `ufw limit` needs a protocol and a port; a range or a list needs a protocol.
  const needsProto = action === 'limit' || (port !== undefined && /[:,]/.test(port))
  if (chance(r, 0.35)) {
    // The extended form: [in] [on IFACE] [proto P] [from SRC] [to any port N]
    if (chance(r, 0.2)) out.push('in', 'on', chance(r, 0.7) ? serverIface : 'eth9')
    if (needsProto || chance(r, 0.3)) out.push('proto', needsProto || chance(r, 0.85) ? 'tcp' : 'udp')
    const from = chance(r, 0.75) ? (chance(r, 0.7) ? pick(r, V4_SOURCES) : pick(r, V6_SOURCES)) : 'any'
    out.push('from', from)
    out.push('to', 'any')
    if (port !== undefined || action === 'limit') out.push('port', port ?? '9127')
    return out
  }
  // The simple form: PORT[/PROTO], or `from SRC` alone for a whole host or network.
  if (port === undefined && action !== 'limit') {
    out.push('from', pick(r, V4_SOURCES))
    return out
  }
  const p = port ?? '9127'
  out.push(needsProto || chance(r, 0.3) ? `${p}/tcp` : p)
  return out
}

const BEFORE_EXTRA: Record<4 | 6, string[]> = {
  4: [
    '-A ufw-before-input -s 10.1.0.0/16 -p tcp --dport 44321 -j ACCEPT',
    '-A ufw-before-input -s 192.168.0.0/16 -j ACCEPT',
    '-A ufw-before-input -p tcp --dport 9191 -j DROP',
    '-A ufw-before-input -p tcp -m multiport --dports 44322,44323 ! -s 10.0.0.0/8 -j DROP',
    '-A ufw-before-input -s 203.0.113.7 -j ufw-logging-deny',
  ],
  6: [
    '-A ufw6-before-input -s fd00::/8 -p tcp --dport 44321 -j ACCEPT',
    '-A ufw6-before-input -p tcp --dport 9191 -j DROP',
    '-A ufw6-before-input -s 2001:db8::/32 -j ACCEPT',
  ],
}

export function genUfwCase(seed: number, serverIface: string): UfwCase {
  const r = prng(seed)
  const commands: string[][] = []
  const n = Math.floor(r() * 5)
  for (let i = 0; i < n; i++) commands.push(genCommand(r, serverIface, commands.length))
  const before = {
    4: chance(r, 0.25) ? [pick(r, BEFORE_EXTRA[4])] : [],
    6: chance(r, 0.2) ? [pick(r, BEFORE_EXTRA[6])] : [],
  }
  return {
    seed,
    enabled: chance(r, 0.85),
    policy: pick(r, ['deny', 'deny', 'deny', 'allow', 'reject'] as const),
    ipv6: chance(r, 0.8),
    commands,
    before,
  }
}

/** before.rules with extra lines where a user adds them: at the end of its *filter table. */
export function withBefore(text: string, lines: string[]): string {
  if (lines.length === 0) return text
  const commit = text.lastIndexOf('\nCOMMIT')
  if (commit < 0) throw new Error('before.rules has no COMMIT')
  return `${text.slice(0, commit)}\n${lines.join('\n')}${text.slice(commit)}`
}
