import {monitorCheck} from './check.js'

export const check = monitorCheck(
  {
    id: 'PCP-MON-001',
    title: "Monitoring users' PCP clients require TLS (PCP_SECURE_SOCKETS=enforce)",
    severity: 'medium',
    profiles: ['pcp-monitor'],
    tags: ['monitor', 'tls', 'environment'],
    rationale:
      'A client tls.conf alone does not make PCP clients use TLS: libpcp requires it only when ' +
      'PCP_SECURE_SOCKETS is "enforce", "1" or empty in the environment (or the host is given as pcps://). ' +
      'Unset, or any other value, means plaintext; "relaxed" falls back to plaintext whenever TLS is not offered, ' +
      'which an attacker in the middle can arrange. A variable set but not exported never reaches the clients.',
    remediation:
      "echo 'export PCP_SECURE_SOCKETS=enforce' > /etc/profile.d/pcp-tls.sh (or in the user's ~/.profile)",
    reference:
      'PCP User\'s and Administrator\'s Guide, "Establishing Secure Connections"; ctxflags in src/libpcp/src/context.c (performancecopilot/pcp)',
    example: {
      fail: '~/.pcp/tls.conf present, PCP_SECURE_SOCKETS unset (or relaxed)',
      pass: '/etc/profile.d/pcp-tls.sh: export PCP_SECURE_SOCKETS=enforce',
    },
  },
  "every monitoring user's PCP clients require TLS",
)
