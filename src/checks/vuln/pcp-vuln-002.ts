import type {Check} from '../types.js'
import {vulnCheck} from './check.js'

export const check: Check = vulnCheck(
  {
    id: 'PCP-VULN-002',
    title: 'The installed PCP has no known unfixed vulnerability',
    severity: 'low',
    profiles: ['pcp-collector'],
    tags: ['pcp', 'vulnerability'],
    rationale:
      'Known flaws of the installed pcp that this host does not hand to other hosts: the local ones (CVE-2023-6917, ' +
      'CVE-2024-45770, by which a process already running as user pcp becomes root) and the network ones whose ' +
      'condition the configuration does not meet. Low: the attacker must already be on the host (as pcp, or as a ' +
      'local user that may store), or the configuration must change first. A fix the distribution backported (named ' +
      "in the package's changelog) counts as fixed.",
    remediation:
      'Update pcp when the distribution ships a fixed build; the finding says what blunts the flaw until then.',
    reference:
      'NVD CVE-2023-6917, CVE-2024-3019, CVE-2024-45769, CVE-2024-45770; performancecopilot/pcp CHANGELOG (6.2.0, 6.2.1, 6.3.1)',
    example: {
      fail: 'pcp 6.0.3-1.1 (dpkg): CVE-2023-6917 and CVE-2024-45770 unfixed',
      pass: 'pcp 6.3.1-1 (dpkg), or a build whose changelog names each CVE',
    },
  },
  'every known vulnerability is fixed in this version or backported',
)
