import {escapeControl, escapeJson} from '../report/escape.js'
import type {CertReport, CertVerdict} from './check.js'

export type CertFormat = 'text' | 'json' | 'nagios'

/** A `cert check` report in one of its formats. */
export function formatCertReport(report: CertReport, format: CertFormat): string {
  if (format === 'json') return `${escapeJson(JSON.stringify(report, null, 2))}\n`
  if (format === 'nagios') return formatCertNagios(report)
  return formatCertText(report)
}

/** `339 days left (2027-11-23), RSA 2048, sha256WithRSAEncryption`: what was seen, in one line. */
function seen(cert: NonNullable<CertVerdict['certificate']>): string {
  const left = cert.daysLeft >= 0 ? `${cert.daysLeft} days left` : `expired`
  const san = cert.san.length > 0 ? `, ${cert.san.join(' ')}` : ''
  return `${left} (${cert.notAfter.slice(0, 10)}), ${cert.key}, ${cert.signatureAlgorithm}${san}`
}

/** One block per certificate: its state, role and path, what was seen, then each problem and note. */
export function formatCertText(report: CertReport): string {
  const lines: string[] = []
  for (const cert of report.certificates) {
    lines.push(`${cert.status} ${escapeControl(cert.path)} (${cert.role})`)
    if (cert.certificate) {
      lines.push(`  ${escapeControl(cert.certificate.subject)}`)
      lines.push(`  ${escapeControl(seen(cert.certificate))}`)
    }
    for (const problem of cert.problems) lines.push(`  ${problem.state}: ${escapeControl(problem.message)}`)
    for (const note of cert.notes) lines.push(`  note: ${escapeControl(note)}`)
    if (cert.sources.length > 0) lines.push(`  named by ${escapeControl(cert.sources.join('; '))}`)
  }
  const counts = (['CRITICAL', 'WARNING', 'UNKNOWN', 'OK'] as const)
    .map((state) => [state, report.certificates.filter((c) => c.status === state).length] as const)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
  const total = report.certificates.length
  lines.push('', `${report.status} - ${total} certificate${total === 1 ? '' : 's'}: ${counts.join(', ')}`)
  return `${lines.join('\n')}\n`
}

/** A perfdata label: quoted, without the `'` and `=` a label cannot hold or the `|` that ends the output. */
function label(text: string): string {
  return `'${escapeControl(text).replace(/['=|]/g, '_')}'`
}

/** Plugin output text: no control characters, no `|` (it starts the perfdata). */
function clean(text: string): string {
  return escapeControl(text).replaceAll('|', '¦')
}

/**
 * Nagios plugin output: `PCP-HARDEN CERT STATUS - summary | perfdata` with `days_left=N;W;C;0`
 * for every certificate that could be read (labelled `days_left <path>`), then one line per
 * problem, worst certificate first.
 */
export function formatCertNagios(report: CertReport): string {
  const {warningDays: w, criticalDays: c} = report
  const perfdata = report.certificates
    .filter((cert) => cert.certificate)
    .map((cert) => `${label(`days_left ${cert.path}`)}=${cert.certificate?.daysLeft};${w};${c};0`)
  const rank = {CRITICAL: 0, WARNING: 1, UNKNOWN: 2, OK: 3}
  const failing = report.certificates
    .filter((cert) => cert.status !== 'OK')
    .sort((a, b) => rank[a.status] - rank[b.status])
  const soonest = report.certificates
    .filter((cert) => cert.certificate)
    .sort((a, b) => (a.certificate?.daysLeft ?? 0) - (b.certificate?.daysLeft ?? 0))[0]
  const total = report.certificates.length
  const summary =
    failing.length === 0
      ? `${total} certificate${total === 1 ? '' : 's'} OK` +
        (soonest?.certificate
          ? `, next expiry in ${soonest.certificate.daysLeft} days (${soonest.path})`
          : '')
      : failing.map((cert) => `${cert.path}: ${cert.problems[0]?.message}`).join('; ')
  const head = `PCP-HARDEN CERT ${report.status} - ${clean(summary)}${perfdata.length > 0 ? ` | ${perfdata.join(' ')}` : ''}`
  const details = failing.flatMap((cert) =>
    cert.problems.map((p) => `[${p.state}] ${clean(cert.path)}: ${clean(p.message)}`),
  )
  return `${[head, ...details].join('\n')}\n`
}
