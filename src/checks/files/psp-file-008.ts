import {proxyStateCheck} from './proxy-state-check.js'

export const check = proxyStateCheck(
  {
    id: 'PSP-FILE-008',
    title: 'The proxy state directory holds only its keys',
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['files', 'incident', 'persistence'],
    rationale:
      "The hardening guide's compromise checklist looks for anything in /var/lib/pulse-sensor-proxy besides the keys. " +
      "The directory is writable only by the service user, so an unknown file there was put by the proxy's account, " +
      'root, or someone who had either: tooling, copied keys, a planted ssh config. Each unexpected file is named, ' +
      "executables and scripts first, and unexpected directories are walked. Expected: what the guide and Pulse's " +
      'installer make (ssh/ with id_ed25519, id_ed25519.pub and known_hosts; ssh.d/ with next/, prev/ and the ' +
      "rotation journal; the cleanup-request.json and cleanup.lock of the installer's cleanup path unit).",
    remediation:
      'Find out what created it (owner, time, journalctl -u pulse-sensor-proxy); remove it; if it is a copy of a key ' +
      "or its origin is unknown, treat the host as compromised (the guide's Suspected Compromise Checklist).",
    reference: 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", Suspected Compromise Checklist',
    example: {
      fail: '/var/lib/pulse-sensor-proxy/.cache/payload',
      pass: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519 and id_ed25519.pub only',
    },
  },
  'nothing but the expected keys and directories',
)
