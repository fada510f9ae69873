import {familyCheck} from '../family.js'
import {AGENT_EXPOSURE, analyzeAgentExposure, startAgentExposure} from './exposure.js'

export const check = {
  ...familyCheck(
    {
      id: 'PULSE-AGENT-007',
      title: `systemd-analyze security rates pulse-agent.service ${AGENT_EXPOSURE} or better`,
      severity: 'low',
      profiles: ['pulse-agent'],
      tags: ['pulse-agent', 'systemd', 'sandbox'],
      rationale:
        "systemd's own exposure score (0 perfect, 10 unsafe) weighs some eighty settings. The unit Pulse's install.sh writes " +
        `with --least-privilege scores 7.7 EXPOSED, ${AGENT_EXPOSURE} with sudo grants (systemd 252): it sets no ProtectSystem, ProtectHome or ` +
        "system call filter. A unit scoring worse is less hardened than Pulse's least-privilege profile (the root profile, 8.1 and up, is). The score is " +
        'measured offline on the unit file and its drop-ins as the root has them; without systemd-analyze the check is skipped.',
      remediation:
        'Run systemd-analyze security --offline=true on the unit to see which settings cost most; the least-privilege profile ' +
        "(install.sh --least-privilege) brings it to the installer's score.",
      reference: 'systemd-analyze(1) security; Pulse, scripts/install.sh (rcourtman/Pulse)',
      example: {
        fail: '[Service]\nExecStart=/usr/local/bin/pulse-agent',
        pass: '(the unit install.sh --least-privilege writes: 7.7 EXPOSED)',
      },
    },
    analyzeAgentExposure,
    ({fragment, exposure}) => ({
      path: fragment,
      message: `systemd-analyze security rates pulse-agent.service ${exposure.score.toFixed(1)} ${exposure.rating} (at most ${AGENT_EXPOSURE} passes)`,
    }),
  ),
  start: startAgentExposure,
}
