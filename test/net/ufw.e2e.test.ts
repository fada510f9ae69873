import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {analyzeExposure} from '../../src/net/exposure.js'
import {type Firewall, readFirewall} from '../../src/net/read-firewall.js'
import {seedTreeWith} from '../checks/seed-tree.js'
import {LAB_PORTS, LAB_SOURCES, labVerdicts, type Lab, useLab, useLabs} from '../helpers/fw-lab.js'
import {genUfwCase, type UfwCase, withBefore} from './generate-ufw.js'

/**
 * The real ufw (Debian's package) judges generated configurations: in the lab's server namespace,
 * inside a mount namespace of its own where /etc/ufw, /etc/default/ufw and /lib/ufw are the case's
 * tree, the `ufw` commands of the case write user.rules and user6.rules, then ufw.service's
 * `/lib/ufw/ufw-init start` loads them (or nothing, with ENABLED=no); SYNs from the client namespace say what passed. Our reader reads the same tree.
 */
const CASES = 200
const LABS = 3
/** The package's pristine rule files (what the installer puts in /etc/ufw), and its scripts. */
const UFW_SHARE = '/usr/share/ufw/iptables'
const UFW_LIB = '/lib/ufw'

function ufwInstalled(): boolean {
  try {
    execFileSync('ufw', ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** /etc/default/ufw as Debian ships it, less the sysctl file (a test changes no host setting). */
function defaultUfw(ipv6: boolean, policy: UfwCase['policy']): string {
  return [
    '# /etc/default/ufw',
    `IPV6=${ipv6 ? 'yes' : 'no'}`,
    // As `ufw default deny|allow|reject incoming` writes it.
    `DEFAULT_INPUT_POLICY="${{deny: 'DROP', allow: 'ACCEPT', reject: 'REJECT'}[policy]}"`,
    'DEFAULT_OUTPUT_POLICY="ACCEPT"',
    'DEFAULT_FORWARD_POLICY="DROP"',
    'DEFAULT_APPLICATION_POLICY="SKIP"',
    'MANAGE_BUILTINS=no',
    'IPT_SYSCTL=',
    'IPT_MODULES=""',
    '',
  ].join('\n')
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

/** A case's tree: the package's files, the case's before.rules lines and defaults; ufw writes the rest. */
function makeTree(c: Pick<UfwCase, 'ipv6' | 'before' | 'policy'>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'pcph-ufw-'))
  mkdirSync(path.join(root, 'etc/ufw/applications.d'), {recursive: true})
  mkdirSync(path.join(root, 'etc/default'), {recursive: true})
  for (const name of ['before', 'after', 'user'])
    for (const six of ['', '6']) {
      const text = readFileSync(path.join(UFW_SHARE, `${name}${six}.rules`), 'utf8')
      const extra = name === 'before' ? c.before[six === '6' ? 6 : 4] : []
      writeFileSync(path.join(root, `etc/ufw/${name}${six}.rules`), withBefore(text, extra), {mode: 0o640})
    }
  writeFileSync(path.join(root, 'etc/ufw/ufw.conf'), 'ENABLED=no\nLOGLEVEL=low\n', {mode: 0o644})
  writeFileSync(path.join(root, 'etc/default/ufw'), defaultUfw(c.ipv6, c.policy), {mode: 0o644})
  cpSync(UFW_LIB, path.join(root, 'lib/ufw'), {recursive: true})
  return root
}

/**
 * Runs the real ufw over the tree in the server namespace, from a clean ruleset: the case's `ufw`
 * commands write user.rules and user6.rules (ENABLED=no: they change files only), then ufw.conf
 * gets the case's ENABLED and ufw.service's `/lib/ufw/ufw-init start` loads what boot would load.
 * Returns what ufw said.
 */
async function loadWithUfw(
  lab: Lab,
  root: string,
  c: Pick<UfwCase, 'enabled' | 'commands'>,
  load = '/lib/ufw/ufw-init start',
): Promise<string> {
  // One mount namespace per command: each call stays well inside the lab agent's time bound.
  const inTree = (command: string) =>
    lab.inServer([
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      [
        'set -e',
        `mount --bind ${quote(`${root}/etc/ufw`)} /etc/ufw`,
        `mount --bind ${quote(`${root}/etc/default/ufw`)} /etc/default/ufw`,
        `mount --bind ${quote(`${root}/lib/ufw`)} /lib/ufw`,
        command,
      ].join('\n'),
    ])
  await lab.inServer(['nft', '-f', '-'], `flush ruleset\n${lab.observer}`)
  const said: string[] = []
  // A command ufw refuses (an IPv6 source with IPV6=no) writes nothing, as for a user: it is noted.
  for (const argv of c.commands)
    said.push(
      await inTree(
        `ufw ${argv.map(quote).join(' ')} 2>&1 || echo ${quote(`(refused: ufw ${argv.join(' ')})`)}`,
      ),
    )
  writeFileSync(path.join(root, 'etc/ufw/ufw.conf'), `ENABLED=${c.enabled ? 'yes' : 'no'}\nLOGLEVEL=low\n`)
  said.push(await inTree(load))
  return said.join('')
}

/** Our verdict for every (source, port) the lab probes, from the tree as our reader reads it. */
async function predict(
  root: string,
  iface: string,
): Promise<{verdicts: Map<string, boolean | 'undecided'>; problems: string[]; fw: Firewall}> {
  const fw = await readFirewall(new Host(new DiskBackend(root)))
  const verdicts = labVerdicts(fw, iface)
  return {verdicts, problems: fw.problems.map((p) => `${p.file}:${p.line} ${p.message}`), fw}
}

function describeCase(c: UfwCase, root: string, said: string): string {
  const file = (name: string) => readFileSync(path.join(root, name), 'utf8')
  return [
    `seed ${c.seed}: ENABLED=${c.enabled ? 'yes' : 'no'} IPV6=${c.ipv6 ? 'yes' : 'no'} (ufw default ${c.policy} incoming)`,
    ...c.commands.map((argv) => `  ufw ${argv.join(' ')}`),
    `before.rules +${JSON.stringify(c.before)}`,
    `ufw said:\n${said}`,
    `--- /etc/default/ufw\n${file('etc/default/ufw')}`,
    `--- /etc/ufw/user.rules\n${file('etc/ufw/user.rules')}`,
    `--- /etc/ufw/user6.rules\n${file('etc/ufw/user6.rules')}`,
  ].join('\n')
}

describe.runIf(ufwInstalled())(
  'our ufw reader matches the real ufw (generated configurations in network namespaces)',
  () => {
    const labs = useLabs(LABS)

    it(`${CASES} configurations written and loaded by ufw`, async () => {
      const mismatches: string[] = []
      let compared = 0
      let cases = 0
      let next = 0
      await Promise.all(
        labs.map(async (lab) => {
          for (let seed = next++; seed < CASES; seed = next++) {
            const c = genUfwCase(seed, lab.serverIface)
            const root = makeTree(c)
            try {
              const said = await loadWithUfw(lab, root, c)
              const real = await lab.probe()
              const {verdicts, problems} = await predict(root, lab.serverIface)
              cases++
              if (problems.length > 0)
                mismatches.push(`problems: ${problems.join('; ')}\n${describeCase(c, root, said)}`)
              for (const [key, ours] of verdicts) {
                compared++
                if (ours !== real.get(key))
                  mismatches.push(
                    `${key}: real ${String(real.get(key))}, ours ${String(ours)}\n${describeCase(c, root, said)}`,
                  )
              }
            } finally {
              rmSync(root, {recursive: true, force: true})
            }
          }
        }),
      )
      console.log(
        `ufw differential: ${cases} configurations, ${compared} (source, port) verdicts compared, ${mismatches.length} disagreements`,
      )
      if (mismatches.length > 0) console.log(`first disagreement:\n${mismatches[0]}`)
      expect(mismatches.slice(0, 1)).toEqual([])
      expect(cases).toBe(CASES)
      expect(compared).toBe(CASES * LAB_PORTS.length * (LAB_SOURCES[4].length + LAB_SOURCES[6].length))
    }, 1_800_000)
  },
)

describe.runIf(ufwInstalled())("a general guide's ufw advice, typed into the real ufw", () => {
  // A lab of its own: the differential test's labs may still be busy when this runs.
  const lab = useLab()

  /**
   * A general guide's advice, typed into the real ufw: "ufw allow from 10.0.0.0/8 to any port
   * 44321" then "ufw deny 44321". ufw appends each rule, and the first that matches wins: the
   * allow comes first, so 10.0.0.0/8 reaches pmcd and no one else does (IPv6 included: the deny
   * is written to user6.rules too). Typed the other way round, the deny shadows the allow.
   */
  it.each([
    ["the guide's order: allow 10.0.0.0/8, then deny", false],
    ['the other order: deny, then allow 10.0.0.0/8', true],
  ])(
    '%s',
    async (_name, denyFirst) => {
      const allow = ['allow', 'from', '10.0.0.0/8', 'to', 'any', 'port', '44321']
      const deny = ['deny', '44321']
      const c = {ipv6: true, policy: 'deny' as const, before: {4: [], 6: []}}
      const root = makeTree(c)
      try {
        const said = await loadWithUfw(
          lab(),
          root,
          {enabled: false, commands: denyFirst ? [deny, allow] : [allow, deny]},
          'ufw --force enable',
        )
        expect(said).toContain('Firewall is active and enabled on system startup')
        const real = await lab().probe()
        const passed = [...real].filter(([, ok]) => ok).map(([key]) => key)
        expect(passed).toEqual(
          denyFirst ? [] : LAB_SOURCES[4].filter((a) => a.startsWith('10.')).map((a) => `${a} 44321`),
        )
        const {verdicts} = await predict(root, lab().serverIface)
        expect(verdicts).toEqual(real)
        // The exposure model over the files ufw wrote: pmcd (on every interface) reaches only what ufw lets in.
        const read = (name: string) => readFileSync(path.join(root, name), 'utf8')
        const spec = seedTreeWith(
          {path: '/etc/pcp/pmcd/pmcd.options', content: '-A\n-Q\n'},
          ...[
            'etc/ufw/ufw.conf',
            'etc/default/ufw',
            ...['before', 'after', 'user'].flatMap((n) => [`etc/ufw/${n}.rules`, `etc/ufw/${n}6.rules`]),
          ].map((name) => ({path: `/${name}`, content: read(name)})),
        )
        const exposure = await analyzeExposure(new Host(new MemoryBackend(spec, 'ufw')))
        const pmcd = exposure.services.find((s) => s.service === 'pmcd')
        if (denyFirst) expect(pmcd?.reachable.scope).toBe('loopback only')
        else {
          expect(pmcd?.reachable).toEqual({
            op: 'connect',
            scope: 'these networks',
            networks: ['10.0.0.0/8'],
            undecided: [],
          })
          const userRules = read('etc/ufw/user.rules').split('\n')
          const line = userRules.indexOf('-A ufw-user-input -p tcp --dport 44321 -s 10.0.0.0/8 -j ACCEPT') + 1
          expect(line).toBeGreaterThan(0)
          expect(pmcd?.rules[0]).toBe(
            `/etc/ufw/user.rules:${line} -A ufw-user-input -p tcp --dport 44321 -s 10.0.0.0/8 -j ACCEPT`,
          )
        }
      } finally {
        rmSync(root, {recursive: true, force: true})
      }
    },
    120_000,
  )
})

describe.runIf(ufwInstalled())(
  'a user.rules line iptables-restore refuses, loaded by the real ufw-init',
  () => {
    const BROKEN = 20
    const lab = useLab()

    /**
     * ufw-init restores user.rules with `iptables-restore -n`; a refused line loses that file's
     * block (every `ufw allow|deny` rule) while ufw-init goes on with the other files and the
     * default policy. Our reader must name the line and model the same.
     */
    it(`${BROKEN} configurations whose user.rules has a line with a missing value`, async () => {
      const mismatches: string[] = []
      for (let seed = 0; seed < BROKEN; seed++) {
        const c = {...genUfwCase(seed + 1000, lab().serverIface), enabled: true}
        const root = makeTree(c)
        try {
          const said = await loadWithUfw(
            lab(),
            root,
            c,
            "sed -i 's/^COMMIT$/-A ufw-user-input -p tcp -s\\nCOMMIT/' /etc/ufw/user.rules && { /lib/ufw/ufw-init start 2>&1 || echo '(ufw-init failed)'; }",
          )
          const real = await lab().probe()
          const {verdicts, fw} = await predict(root, lab().serverIface)
          const lines = readFileSync(path.join(root, 'etc/ufw/user.rules'), 'utf8').split('\n')
          const line = lines.indexOf('-A ufw-user-input -p tcp -s') + 1
          const context = describeCase(c, root, said)
          if (!said.includes("Problem running '/etc/ufw/user.rules'"))
            mismatches.push(`ufw-init did not refuse user.rules\n${context}`)
          if (
            !fw.problems.some(
              (p) => p.file === '/etc/ufw/user.rules' && p.line === line && p.refused === 'block',
            )
          )
            mismatches.push(`our reader does not refuse user.rules:${line}\n${context}`)
          for (const [key, v] of verdicts)
            if (v !== real.get(key))
              mismatches.push(`${key}: real ${String(real.get(key))}, ours ${String(v)}\n${context}`)
        } finally {
          rmSync(root, {recursive: true, force: true})
        }
      }
      expect(mismatches.slice(0, 1)).toEqual([])
    }, 600_000)
  },
)
