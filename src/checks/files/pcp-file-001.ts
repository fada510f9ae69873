import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PCP-FILE-001',
    title: 'PCP TLS private keys are readable only by root and pcp',
    severity: 'critical',
    profiles: ['pcp-collector'],
    tags: ['files', 'tls', 'secrets'],
    rationale:
      "The keys named by tls-key-file and tls-client-key-file in /etc/pcp/tls.conf prove the collector's identity. " +
      'Anyone who can read them can impersonate the collector to every monitor, or read captured TLS traffic. ' +
      'pmcd reads the key after dropping to user pcp, so the key is owned by pcp (0600) or by root with group pcp (0640), ' +
      'and nobody else may read it.',
    remediation:
      "Each finding gives the exact command: 0600 pcp:pcp (as PCP's guide leaves it) or 0640 root:pcp, never " +
      '0600 root:root (pmcd could no longer read it). Then replace the key and its certificate if others could read ' +
      'it: they may have copied it.',
    reference: `PCP User's and Administrator's Guide, "Establishing Secure Connections"; pmcd(1) (-U: pmcd reads the key after switching to pcp)`,
    example: {
      fail: '-rw-r--r-- root root /etc/pcp/tls/server.key   (named by tls-key-file)',
      pass: '-rw------- pcp pcp /etc/pcp/tls/server.key',
    },
  },
  {component: 'pcp', concerns: ['exposed', 'wrong-type'], roles: ['private-key']},
)
