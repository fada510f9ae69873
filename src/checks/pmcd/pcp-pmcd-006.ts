import {firewalled} from '../firewalled.js'
import {withRemedy} from '../remedy.js'
import {describeRemote, hasOption, pmcdCheck, remoteClients} from './analysis.js'
import {requireClientCerts} from './remedies.js'

const judged = pmcdCheck(
  {
    id: 'PCP-PMCD-006',
    title: 'TLS set up in tls.conf is enforced with -Q',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'tls'],
    rationale:
      'With tls-cert-file in /etc/pcp/tls.conf pmcd offers TLS, but on the same port as plaintext: clients choose. ' +
      "tls-verify-clients = true in the collector's tls.conf enforces nothing (seen on 6.0.3: remote clients still " +
      'connect in plaintext, and over TLS without a certificate). Only -Q makes remote clients present a ' +
      "certificate, which they can do only over TLS. PCP's secure-connections chapter and Red Hat's stop at tls.conf and leave plaintext open " +
      "to the network; PCP's NSS-era tutorial's -Q is the fix.",
    remediation:
      'Add -Q to /etc/pcp/pmcd/pmcd.options and give each monitor a client certificate from the CA.',
    reference:
      'pmcd(1) -Q; PCP User\'s and Administrator\'s Guide, "Establishing Secure Connections"; Red Hat Enterprise Linux 9, "Setting up secure PCP connections"; PCP tutorial "Secure Client Connections" (NSS era); pmcd(1) -Q',
    example: {
      fail: '# /etc/pcp/tls.conf\ntls-cert-file = /etc/pcp/tls/server.crt\n# /etc/pcp/pmcd/pmcd.options\n-A',
      pass: '# /etc/pcp/tls.conf\ntls-cert-file = /etc/pcp/tls/server.crt\n# /etc/pcp/pmcd/pmcd.options\n-A\n-Q',
    },
  },
  async (setup, host) => {
    const path = setup.options.path
    const cert = setup.tls.settings.filter((s) => s.key === 'tls-cert-file').at(-1)
    if (!cert)
      return [{status: 'pass', path: setup.tls.path, message: 'TLS is not set up (no tls-cert-file)'}]
    if (hasOption(setup, 'Q'))
      return [{status: 'pass', path, message: 'remote clients must use TLS with a certificate (-Q)'}]
    const remote = remoteClients(setup)
    if (!remote) return [{status: 'pass', path, message: 'no remote client may connect'}]
    return [
      {
        status: 'fail',
        path,
        message:
          `TLS is set up but not enforced: ${path} has no -Q, so remote clients still connect in plaintext, and ` +
          `${describeRemote(remote)}`,
        evidence: `${setup.tls.path} line ${cert.line}: tls-cert-file = ${cert.value}`,
        ...withRemedy(await requireClientCerts(setup, host)),
      },
    ]
  },
  true,
)

/** Its failures speak of remote clients: the firewall decides whether they can connect at all. */
export const check = firewalled({service: 'pmcd'}, judged)
