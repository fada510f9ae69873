import {describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {analyzeExposure} from '../../src/net/exposure.js'
import {seedTreeWith} from '../checks/seed-tree.js'

/** Debian's before.rules, shortened to the input rules that matter to a TCP connection. */
const BEFORE_RULES = `*filter
:ufw-before-input - [0:0]
:ufw-before-output - [0:0]
:ufw-before-forward - [0:0]
:ufw-not-local - [0:0]
-A ufw-before-input -i lo -j ACCEPT
-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ufw-before-input -m conntrack --ctstate INVALID -j ufw-logging-deny
-A ufw-before-input -m conntrack --ctstate INVALID -j DROP
-A ufw-before-input -p icmp --icmp-type echo-request -j ACCEPT
-A ufw-before-input -p udp --sport 67 --dport 68 -j ACCEPT
-A ufw-before-input -j ufw-not-local
-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN
-A ufw-not-local -m addrtype --dst-type MULTICAST -j RETURN
-A ufw-not-local -m addrtype --dst-type BROADCAST -j RETURN
-A ufw-not-local -m limit --limit 3/min --limit-burst 10 -j ufw-logging-deny
-A ufw-not-local -j DROP
-A ufw-before-input -p udp -d 224.0.0.251 --dport 5353 -j ACCEPT
COMMIT
`

/** user.rules as \`ufw allow|deny\` writes it (the rule lines are ufw 0.36's, from \`ufw --dry-run\`). */
function userRules(rules: string[]): string {
  return [
    '*filter',
    ':ufw-user-input - [0:0]',
    ':ufw-user-logging-input - [0:0]',
    ':ufw-logging-deny - [0:0]',
    ':ufw-logging-allow - [0:0]',
    '### RULES ###',
    ...rules,
    '### END RULES ###',
    '-A ufw-logging-deny -j LOG --log-prefix "[UFW BLOCK] " -m limit --limit 3/min --limit-burst 10',
    'COMMIT',
    '',
  ].join('\n')
}

const ALLOW_MONITORING = [
  '### tuple ### allow any 44321 0.0.0.0/0 any 10.0.0.0/8 in',
  '-A ufw-user-input -p tcp --dport 44321 -s 10.0.0.0/8 -j ACCEPT',
  '-A ufw-user-input -p udp --dport 44321 -s 10.0.0.0/8 -j ACCEPT',
]
const DENY_ALL = [
  '### tuple ### deny any 44321 0.0.0.0/0 any 0.0.0.0/0 in',
  '-A ufw-user-input -p tcp --dport 44321 -j DROP',
  '-A ufw-user-input -p udp --dport 44321 -j DROP',
]

async function pmcdWith(
  user: string[],
  policy = 'DROP',
  enabled = 'yes',
  ipv6 = 'yes',
  user6: string[] = [],
) {
  const spec = seedTreeWith(
    {path: '/etc/pcp/pmcd/pmcd.options', content: '-A\n-Q\n'},
    {path: '/etc/ufw/ufw.conf', content: `# /etc/ufw/ufw.conf\nENABLED=${enabled}\nLOGLEVEL=low\n`},
    {path: '/etc/default/ufw', content: `IPV6=${ipv6}\nDEFAULT_INPUT_POLICY="${policy}"\n`},
    {path: '/etc/ufw/before.rules', content: BEFORE_RULES},
    {
      path: '/etc/ufw/before6.rules',
      content: BEFORE_RULES.replaceAll('ufw-', 'ufw6-').replace(/.*icmp.*\n/, ''),
    },
    {path: '/etc/ufw/after.rules', content: '*filter\n:ufw-after-input - [0:0]\nCOMMIT\n'},
    {path: '/etc/ufw/after6.rules', content: '*filter\n:ufw6-after-input - [0:0]\nCOMMIT\n'},
    {path: '/etc/ufw/user.rules', content: userRules(user)},
    {path: '/etc/ufw/user6.rules', content: userRules(user6).replaceAll('ufw-', 'ufw6-')},
  )
  const exposure = await analyzeExposure(new Host(new MemoryBackend(spec, 'ufw')))
  return {exposure, pmcd: exposure.services.find((s) => s.service === 'pmcd')}
}

describe('ufw: the guide\'s "ufw allow from 10.0.0.0/8 to any port 44321" then "ufw deny 44321"', () => {
  it('first match wins: the allow comes first, so only 10.0.0.0/8 reaches pmcd', async () => {
    const {exposure, pmcd} = await pmcdWith([...ALLOW_MONITORING, ...DENY_ALL])
    expect(exposure.firewall.engines.map((e) => e.engine)).toEqual(['ufw'])
    expect(pmcd?.firewall).toBe('ufw')
    expect(pmcd?.reachable).toEqual({
      op: 'connect',
      scope: 'these networks',
      networks: ['10.0.0.0/8'],
      undecided: [],
    })
    expect(pmcd?.rules[0]).toBe(
      '/etc/ufw/user.rules:8 -A ufw-user-input -p tcp --dport 44321 -s 10.0.0.0/8 -j ACCEPT',
    )
  })

  it('in the other order the deny shadows the allow: no remote host reaches pmcd', async () => {
    const {pmcd} = await pmcdWith([...DENY_ALL, ...ALLOW_MONITORING])
    expect(pmcd?.reachable.scope).toBe('loopback only')
  })

  it('DEFAULT_INPUT_POLICY="ACCEPT" with no rules: anywhere, through ufw-track-input', async () => {
    const {pmcd} = await pmcdWith([], 'ACCEPT')
    expect(pmcd?.reachable.scope).toBe('anywhere')
  })

  it('ENABLED=no: ufw loads nothing at boot, whatever its files say', async () => {
    const {exposure, pmcd} = await pmcdWith(DENY_ALL, 'DROP', 'no')
    expect(exposure.firewall.engines).toEqual([])
    expect(pmcd?.firewall).toBe('none')
    expect(pmcd?.reachable.scope).toBe('anywhere')
  })
})

/** `ufw limit 44321/tcp` as ufw 0.36 writes it (from the real ufw). */
const LIMIT = [
  '### tuple ### limit tcp 44321 0.0.0.0/0 any 0.0.0.0/0 in',
  '-A ufw-user-input -p tcp --dport 44321 -m conntrack --ctstate NEW -m recent --set',
  '-A ufw-user-input -p tcp --dport 44321 -m conntrack --ctstate NEW -m recent --update --seconds 30 --hitcount 6 -j ufw-user-limit',
  '-A ufw-user-input -p tcp --dport 44321 -j ufw-user-limit-accept',
  '-A ufw-user-limit -j REJECT',
  '-A ufw-user-limit-accept -j ACCEPT',
]

describe('ufw as ufw-init loads it (the cases the differential test found)', () => {
  it('IPV6=no: ufw-init closes IPv6 to all but loopback instead of loading user6.rules', async () => {
    const {exposure, pmcd} = await pmcdWith(ALLOW_MONITORING, 'DROP', 'yes', 'no', [
      '-A ufw-user-input -p tcp --dport 44321 -j ACCEPT',
    ])
    expect(exposure.firewall.sets[6]?.engine).toBe('ufw')
    expect(pmcd?.reachable.networks).toEqual(['10.0.0.0/8'])
  })

  it('IPV6=yes is read (the name has a digit): user6.rules decides for IPv6', async () => {
    const {pmcd} = await pmcdWith(ALLOW_MONITORING, 'DROP', 'yes', 'yes', [
      '-A ufw-user-input -p tcp --dport 44321 -s fd00::/8 -j ACCEPT',
    ])
    expect(pmcd?.reachable.networks).toEqual(['10.0.0.0/8', 'fd00::/8'])
  })

  it('ENABLED=Yes: ufw-init starts only for "yes" or "YES"', async () => {
    const {exposure} = await pmcdWith(DENY_ALL, 'DROP', 'Yes')
    expect(exposure.firewall.engines).toEqual([])
  })

  it('ufw limit: a first connection passes (the 6th within 30 s is refused), so the port is reachable', async () => {
    const {pmcd} = await pmcdWith(LIMIT)
    // Every IPv4 address but 127.0.0.0/8 (user6.rules has no rule: IPv6 stays closed).
    expect(pmcd?.reachable).toMatchObject({
      scope: 'these networks',
      networks: [
        '0.0.0.0/2',
        '64.0.0.0/3',
        '96.0.0.0/4',
        '112.0.0.0/5',
        '120.0.0.0/6',
        '124.0.0.0/7',
        '126.0.0.0/8',
        '128.0.0.0/1',
      ],
      undecided: [],
    })
  })
})
