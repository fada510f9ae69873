import type {Host} from '../../host/host.js'
import {withRemedy} from '../remedy.js'
import type {Check, CheckResult} from '../types.js'
import {PCP_TLS_DIR, tlsDirectories, tlsMaterial} from './rules.js'

/** Where the leftover advice moves a key or certificate: root's, off the daemons' paths (as `cert init --ca-dir`). */
const KEEP_DIR = '/root/pcp-ca'

/** A name in KEEP_DIR that nothing has yet: a leftover never replaces a key kept there (the CA's own). */
async function freeName(host: Host, name: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = `${KEEP_DIR}/${name}${n === 0 ? '' : `.${n}`}`
    if (!(await host.exists(candidate))) return candidate
  }
}

export const check: Check = {
  id: 'PCP-FILE-007',
  title: 'Every key and certificate in the PCP TLS directory is one a tls.conf names',
  severity: 'low',
  profiles: ['pcp-collector'],
  tags: ['files', 'tls', 'secrets'],
  rationale:
    `PCP's guide creates the CA in ${PCP_TLS_DIR} beside the server and client keys, and names only the CA certificate ` +
    'and the server and client pairs in tls.conf: the CA key stays behind, readable by pcp. A key no configuration ' +
    'names is used by nothing, yet whoever reads it holds it: the CA key signs client certificates pmcd accepts ' +
    '(with -Q), an old server key impersonates this collector to clients that still trust its certificate. Low: ' +
    'only root and pcp can usually read them, and pmcd runs as pcp.',
  remediation: `Move each leftover off the collector, or at least to ${KEEP_DIR} (0700 root), as the finding says.`,
  reference: `PCP User's and Administrator's Guide, "Establishing Secure Connections"; ${PCP_TLS_DIR} as it leaves it`,
  example: {
    fail: `${PCP_TLS_DIR}/ca.key (no tls.conf names it)`,
    pass: `${PCP_TLS_DIR} holds ca.crt, server.crt, server.key, client.crt, client.key, all named by /etc/pcp/tls.conf`,
  },
  async run(host) {
    const material = await tlsMaterial(host)
    if (material.length === 0)
      return [
        {
          status: 'skip',
          message: `not applicable: no key or certificate in ${(await tlsDirectories(host)).join(', ')}`,
        },
      ]
    const {namedTlsFiles} = await import('../../pki/check.js')
    // A file named on a last line libpcp drops is not a leftover: adding the newline (PCP-TLS-004) puts it in use.
    const named = await namedTlsFiles(host, {dropped: true})
    const results: CheckResult[] = []
    for (const m of material) {
      if (named.has(m.path)) continue
      const name = m.path.slice(m.path.lastIndexOf('/') + 1)
      const keep = await freeName(host, name)
      results.push({
        status: 'fail',
        path: m.path,
        message:
          m.kind === 'key'
            ? "a private key no tls.conf names: a leftover (the CA key of the guide's procedure, an old server key) that nothing uses but whoever reads it holds"
            : 'a certificate no tls.conf names: a leftover nothing uses',
        ...withRemedy({kind: 'move', path: m.path, to: KEEP_DIR, name: keep.slice(KEEP_DIR.length + 1)}),
      })
    }
    if (results.length === 0)
      results.push({
        status: 'pass',
        path: PCP_TLS_DIR,
        message: 'every key and certificate is named by a tls.conf',
      })
    return results
  },
}
