import {leftoverPass, legacyCheck} from './check.js'

export const check = legacyCheck(
  {
    id: 'PULSE-LEGACY-003',
    title: 'No private key of the removed proxy left on disk',
    severity: 'medium',
    profiles: ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    tags: ['pulse-proxy', 'ssh', 'leftover'],
    rationale:
      'A private key of the removed proxy that no authorized_keys file under the root accepts any more opens nothing here, but other nodes (or a restored backup of one) may still authorize it: its holder would log in there as root. Nothing needs the key once the proxy is gone. A key whose .pub is missing is reported here too: whether it is still authorized was not checked.',
    remediation: 'Delete the key pair (shred -u the private key and its .pub) once no node authorizes it.',
    reference: 'Pulse, scripts/uninstall-sensor-proxy.sh and SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: '/var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519 left, authorized nowhere',
      pass: 'no private key left under /var/lib/pulse-sensor-proxy',
    },
  },
  leftoverPass('key pairs'),
)
