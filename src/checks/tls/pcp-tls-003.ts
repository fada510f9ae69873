import {tlsCheck} from './check.js'

export const check = tlsCheck(
  {
    id: 'PCP-TLS-003',
    title: 'tls-ciphers enables no weak ciphers',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['tls', 'ciphers'],
    rationale:
      'tls-ciphers is handed to OpenSSL as the TLS 1.2 cipher list of pmcd, pmproxy and the local clients. A list ' +
      'that adds NULL (no encryption), aNULL (no authentication), EXPORT, RC4, MD5, DES or 3DES ciphers, and does ' +
      'not remove them again with "!", lets a client or an attacker in the middle pick them.',
    remediation:
      "tls-ciphers = HIGH:!aNULL:!eNULL:!EXPORT:!RC4:!MD5:!DES:!3DES (or leave it unset for OpenSSL's default)",
    reference:
      'PCP User\'s and Administrator\'s Guide, "Establishing Secure Connections" (tls-ciphers); ciphers(1ssl)',
    example: {
      fail: 'tls-ciphers = ALL:RC4:EXPORT',
      pass: 'tls-ciphers = HIGH:!aNULL:!MD5:!RC4',
    },
  },
  "tls-ciphers leaves no weak cipher enabled (or is unset: OpenSSL's default list)",
)
