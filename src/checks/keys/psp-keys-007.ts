import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-007',
    title: 'No stale key of the proxy is authorised',
    severity: 'medium',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys', 'pulse-proxy'],
    rationale:
      "A line marked as the proxy's (comment pulse-sensor-proxy or # pulse-managed-key) whose key is none of the proxy's current public keys (ssh/id_ed25519.pub, ssh.d/next, ssh.d/prev under /var/lib/pulse-sensor-proxy) was left by an earlier install or a rotation that did not clean up. Its private key may still exist anywhere the old one was copied, and it still logs in as root. Judged only where the proxy's public keys are under the root (or given to keys lint with --proxy-key).",
    remediation:
      "Delete the line (sed -i '/<old key's base64>/d' /root/.ssh/authorized_keys), on every node.",
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Key Rotation" and "Incident Response"; Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh',
    example: {
      fail: 'from="10.0.0.0/8",command="sensors -j",restrict ssh-ed25519 AAAAC3Nz...old pulse-sensor-proxy',
      pass: 'from="10.0.0.0/8",command="sensors -j",restrict ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
    },
  },
  "every line marked as the proxy's holds one of its current keys",
)
