import {tlsMaterial} from '../files/rules.js'
import type {Check, CheckResult} from '../types.js'

export const check: Check = {
  id: 'PCP-CERT-001',
  title: 'Certificates of tls.conf and the TLS directory are valid, strong and not about to expire',
  severity: 'high',
  profiles: ['pcp-collector'],
  tags: ['tls', 'certificates', 'pmcd', 'pmproxy'],
  rationale:
    'pmcd and pmproxy load the certificate, key and CA that /etc/pcp/tls.conf names; every other certificate in ' +
    '/etc/pcp/tls is judged too (low: nothing loads it, but it is what an admin will name next). An expired or not yet ' +
    'valid certificate, one that expires within 7 days, a key that does not match it, an RSA key below 2048 ' +
    'bits or an MD5/SHA-1 signature (which OpenSSL 3 refuses at its default security level), a certificate ' +
    'without the serverAuth/clientAuth usage of its role, or one the configured CA did not sign breaks secure ' +
    "connections, or lets them stand on a certificate that proves nothing. PCP's guide's openssl commands make " +
    'certificates that are never checked again.',
  remediation:
    'pcp-harden cert check (the details and days left); replace the certificates with pcp-harden cert init ' +
    '--force (or cert issue --server for a collector whose CA is elsewhere).',
  reference: `PCP User's and Administrator's Guide, "Establishing Secure Connections", Collector Setup; pmcd(1); RFC 5280`,
  example: {
    fail: 'tls-cert-file = /etc/pcp/tls/server.crt   (expired, or RSA 1024, or signed with sha1WithRSAEncryption)',
    pass: 'tls-cert-file = /etc/pcp/tls/server.crt   (RSA 2048, sha256WithRSAEncryption, serverAuth, signed by tls-ca-cert-file, 300 days left)',
  },
  async run(host) {
    const {checkCertificates, fileTargets, tlsConfTargets} = await import('../../pki/check.js')
    const named = await tlsConfTargets(host, {users: false})
    const material = await tlsMaterial(host)
    const keys = new Set(material.filter((m) => m.kind === 'key').map((m) => m.path))
    // A key beside its certificate (ca.key by ca.crt) is checked against it even when tls.conf names no key.
    for (const target of named) {
      const sibling = target.path.replace(/\.(crt|pem|cer)$/, '.key')
      if (!target.keyPath && sibling !== target.path && keys.has(sibling)) target.keyPath = sibling
    }
    const namedPaths = new Set(named.map((t) => t.path))
    const unnamed = await fileTargets(
      host,
      material.filter((m) => m.kind === 'certificate' && !namedPaths.has(m.path)).map((m) => m.path),
      {},
    )
    const targets = [...named, ...unnamed]
    if (targets.length === 0)
      return [{status: 'skip', message: 'not applicable: no certificate in tls.conf or the TLS directory'}]
    const report = await checkCertificates(host, targets, {now: new Date(), warningDays: 30, criticalDays: 7})
    return report.certificates.map((cert, index): CheckResult => {
      const isNamed = index < named.length
      const worst = cert.problems.filter((p) => p.state === cert.status).map((p) => p.message)
      const evidence = cert.certificate
        ? `${cert.certificate.key}, ${cert.certificate.signatureAlgorithm}, until ${cert.certificate.notAfter}`
        : undefined
      const base = {path: cert.path, ...(evidence ? {evidence} : {})}
      const role = isNamed
        ? cert.role
        : `${cert.role} (by its name; no tls.conf names it, so nothing loads it)`
      if (cert.status === 'CRITICAL')
        return {
          ...base,
          status: 'fail',
          message: `${role}: ${worst.join('; ')}`,
          ...(isNamed ? {} : {severity: 'low' as const}),
        }
      if (cert.status === 'UNKNOWN') return {...base, status: 'error', message: worst.join('; ')}
      const warnings = cert.problems.map((p) => p.message)
      const left = cert.certificate ? `${cert.certificate.daysLeft} days left` : ''
      return {...base, status: 'pass', message: [`${role}: ${left}`, ...warnings].join('; ')}
    })
  },
}
