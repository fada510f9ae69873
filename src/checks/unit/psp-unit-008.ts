import {targetCheck} from './check.js'
import {EXPOSURE_THRESHOLD, exposureAnalyzer, exposureStarter} from './exposure.js'

export const check = targetCheck(
  {
    id: 'PSP-UNIT-008',
    title: `systemd-analyze security rates pulse-sensor-proxy.service ${EXPOSURE_THRESHOLD} or better`,
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'systemd', 'sandbox'],
    rationale:
      "systemd's own exposure score (0 perfect, 10 unsafe) weighs some eighty settings, including ones the other " +
      "PSP-UNIT checks do not name. The Pulse proxy hardening guide's directive set scores 4.2 and the unit pcp-harden unit write renders " +
      '2.0 or lower; a unit scoring above 4.2 is less hardened than the guide asks. The score is measured offline ' +
      '(systemd-analyze security --offline=true) on the unit file and its drop-ins as the root has them; without ' +
      'systemd-analyze the check is skipped.',
    remediation:
      'Run systemd-analyze security --offline=true on the unit to see which settings cost the most, or render the ' +
      'hardened unit with pcp-harden unit write.',
    reference: 'systemd-analyze(1) security --offline; systemd-analyze(1) security',
    example: {
      fail: '[Service]\nUser=pulse-sensor-proxy\nExecStart=/usr/local/bin/pulse-sensor-proxy',
      pass: '(the unit pcp-harden unit write renders: 1.9 OK)',
    },
  },
  exposureAnalyzer,
  ({exposure, name}) =>
    `systemd-analyze security rates ${name} ${exposure.score.toFixed(1)} ${exposure.rating} (at most ${EXPOSURE_THRESHOLD} passes)`,
  true,
  exposureStarter,
)
