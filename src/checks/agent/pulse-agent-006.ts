import {familyCheck} from '../family.js'
import {analyzeAgent} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-AGENT-006',
    title: "The agent's effective unit keeps the installer's sandbox",
    severity: 'low',
    profiles: ['pulse-agent'],
    tags: ['pulse-agent', 'systemd', 'sandbox'],
    rationale:
      "Pulse's installer gives the agent UMask=0077, PrivateTmp, ProtectKernelTunables, ProtectKernelModules, ProtectControlGroups, LockPersonality, SystemCallArchitectures=native and, for the least-privilege profile without sudo grants, NoNewPrivileges and RestrictSUIDSGID. It sets no ProtectSystem or ProtectHome, so those are not asked for. Judged on the effective unit (drop-ins applied), as the proxy's unit is; a weaker value leaves the agent more of the host if it is taken over.",
    remediation: 'Remove the drop-in or edit that weakens the unit, or rerun install.sh to rewrite it.',
    reference: 'Pulse, scripts/install.sh and docs/AGENT_SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: '[Service]\nUser=pulse-agent\nPrivateTmp=false',
      pass: '[Service]\nUser=pulse-agent\nUMask=0077\nNoNewPrivileges=true\nPrivateTmp=true\nProtectKernelTunables=true\nProtectKernelModules=true\nProtectControlGroups=true\nLockPersonality=true\nRestrictSUIDSGID=true\nSystemCallArchitectures=native',
    },
  },
  analyzeAgent,
  (analysis) => ({
    path: analysis.fragment,
    message: `the effective unit keeps the installer's sandbox (${analysis.fragment}, User=${analysis.user})`,
  }),
)
