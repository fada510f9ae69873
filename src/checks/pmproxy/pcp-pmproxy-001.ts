import {analyzeExposure, describeFirewall} from '../../net/exposure.js'
import {PMCD_CONF} from '../../pcp/lint.js'
import {decide} from '../../pcp/policy.js'
import {type FixPlan, withRemedy} from '../remedy.js'
import type {Host} from '../../host/host.js'
import {analyzeAccess} from '../access/analysis.js'
import type {Check} from '../types.js'
import {analyzePmproxy} from './analysis.js'

/** pmproxy connects to the local pmcd: what pmcd allows a loopback client, it allows pmproxy's callers. */
const PMPROXY_SEEN_AS = '127.0.0.1'

/**
 * PMPROXY_LOCAL=1 appended to $PCP_SYSCONFIG_DIR/pmproxy (RHEL's when the host has /etc/sysconfig,
 * as rc_pmproxy picks it): unquoted, from column 1, after a newline in case the file lacks one;
 * a later assignment wins, so it also overrides a quoted or a 0 value above it.
 */
async function localOnlyFix(host: Host): Promise<FixPlan> {
  const path = (await host.exists('/etc/sysconfig')) ? '/etc/sysconfig/pmproxy' : '/etc/default/pmproxy'
  const restart = ['pmproxy.service']
  if (await host.exists(path))
    return {kind: 'edit', path, edits: [{op: 'append', text: 'PMPROXY_LOCAL=1\n'}], restart}
  return {
    kind: 'create',
    path,
    content: 'PMPROXY_LOCAL=1\n',
    mode: 0o644,
    owner: 'root',
    group: 'root',
    restart,
  }
}

export const check: Check = {
  id: 'PCP-PMPROXY-001',
  title: "pmproxy does not hand pmcd's local store permission to the network",
  severity: 'critical',
  profiles: ['pcp-collector'],
  tags: ['pmproxy', 'pmcd', 'access', 'network'],
  rationale:
    "pmproxy's REST API has no authentication of its own in PCP 6, and pmcd sees pmproxy as a local client. With " +
    'the shipped access section (allow "local:*" : all) a pmproxy that listens on the network lets anyone who ' +
    'reaches port 44322/44323 store values into pmcd (GET /pmapi/store), which PMDAs act on. pmproxy.conf has no ' +
    'bind setting (the bind=127.0.0.1 of a widely copied PCP security guide is ignored): pmproxy binds with -i in pmproxy.options or with ' +
    'PMPROXY_LOCAL=1 in $PCP_SYSCONFIG_DIR/pmproxy, which the rc script exports word by word: a quoted "1" reads ' +
    'as 0. Judged offline from the files: pmproxy counts as running unless masked or installed but not enabled. ' +
    'A firewall that loads at boot and lets no remote host reach 44322 and 44323 passes the check (the rule is named).',
  remediation:
    'echo PMPROXY_LOCAL=1 >> /etc/default/pmproxy (RHEL: /etc/sysconfig/pmproxy; no quotes, no comment), or -i 127.0.0.1 in ' +
    '/etc/pcp/pmproxy/pmproxy.options, or systemctl mask pmproxy; or disallow store for local clients in pmcd.conf',
  reference:
    'pmproxy(1) -i and PMPROXY_LOCAL; src/pmproxy/src/pmproxy.c (PMPROXY_LOCAL, -i); ' +
    'Debian pcp 6.0.3 /etc/init.d/pmproxy; nft(8); iptables-save(8); ufw(8)',
  example: {
    fail: 'pmproxy enabled, no -i, PMPROXY_LOCAL unset; pmcd.conf: allow "local:*" : all;',
    pass: '/etc/default/pmproxy: PMPROXY_LOCAL=1',
  },
  async run(host) {
    const pmproxy = await analyzePmproxy(host)
    if (pmproxy.state === 'absent') return [{status: 'skip', message: `not applicable: ${pmproxy.reason}`}]
    if (pmproxy.state === 'error') return [{status: 'error', path: pmproxy.path, message: pmproxy.message}]
    const {startup, listening} = pmproxy
    if (startup.kind === 'masked')
      return [{status: 'pass', path: startup.path, message: 'pmproxy is masked: it never starts'}]
    if (startup.kind === 'manual')
      return [
        {
          status: 'pass',
          path: startup.path,
          message: `pmproxy is not enabled; if started it listens on ${listening.description}`,
        },
      ]
    if (listening.scope !== 'network')
      return [
        {status: 'pass', path: pmproxy.evidence, message: `pmproxy listens on ${listening.description}`},
      ]
    // The firewall decides who reaches pmproxy's ports: shut to every remote host, nobody stores through it.
    const exposures = (await analyzeExposure(host)).services.filter((s) => s.service === 'pmproxy')
    const reached = exposures.find((s) => s.reachable.scope !== 'loopback only')
    const shut = exposures[0]
    if (shut && !reached && shut.firewall !== 'none')
      return [
        {
          status: 'pass',
          path: pmproxy.evidence,
          message: `pmproxy listens on ${listening.description}, but ${describeFirewall(shut)} (nor ${exposures.at(-1)?.port ?? 44323})`,
          ...(shut.rules.length > 0 ? {evidence: shut.rules.join('; ')} : {}),
        },
      ]
    const firewallNote = reached && reached.firewall !== 'none' ? `; ${describeFirewall(reached)}` : ''
    const access = await analyzeAccess(host)
    if (!access)
      return [
        {status: 'pass', path: pmproxy.evidence, message: `no ${PMCD_CONF}: no local pmcd to store into`},
      ]
    if ('error' in access) return [{status: 'error', path: access.file, message: access.error}]
    const policy = access.lint.policy
    if (!policy)
      return [
        {
          status: 'pass',
          path: access.lint.file,
          message: 'pmcd rejects its configuration and does not start (PCP-ACCESS-001)',
        },
      ]
    const decision = decide(policy, PMPROXY_SEEN_AS, 'store')
    const source = decision.rule?.sources[0]
    const started = startup.kind === 'enabled' ? `enabled (${startup.path})` : 'installed'
    if (!decision.allowed)
      return [
        {
          status: 'pass',
          path: source?.file ?? access.lint.file,
          ...(source ? {line: source.line} : {}),
          message: `pmproxy listens on ${listening.description}, but pmcd refuses store from local clients`,
        },
      ]
    return [
      {
        status: 'fail',
        path: source?.file ?? access.lint.file,
        ...(source ? {line: source.line} : {}),
        message:
          `pmproxy is ${started} and listens on ${listening.description}, and pmcd lets local clients store` +
          `${source ? ` (${source.allow ? 'allow' : 'disallow'} "${source.name}")` : ' (no rule forbids it)'}: ` +
          `pmcd sees pmproxy as local, so anyone who reaches pmproxy may store through its REST API${firewallNote}`,
        evidence: [`store from ${PMPROXY_SEEN_AS}: allowed`, ...(reached?.rules ?? [])].join('; '),
        ...withRemedy(await localOnlyFix(host)),
      },
    ]
  },
}
