import {type ChildProcess, spawn} from 'node:child_process'
import {randomInt} from 'node:crypto'
import {createInterface} from 'node:readline'

import {execa} from 'execa'
import {afterAll, beforeAll} from 'vitest'

import {evaluate} from '../../src/net/firewall.js'
import {parseAddress} from '../../src/net/ip.js'
import type {Firewall} from '../../src/net/read-firewall.js'

/** The ports the lab listens on: pmcd, pmproxy (2), the proxy's metrics and HTTPS, the Pulse agent. */
export const LAB_PORTS = [44321, 44322, 44323, 9127, 8443, 9191] as const

/** Client addresses, chosen to sit in and out of the networks the generated rules name. */
export const LAB_SOURCES = {
  4: [
    '10.0.0.5',
    '10.1.2.3',
    '10.1.9.9',
    '10.200.1.1',
    '192.168.1.10',
    '192.168.2.20',
    '172.16.5.5',
    '203.0.113.7',
  ],
  6: ['fd00::5', 'fd00:1::7', '2001:db8::9', '2001:db8:1::1'],
} as const

/**
 * Reads one JSON list of [source, destination, port] per line: closes the sockets of the line
 * before, opens a connection for each (a SYN, without waiting for it) and answers "sent".
 */
const PROBER = `
import json, socket, sys
socks = []
for line in sys.stdin:
    for s in socks: s.close()
    socks = []
    for src, dst, port in json.loads(line):
        s = socket.socket(socket.AF_INET6 if ':' in dst else socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False); s.bind((src, 0)); s.connect_ex((dst, port)); socks.append(s)
    print('sent', flush=True)
`

/** Runs one JSON {argv, input} per line in the server's namespace; answers {code, out, err}. */
const AGENT = `
import json, subprocess, sys
for line in sys.stdin:
    job = json.loads(line)
    try:
        run = subprocess.run(job['argv'], input=job['input'], capture_output=True, text=True, timeout=30)
        print(json.dumps({'code': run.returncode, 'out': run.stdout, 'err': run.stderr}), flush=True)
    except Exception as e:
        print(json.dumps({'code': -1, 'out': '', 'err': str(e)}), flush=True)
`

/**
 * The lab's own table: it counts every SYN that arrives (prerouting, before any rule under test)
 * and records the source and port of every SYN that passed all input chains (the last to run).
 */
const OBSERVER = `add table inet pcph_lab
delete table inet pcph_lab
table inet pcph_lab {
  set passed4 { type ipv4_addr . inet_service; flags dynamic; }
  set passed6 { type ipv6_addr . inet_service; flags dynamic; }
  chain arrived { type filter hook prerouting priority -1000; policy accept; tcp flags syn counter; }
  chain passed {
    type filter hook input priority 1000; policy accept;
    tcp flags syn update @passed4 { ip saddr . tcp dport }
    tcp flags syn update @passed6 { ip6 saddr . tcp dport }
  }
}
`

export interface Lab {
  /** The server's namespace: rules are loaded here only. */
  server: string
  /** The server side's interface: where the clients' packets come in. */
  serverIface: string
  serverAddress: {4: string; 6: string}
  /** Run a command in the server's namespace; rejects on failure with its stderr. */
  inServer(argv: string[], input?: string): Promise<string>
  /** The observer table as nft input, to load in one go after a rule set under test. */
  observer: string
  /** Which (source, port) pairs, IPv4 and IPv6, got a SYN through every input chain: `source port` keys. */
  probe(): Promise<Map<string, boolean>>
  remove(): Promise<void>
}

/**
 * Two network namespaces joined by a veth pair: the client has every lab source address and sends
 * SYNs; the server's firewall judges them, and the lab's observer table in the server says which
 * passed. No waiting on timeouts: a SYN is judged once it has arrived. Nothing is set up outside
 * the two namespaces.
 */
export async function createLab(): Promise<Lab> {
  const tag = `${process.pid % 10_000}${randomInt(1000)}`
  const server = `pcphfs-${tag}`
  const client = `pcphfc-${tag}`
  const serverIface = `fws${tag}`
  const clientIface = `fwc${tag}`
  const serverAddress = {4: '100.64.0.1', 6: 'fd99::1'} as const
  const children: ChildProcess[] = []
  const remove = async () => {
    for (const child of children) child.kill('SIGKILL')
    await execa('ip', ['netns', 'del', server], {reject: false})
    await execa('ip', ['netns', 'del', client], {reject: false})
  }
  const batch = (ns: string, lines: string[]) =>
    execa('ip', ['-n', ns, '-batch', '-'], {input: lines.join('\n')})
  const macOf = async (ns: string, iface: string) =>
    /link\/ether (\S+)/.exec(String((await execa('ip', ['-n', ns, 'link', 'show', iface])).stdout))?.[1] ?? ''
  try {
    await execa('ip', ['netns', 'add', server])
    await execa('ip', ['netns', 'add', client])
    await execa('ip', [
      '-n',
      server,
      'link',
      'add',
      serverIface,
      'type',
      'veth',
      'peer',
      'name',
      clientIface,
      'netns',
      client,
    ])
    // Every address is on the link: each side answers neighbour discovery for all of its own.
    const common = (iface: string) => [
      'link set lo up',
      `link set ${iface} up`,
      `route add default dev ${iface}`,
      `route add ::/0 dev ${iface}`,
    ]
    await batch(server, [
      ...common(serverIface),
      `addr add ${serverAddress[4]}/32 dev ${serverIface}`,
      `addr add ${serverAddress[6]}/128 dev ${serverIface} nodad`,
    ])
    await batch(client, [
      ...common(clientIface),
      ...LAB_SOURCES[4].map((a) => `addr add ${a}/32 dev ${clientIface}`),
      ...LAB_SOURCES[6].map((a) => `addr add ${a}/128 dev ${clientIface} nodad`),
    ])
    // IPv6 neighbour discovery is ICMPv6, which a rule set under test may drop: the neighbours are
    // written in, so only TCP meets the rules.
    const serverMac = await macOf(server, serverIface)
    const clientMac = await macOf(client, clientIface)
    await batch(client, [
      `neigh add ${serverAddress[6]} lladdr ${serverMac} dev ${clientIface} nud permanent`,
    ])
    await batch(
      server,
      LAB_SOURCES[6].map((a) => `neigh add ${a} lladdr ${clientMac} dev ${serverIface} nud permanent`),
    )
  } catch (error) {
    await remove()
    throw error
  }
  const agent = spawn('ip', ['netns', 'exec', server, 'python3', '-u', '-c', AGENT], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  children.push(agent)
  const agentReplies = createInterface({input: agent.stdout})
  const agentWaiting: Array<(line: string) => void> = []
  agentReplies.on('line', (line) => agentWaiting.shift()?.(line))
  // One command at a time: replies come back in order.
  let queue = Promise.resolve()
  const inServer = (argv: string[], input?: string): Promise<string> => {
    const run = queue.then(
      () =>
        new Promise<string>((resolve, reject) => {
          agentWaiting.push((line) => {
            const reply = JSON.parse(line) as {code: number; out: string; err: string}
            if (reply.code === 0) resolve(reply.out)
            else reject(new Error(`${argv.join(' ')}: ${reply.err}`))
          })
          agent.stdin?.write(`${JSON.stringify({argv, input: input ?? ''})}\n`)
        }),
    )
    queue = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
  const prober = spawn('ip', ['netns', 'exec', client, 'python3', '-u', '-c', PROBER], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  children.push(prober)
  const answers = createInterface({input: prober.stdout})
  const waiting: Array<(line: string) => void> = []
  answers.on('line', (line) => waiting.shift()?.(line))

  return {
    server,
    serverIface,
    serverAddress,
    async inServer(argv, input) {
      return inServer(argv, input)
    },
    observer: OBSERVER,
    async probe() {
      const jobs = ([4, 6] as const).flatMap((family) =>
        LAB_SOURCES[family].flatMap((source) =>
          LAB_PORTS.map((port) => [source, serverAddress[family], port] as const),
        ),
      )
      await new Promise<string>((resolve) => {
        waiting.push(resolve)
        prober.stdin?.write(`${JSON.stringify(jobs)}\n`)
      })
      // Every SYN has met the rules once the arrival counter has counted it.
      const deadline = Date.now() + 30_000
      for (;;) {
        const table = JSON.parse(
          await inServer(['nft', '-j', 'list', 'table', 'inet', 'pcph_lab']),
        ) as NftJson
        const items = table.nftables ?? []
        const arrived = items.flatMap((i) => i.rule?.expr ?? []).find((e) => e.counter)?.counter?.packets ?? 0
        if (arrived >= jobs.length) {
          const passed = new Set(
            items
              .flatMap((i) => i.set?.elem ?? [])
              .map((e) => {
                const [address, port] = (e.elem?.val ?? e).concat ?? []
                return `${String(address)} ${String(port)}`
              }),
          )
          // Closed now, the sockets of dropped SYNs send no retransmission into the next rule set.
          await new Promise<string>((resolve) => {
            waiting.push(resolve)
            prober.stdin?.write('[]\n')
          })
          return new Map(
            jobs.map(([source, , port]) => [`${source} ${port}`, passed.has(`${source} ${port}`)]),
          )
        }
        if (Date.now() > deadline) throw new Error(`only ${arrived} of ${jobs.length} SYNs arrived`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    remove,
  }
}

interface NftJson {
  nftables?: Array<{
    rule?: {expr?: Array<{counter?: {packets: number}}>}
    set?: {elem?: Array<{concat?: unknown[]; elem?: {val?: {concat?: unknown[]}}}>}
  }>
}

/**
 * `count` labs for the enclosing describe block: made before its tests (all or none: one that
 * fails to come up fails the block, and those made are still removed) and removed after them.
 */
export function useLabs(count: number): Lab[] {
  const labs: Lab[] = []
  beforeAll(async () => {
    const made = await Promise.allSettled(Array.from({length: count}, () => createLab()))
    for (const m of made) if (m.status === 'fulfilled') labs.push(m.value)
    const failed = made.find((m) => m.status === 'rejected')
    if (failed) throw failed.reason
  }, 90_000)
  afterAll(async () => {
    await Promise.all(labs.map((lab) => lab.remove()))
  }, 30_000)
  return labs
}

/** One lab for the enclosing describe block, as useLabs makes them: `lab()` gives it once made. */
export function useLab(): () => Lab {
  const labs = useLabs(1)
  return () => labs[0] as Lab
}

/** Our verdict for every (source, port) the lab probes, keyed `SOURCE PORT`: accepted, dropped or undecided. */
export function labVerdicts(fw: Firewall, iface: string): Map<string, boolean | 'undecided'> {
  const verdicts = new Map<string, boolean | 'undecided'>()
  for (const family of [4, 6] as const) {
    const set = fw.sets[family]
    for (const source of LAB_SOURCES[family]) {
      const address = parseAddress(source)
      if (!address) throw new Error(source)
      for (const port of LAB_PORTS) {
        const v = set ? evaluate(set, {family, source: address.value, port, iface}) : {verdict: 'accept'}
        verdicts.set(`${source} ${port}`, v.verdict === 'undecided' ? 'undecided' : v.verdict === 'accept')
      }
    }
  }
  return verdicts
}
