import {analyzeExposure, describeFirewall} from '../../net/exposure.js'
import {remedyCommand, withRemedy} from '../remedy.js'
import {describeRemote, listensEverywhere, type PmcdSetup, pmcdCheck, remoteClients} from './analysis.js'
import {deleteOptionLine, RESTART_PMCD} from './remedies.js'

const CHOICE =
  "on which address pmcd serves remote monitors is the admin's choice: the command keeps pmcd on loopback " +
  '(PMCD_LOCAL=1: pmproxy and pmlogger still reach it) and cuts off every remote monitor; to keep them, add ' +
  '"-i ADDRESS" (this host\'s address on the monitoring network) to /etc/pcp/pmcd/pmcd.options instead'

/** Loopback only (PMCD_LOCAL=1 in /etc/default/pmcd), after removing the wildcard -i line if there is one. */
function loopbackOnly(setup: PmcdSetup, wildcardLine?: number) {
  const local = remedyCommand({
    kind: 'edit',
    path: setup.env.path,
    edits: [{op: 'append', text: 'PMCD_LOCAL=1'}],
  })
  const drop = wildcardLine === undefined ? undefined : deleteOptionLine(setup, wildcardLine)
  // A line that holds more than the -i is the admin's to split.
  const alone = /^\s*(-i|--interface)[=\s]*\S+\s*$/.test(setup.optionLines[(wildcardLine ?? 0) - 1] ?? '')
  if (wildcardLine !== undefined && !alone) return {}
  return withRemedy({
    kind: 'manual',
    command: drop ? `${remedyCommand(drop)} && ${local}` : local,
    why: CHOICE,
    restart: RESTART_PMCD,
  })
}

export const check = pmcdCheck(
  {
    id: 'PCP-PMCD-003',
    title: 'pmcd does not listen on every interface while remote hosts may connect',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'network'],
    rationale:
      'Without -i, pmcd listens on port 44321 of every IPv4 and IPv6 interface (Debian ships PMCD_LOCAL commented ' +
      'out). When its access rules let any remote host fetch or store, every network the machine is on can reach ' +
      'them, the management and public ones included. A widely copied PCP security guide binds pmcd with PCD_HOST, ' +
      'which does not exist: PCP binds with -i ADDR in pmcd.options (numeric, repeatable), or loopback only with ' +
      'PMCD_LOCAL=1 in /etc/default/pmcd. A firewall that loads at boot (nftables, iptables-persistent, ufw) and ' +
      'lets no remote host, or only named networks, reach the port passes this check, naming the rules that decide.',
    remediation:
      'Add "-i <this host\'s address on the monitoring network>" to /etc/pcp/pmcd/pmcd.options (one line per ' +
      'address), or PMCD_LOCAL=1 to /etc/default/pmcd when only local clients (pmproxy, pmlogger) need pmcd.',
    reference: 'pmcd(1) -i and PMCD_LOCAL; nft(8); iptables-save(8); ufw(8)',
    example: {
      fail: '# /etc/pcp/pmcd/pmcd.options\n-A\n# pmcd.conf [access]: allow 10.1.2.* : fetch;',
      pass: '# /etc/pcp/pmcd/pmcd.options\n-A\n-i 10.1.2.5\n# pmcd.conf [access]: allow 10.1.2.* : fetch;',
    },
  },
  async (setup, host) => {
    const path = setup.options.path
    if (!listensEverywhere(setup)) {
      const bound = setup.listeners.filter((l) => l.kind !== 'invalid').map((l) => l.address)
      const message =
        bound.length > 0 ? `pmcd listens on ${bound.join(', ')} only` : 'pmcd listens on no network address'
      return [{status: 'pass', path, message}]
    }
    const remote = remoteClients(setup)
    if (!remote) return [{status: 'pass', path, message: 'no remote host may fetch or store'}]
    // The firewall decides who reaches the port: a host it shuts out cannot use what the rules allow.
    const exposure = (await analyzeExposure(host)).services.find((s) => s.service === 'pmcd')
    const shut =
      exposure?.reachable.scope === 'loopback only' || exposure?.reachable.scope === 'these networks'
    const evidence = exposure && exposure.rules.length > 0 ? {evidence: exposure.rules.join('; ')} : {}
    if (exposure && shut && exposure.firewall !== 'none')
      return [
        {
          status: 'pass',
          path,
          message: `pmcd listens on every interface, but ${describeFirewall(exposure)}`,
          ...evidence,
        },
      ]
    const confirmed = exposure && exposure.firewall !== 'none' ? `; ${describeFirewall(exposure)}` : ''
    const wildcard = setup.listeners.find((l) => l.kind === 'any')
    if (wildcard)
      return [
        {
          status: 'fail',
          path: wildcard.path,
          ...(wildcard.line ? {line: wildcard.line} : {}),
          message: `-i ${wildcard.address} makes pmcd listen on every interface while ${describeRemote(remote)}${confirmed}`,
          ...evidence,
          ...loopbackOnly(setup, wildcard.line),
        },
      ]
    return [
      {
        status: 'fail',
        path,
        message:
          `pmcd listens on every interface (no -i in ${path}, and PMCD_LOCAL is not 1 in ${setup.env.path}) ` +
          `while ${describeRemote(remote)}${confirmed}`,
        ...evidence,
        ...loopbackOnly(setup),
      },
    ]
  },
  true,
)
