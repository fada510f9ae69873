import {describeRemote, hasOption, pmcdCheck, remoteClients} from './analysis.js'

/** SASL mechanisms that send the password in the clear (ANONYMOUS, which needs none: PCP-SASL-001). */
const CLEARTEXT_MECHANISMS = new Set(['plain', 'login'])

export const check = pmcdCheck(
  {
    id: 'PCP-PMCD-007',
    title: 'No cleartext SASL mechanisms without enforced TLS',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'authentication', 'sasl'],
    rationale:
      'pmcd accepts PLAIN and LOGIN over plaintext connections: the password crosses the network in the clear, ' +
      'readable by anyone on the path (ANONYMOUS, which needs no password at all, is PCP-SASL-001). The shipped /etc/sasl2/pmcd.conf ' +
      'lists plain and login. Unless -Q forces remote clients onto TLS, only a challenge-response mechanism such as ' +
      'scram-sha-256 keeps the password off the wire.',
    remediation:
      'Set "mech_list: scram-sha-256" in /etc/sasl2/pmcd.conf, or enforce TLS with -Q in pmcd.options.',
    reference: 'pmcd(1) -S and -Q; Cyrus SASL, "Mechanisms" (PLAIN, LOGIN); /etc/sasl2/pmcd.conf',
    example: {
      fail: '# /etc/sasl2/pmcd.conf\nmech_list: plain login scram-sha-256',
      pass: '# /etc/sasl2/pmcd.conf\nmech_list: scram-sha-256',
    },
  },
  (setup) => {
    const {sasl} = setup
    const inUse = hasOption(setup, 'S') || setup.access.policy?.credentialsRequired || sasl.present
    if (!inUse) return [{status: 'pass', path: sasl.path, message: 'SASL is not in use'}]
    const cleartext = (sasl.mechList ?? []).filter((m) => CLEARTEXT_MECHANISMS.has(m.toLowerCase()))
    if (cleartext.length === 0) return [{status: 'pass', path: sasl.path, message: 'ok'}]
    if (hasOption(setup, 'Q'))
      return [{status: 'pass', path: sasl.path, message: 'remote clients must use TLS (-Q)'}]
    const remote = remoteClients(setup)
    if (!remote) return [{status: 'pass', path: sasl.path, message: 'no remote client may connect'}]
    const line = sasl.lines['mech_list']
    return [
      {
        status: 'fail',
        path: sasl.path,
        ...(line ? {line} : {}),
        message:
          `mech_list offers ${cleartext.join(', ')}: the password crosses the network in the clear, as pmcd does ` +
          `not enforce TLS (no -Q) and ${describeRemote(remote)}`,
      },
    ]
  },
  true,
)
