import {monitorCheck} from './check.js'

export const check = monitorCheck(
  {
    id: 'PCP-MON-003',
    title: 'Every ~/.pcp/tls.conf is the one PCP clients read',
    severity: 'medium',
    profiles: ['pcp-monitor'],
    tags: ['monitor', 'tls', 'environment'],
    rationale:
      'libpcp reads the tls.conf named by PCP_TLSCONF_PATH, and /etc/pcp/tls.conf without it; ~/.pcp/tls.conf is ' +
      "only a convention (PCP's secure-connections chapter). Without an exported PCP_TLSCONF_PATH pointing at it, the user's client " +
      'certificate, CA and verification setting are never used.',
    remediation: 'echo \'export PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\' >> ~/.profile',
    reference:
      'PCP User\'s and Administrator\'s Guide, "Establishing Secure Connections"; __pmGetSecureConfig in src/libpcp/src/secureconnect.c (performancecopilot/pcp)',
    example: {
      fail: '/home/alice/.pcp/tls.conf present, PCP_TLSCONF_PATH unset',
      pass: '/home/alice/.profile: export PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"',
    },
  },
  "every user's ~/.pcp/tls.conf is named by their PCP_TLSCONF_PATH",
)
