import {firewalled} from '../firewalled.js'
import {withRemedy} from '../remedy.js'
import {describeRemote, hasOption, pmcdCheck, remoteClients} from './analysis.js'
import {manualOf, requireClientCerts} from './remedies.js'

const judged = pmcdCheck(
  {
    id: 'PCP-PMCD-005',
    title: 'Remote clients must authenticate (-Q or -S)',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'authentication'],
    rationale:
      'pmcd authenticates remote clients only when told to: -Q makes them present a TLS client certificate from the ' +
      'CA in tls.conf, -S makes every client give SASL credentials, and a user or group rule in [access] has the ' +
      'effect of -S. Otherwise the access rules judge only the address, and any host that has, or spoofs, an ' +
      'allowed address gets every metric (and store where allowed). A widely copied PCP security guide wants certificates or SASL for remote ' +
      'clients; its pmcd.access file and "cert"/"sasl" keywords do not exist in PCP.',
    remediation:
      'Add -Q to /etc/pcp/pmcd/pmcd.options (with tls-cert-file, tls-key-file and tls-ca-cert-file in ' +
      '/etc/pcp/tls.conf), or -S with SASL users in /etc/pcp/passwd.db (saslpasswd2 -a pmcd -f /etc/pcp/passwd.db USER).',
    reference:
      'a widely copied PCP security guide, "Configure PMCD access control" and "Configure TLS for PMCD"; PCPIntro(1) "SECURE PMCD CONNECTIONS"; pmcd(1) -Q, -S',
    example: {
      fail: '# /etc/pcp/pmcd/pmcd.options\n-A\n-i 10.1.2.5',
      pass: '# /etc/pcp/pmcd/pmcd.options\n-A\n-Q\n-i 10.1.2.5',
    },
  },
  async (setup, host) => {
    const path = setup.options.path
    const remote = remoteClients(setup)
    if (!remote) return [{status: 'pass', path, message: 'no remote client may connect'}]
    if (hasOption(setup, 'Q'))
      return [{status: 'pass', path, message: 'remote clients must present a certificate (-Q)'}]
    if (hasOption(setup, 'S')) return [{status: 'pass', path, message: 'clients must give credentials (-S)'}]
    if (setup.access.policy?.credentialsRequired)
      return [{status: 'pass', path, message: 'a user or group rule in [access] requires credentials'}]
    return [
      {
        status: 'fail',
        path,
        message:
          `${describeRemote(remote)} without authenticating: ${path} has neither -Q (client certificate) ` +
          'nor -S (credentials), and no user or group rule requires credentials; choose -Q (every remote ' +
          'client presents a certificate from the CA) or -S (every client gives SASL credentials)',
        ...withRemedy(
          manualOf(
            await requireClientCerts(setup, host),
            "which clients must authenticate, and how, is the admin's choice: -Q locks out every remote " +
              'monitor without a client certificate from the CA (pcp-harden cert issue --user USER); -S instead ' +
              'needs SASL users (saslpasswd2 -a pmcd -f /etc/pcp/passwd.db USER)',
          ),
        ),
      },
    ]
  },
  true,
)

/** Its failures speak of remote clients: the firewall decides whether they can connect at all. */
export const check = firewalled({service: 'pmcd'}, judged)
