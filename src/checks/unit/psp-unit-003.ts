import {unitCheck} from './check.js'

export const check = unitCheck(
  {
    id: 'PSP-UNIT-003',
    title: "pulse-sensor-proxy's unit restricts system calls, capabilities and socket families",
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'systemd', 'sandbox', 'kernel'],
    rationale:
      'SystemCallFilter=@system-service is an allow list: everything outside the set a normal service needs fails. ' +
      'A deny list only (SystemCallFilter=~@mount) allows everything else, and an empty SystemCallFilter= in a ' +
      'drop-in resets the list to nothing, that is no filter; adding a group @system-service leaves out (@mount, @privileged, ...) widens it. An empty CapabilityBoundingSet= removes every ' +
      'capability for good; RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 leaves the proxy its socket and SSH, ' +
      "AF_NETLINK (which Pulse's installer adds) lets it list its own addresses, and the rest (packet, ...) is denied.",
    remediation:
      'In [Service]: SystemCallFilter=@system-service, CapabilityBoundingSet= (empty), RestrictAddressFamilies=AF_UNIX ' +
      'AF_INET AF_INET6; remove drop-in lines that reset or widen them.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", Systemd Unit Security; Pulse 4.x ' +
      'scripts/install-sensor-proxy.sh (its unit); systemd.exec(5) SystemCallFilter=, CapabilityBoundingSet=',
    example: {
      fail: '[Service]\nSystemCallFilter=~@mount\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_PACKET',
      pass: '[Service]\nSystemCallFilter=@system-service\nCapabilityBoundingSet=\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    },
  },
  'the system call allow list, the empty capability set and the socket families are in effect',
)
