import {unitCheck} from './check.js'

export const check = unitCheck(
  {
    id: 'PSP-UNIT-006',
    title: "pulse-sensor-proxy's unit does not set PrivateUsers=true",
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'systemd', 'authentication'],
    rationale:
      'The proxy authenticates each client by the uid and gid SO_PEERCRED reports. PrivateUsers=true runs it in ' +
      'a user namespace where every uid but its own and root maps to nobody (65534): the container and any other ' +
      'local process look alike, so the peer check either refuses everyone or, with 65534 allowed, admits everyone. ' +
      'Hardening guides (and systemd-analyze security) suggest it; here it breaks authentication.',
    remediation: 'Remove PrivateUsers=true from the unit and its drop-ins (or set PrivateUsers=false).',
    reference: 'unix(7) SO_PEERCRED; systemd.exec(5) PrivateUsers=',
    example: {fail: '[Service]\nPrivateUsers=true', pass: '[Service]\nPrivateUsers=false'},
  },
  'PrivateUsers is off: SO_PEERCRED sees the real peer uids',
)
