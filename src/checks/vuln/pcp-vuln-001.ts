import type {Check} from '../types.js'
import {vulnCheck} from './check.js'

export const check: Check = vulnCheck(
  {
    id: 'PCP-VULN-001',
    title: 'No known vulnerability of the installed PCP is reachable from the network',
    severity: 'critical',
    profiles: ['pcp-collector'],
    tags: ['pcp', 'vulnerability', 'network'],
    rationale:
      'The installed pcp package is compared with the known vulnerabilities of PCP (the release that fixes each, and ' +
      "the distribution's changelog for a backported fix). A flaw counts here when this host's configuration hands it " +
      'to other hosts: CVE-2024-3019 when pmproxy is reachable from the network and relays to a key server, ' +
      'CVE-2024-45769 when someone off the host may store into pmcd (directly or through pmproxy).',
    remediation:
      'Update pcp to a release that fixes the flaw (or to a distribution build that backports the fix); until then ' +
      'take the flaw out of reach as each finding says (pmproxy on loopback, store for local clients only).',
    reference:
      'NVD CVE-2024-3019, CVE-2024-45769; performancecopilot/pcp CHANGELOG (6.2.1, 6.3.1); pmproxy(1); pmcd(1)',
    example: {
      fail: 'pcp 6.0.3-1.1 (dpkg), pmproxy enabled on every interface, redis-server installed',
      pass: 'pcp 6.0.3-1.1 (dpkg), PMPROXY_LOCAL=1, pmcd.conf: disallow ".*" : store;',
    },
  },
  'no known vulnerability of this version is reachable from the network here',
)
