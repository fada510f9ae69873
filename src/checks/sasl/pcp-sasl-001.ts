import {hasOption, pmcdCheck} from '../pmcd/analysis.js'
import {manualOf, mechListLine, mechListPlan} from '../pmcd/remedies.js'
import {type FixPlan, withRemedy} from '../remedy.js'

export const check = pmcdCheck(
  {
    id: 'PCP-SASL-001',
    title: 'No SASL ANONYMOUS mechanism for pmcd',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'authentication', 'sasl'],
    rationale:
      'The ANONYMOUS mechanism authenticates a client with no password at all. Listed in mech_list of ' +
      "/etc/sasl2/pmcd.conf, it turns pmcd's credential requirement (-S, or any user or group rule) into a formality " +
      'for every client that can connect: over TLS or not, from anywhere the port is reachable. The shipped file lists ' +
      'plain, login and scram-sha-256 only.',
    remediation: 'Remove anonymous from mech_list in /etc/sasl2/pmcd.conf (e.g. "mech_list: scram-sha-256").',
    reference: 'pmcd(1) -S; Cyrus SASL, "Mechanisms" (ANONYMOUS, RFC 4505); /etc/sasl2/pmcd.conf',
    example: {
      fail: '# /etc/sasl2/pmcd.conf\nmech_list: anonymous scram-sha-256',
      pass: '# /etc/sasl2/pmcd.conf\nmech_list: scram-sha-256',
    },
  },
  async (setup, host) => {
    const {sasl} = setup
    const anonymous = (sasl.mechList ?? []).find((m) => m.toLowerCase() === 'anonymous')
    if (!anonymous) return [{status: 'pass', path: sasl.path, message: 'mech_list has no ANONYMOUS'}]
    const line = sasl.lines['mech_list']
    const enforced = hasOption(setup, 'S') || setup.access.policy?.credentialsRequired
    // Nothing but a client that gives no password uses ANONYMOUS: removing it locks out no real login.
    // When it is the only mechanism, which one replaces it is the admin's choice (scram-sha-256 needs users).
    const at = await mechListLine(setup, host)
    const others = (sasl.mechList ?? []).filter((m) => m.toLowerCase() !== 'anonymous')
    let remedy: FixPlan | undefined
    if (at && others.length > 0) remedy = mechListPlan(setup, at, others)
    else if (at)
      remedy = manualOf(
        mechListPlan(setup, at, ['scram-sha-256']),
        `${anonymous} is the only mechanism: scram-sha-256 logs in only the users of the SASL database ` +
          `(saslpasswd2 -a pmcd -f ${sasl.sasldbPath ?? '/etc/sasldb2'} USER), which the admin creates first`,
      )
    return [
      {
        status: 'fail',
        path: sasl.path,
        ...(line ? {line} : {}),
        message: enforced
          ? `mech_list offers ${anonymous}: any client that can connect authenticates with no password, so the credentials pmcd requires protect nothing`
          : `mech_list offers ${anonymous}: a client authenticates with no password, so requiring credentials (-S, a user rule) would protect nothing`,
        ...(remedy ? withRemedy(remedy) : {}),
      },
    ]
  },
)
