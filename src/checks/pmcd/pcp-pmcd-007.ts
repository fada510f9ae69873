import {firewalled} from '../firewalled.js'
import {describeRemote, hasOption, pmcdCheck, remoteClients} from './analysis.js'

/** Where Cyrus SASL keeps its users when sasldb_path is not set. */
const SASLDB_DEFAULT = '/etc/sasldb2'

/** SASL mechanisms that send the password in the clear (ANONYMOUS, which needs none: PCP-SASL-001). */
const CLEARTEXT_MECHANISMS = new Set(['plain', 'login'])

const judged = pmcdCheck(
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
    reference:
      'pmcd(1) options -S and -Q; PCP User\'s and Administrator\'s Guide, "Establishing Secure Connections"; ' +
      'Cyrus SASL "Options" (mech_list, sasldb_path, pwcheck_method)',
    example: {
      fail: '# /etc/sasl2/pmcd.conf\nmech_list: plain login scram-sha-256',
      pass: '# /etc/sasl2/pmcd.conf\nmech_list: scram-sha-256',
    },
  },
  async (setup, host) => {
    const {sasl} = setup
    // The shipped /etc/sasl2/pmcd.conf alone authenticates nobody: with no user database (the
    // package ships none) and no saslauthd, no client has a password to send.
    const userDb = sasl.sasldbPath ?? SASLDB_DEFAULT
    const accounts = sasl.lines['pwcheck_method'] !== undefined || (await host.exists(userDb))
    const inUse =
      hasOption(setup, 'S') || setup.access.policy?.credentialsRequired || (sasl.present && accounts)
    if (!inUse)
      return [
        {
          status: 'pass',
          path: sasl.path,
          message: sasl.present
            ? `SASL is not in use: no -S, no user or group rule, and no user database (${userDb})`
            : 'SASL is not in use',
        },
      ]
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

/** Its failures speak of remote clients: the firewall decides whether they can connect at all. */
export const check = firewalled({service: 'pmcd'}, judged)
