import {firewalled} from '../firewalled.js'
import type {Host} from '../../host/host.js'
import {withRemedy} from '../remedy.js'
import {describeRemote, hasOption, pmcdCheck, remoteClients} from './analysis.js'
import {addOption, clientCertsUnready, manualOf, mechListLine, mechListPlan} from './remedies.js'

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
    // Either change can break a login that works today, so both are the admin's to run: a client that asks
    // for plain or login by name (?method=plain) fails without them, and -Q refuses a monitor without a
    // client certificate. Without another mechanism, or with saslauthd (which checks only cleartext
    // passwords), only -Q keeps the password off the wire; it needs valid certificates first.
    const others = (sasl.mechList ?? []).filter((m) => !CLEARTEXT_MECHANISMS.has(m.toLowerCase()))
    const at = await mechListLine(setup, host)
    const saslauthd = /saslauthd/i.test(await pwcheck(host, sasl.path, sasl.lines['pwcheck_method']))
    const remedy =
      at && others.length > 0 && !saslauthd
        ? manualOf(
            mechListPlan(setup, at, others),
            `a client that asks for ${cleartext.join(' or ')} by name (?method=${cleartext[0]?.toLowerCase()}) ` +
              `cannot log in afterwards, and only the admin knows which clients do; ${others.join(', ')} ` +
              'keep the password off the wire',
          )
        : (await clientCertsUnready(setup, host)) === undefined
          ? manualOf(
              addOption(setup, '-Q'),
              `${others.length === 0 ? 'mech_list has no mechanism but cleartext ones' : 'saslauthd checks only cleartext passwords'}, ` +
                'so -Q (TLS for every remote client) keeps the password off the wire; it refuses every remote monitor ' +
                'without a client certificate from the CA (pcp-harden cert issue --user USER)',
            )
          : undefined
    return [
      {
        status: 'fail',
        path: sasl.path,
        ...(line ? {line} : {}),
        message:
          `mech_list offers ${cleartext.join(', ')}: the password crosses the network in the clear, as pmcd does ` +
          `not enforce TLS (no -Q) and ${describeRemote(remote)}` +
          (remedy
            ? ''
            : '; remove them once clients use scram-sha-256 (users in the SASL database), or enforce TLS with -Q ' +
              'after putting certificates in place (pcp-harden cert init, tls write --require-client-certs)'),
        ...(remedy ? withRemedy(remedy) : {}),
      },
    ]
  },
  true,
)

/** Its failures speak of remote clients: the firewall decides whether they can connect at all. */
export const check = firewalled({service: 'pmcd'}, judged)
/** The value of pwcheck_method, read from its line ('' when there is none). */
async function pwcheck(host: Host, path: string, line: number | undefined): Promise<string> {
  if (line === undefined) return ''
  const text = await host.readText(path)
  return text.ok ? (text.value.split('\n')[line - 1] ?? '') : ''
}
