import {pmproxyCheck} from './check.js'

export const check = pmproxyCheck(
  {
    id: 'PCP-PMPROXY-004',
    title: 'pmproxy has a usable certificate when its TLS is on',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmproxy', 'tls'],
    rationale:
      'Unless secure.enabled is "false" (or a prefix of it), pmproxy sets up TLS at start when /etc/pcp/tls.conf ' +
      'is absent or pmproxy.conf has legacy certificates/private_key/authority keys, and exits when it finds no ' +
      'certificate or key or cannot load one: the REST API and protocol proxy go down with the next restart.',
    remediation:
      'Configure tls-cert-file and tls-key-file in /etc/pcp/tls.conf (and drop the legacy pmproxy.conf keys), or ' +
      'set secure.enabled = false in [pmproxy] if pmproxy is to serve plaintext on loopback only.',
    reference: 'pmproxy(1); setup_secure_module in src/pmproxy/src/secure.c',
    example: {
      fail: '[pmproxy]\nsecure.enabled = true   (no /etc/pcp/tls.conf)',
      pass: '[pmproxy]\nsecure.enabled = true   (tls.conf: tls-cert-file, tls-key-file present)',
    },
  },
  'pmproxy starts: its TLS is off or has a certificate and key',
)
