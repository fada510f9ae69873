import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PCP-FILE-005',
    title: 'PCP log directories and logs are not writable by every user',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['files', 'logs'],
    rationale:
      '/var/log/pcp holds the pmcd and pmproxy logs and the pmlogger archives, and the pmproxy rc script runs from ' +
      '/var/log/pcp/pmproxy (where it also reads a pmproxy.conf). A world-writable log directory lets any user plant ' +
      'that file, replace archives and logs, or hide an intrusion.',
    remediation:
      'Each finding gives the exact chmod for its path (PCP ships the directories 0775 pcp:pcp; 0750 is tighter).',
    reference: 'PCPIntro(1) ($PCP_LOG_DIR); pmproxy(1); CVE-2023-6917, CVE-2024-45770',
    example: {
      fail: 'drwxrwxrwx pcp pcp /var/log/pcp/pmproxy',
      pass: 'drwxr-x--- pcp pcp /var/log/pcp/pmproxy',
    },
  },
  {component: 'pcp', concerns: ['world-writable', 'wrong-type'], roles: ['log-dir', 'log-file']},
)
