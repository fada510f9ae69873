import type {NagiosStatus} from '../engine/model.js'
import {escapeControl} from '../report/index.js'
import type {PmcdProbe} from './pmcd.js'
import type {PmproxyProbe} from './pmproxy.js'
import type {TlsFacts} from './tls.js'
import {ipFamily} from '../net/ip.js'

export type ProbeFormat = 'text' | 'json' | 'nagios'

export interface ProbeProblem {
  state: Exclude<NagiosStatus, 'OK'>
  message: string
}

export interface ProbeReport {
  status: NagiosStatus
  target: string
  warningDays: number
  criticalDays: number
  problems: ProbeProblem[]
  notes: string[]
  probe: PmcdProbe | PmproxyProbe
}

const ORDER: NagiosStatus[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']
const worst = (states: readonly NagiosStatus[]): NagiosStatus =>
  states.reduce<NagiosStatus>((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'OK')

const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || (ipFamily(host) === 4 && host.startsWith('127.'))

/** The judgement of a TLS handshake: the certificate's days left, chain, name, key and protocol. */
function judgeTls(
  tls: TlsFacts,
  thresholds: {warningDays: number; criticalDays: number},
  add: (state: ProbeProblem['state'], message: string) => void,
  notes: string[],
): void {
  notes.push(`TLS: ${tls.protocol}, ${tls.cipher}`)
  const cert = tls.certificate
  if (!cert) {
    add('CRITICAL', 'the server sent no certificate')
    return
  }
  notes.push(
    `certificate: ${cert.subject}, issued by ${cert.issuer}, ${cert.key}, until ${cert.notAfter.slice(0, 10)}`,
  )
  if (cert.daysLeft < 0) add('CRITICAL', `the certificate expired on ${cert.notAfter.slice(0, 10)}`)
  else if (cert.daysLeft < thresholds.criticalDays)
    add(
      'CRITICAL',
      `the certificate expires in ${cert.daysLeft} days (critical below ${thresholds.criticalDays})`,
    )
  else if (cert.daysLeft < thresholds.warningDays)
    add(
      'WARNING',
      `the certificate expires in ${cert.daysLeft} days (warning below ${thresholds.warningDays})`,
    )
  if (tls.chain && !tls.chain.ok)
    add('CRITICAL', `the certificate does not chain to --ca: ${tls.chain.error}`)
  if (!tls.name.ok) add('WARNING', `the certificate does not name the host probed: ${tls.name.error}`)
  const bits = /^RSA (\d+) bits$/.exec(cert.key)?.[1]
  if (bits && Number(bits) < 2048) add('WARNING', `the certificate's key is ${cert.key}, below 2048 bits`)
  if (tls.protocol === 'TLSv1' || tls.protocol === 'TLSv1.1')
    add('WARNING', `the server agreed to ${tls.protocol}, which is deprecated (RFC 8996)`)
}

/** The verdict on a probe: each problem with the Nagios state it raises, and what was seen. */
export function judgeProbe(
  probe: PmcdProbe | PmproxyProbe,
  thresholds: {warningDays: number; criticalDays: number},
): ProbeReport {
  const problems: ProbeProblem[] = []
  const notes: string[] = []
  const add = (state: ProbeProblem['state'], message: string) => problems.push({state, message})
  const local = isLoopback(probe.host)
  if (probe.kind === 'pmcd') {
    if (probe.failure) {
      if (/refuses this client/.test(probe.failure)) notes.push(probe.failure)
      else add('UNKNOWN', probe.failure)
    } else {
      notes.push(
        `pmcd greeting: protocol ${probe.greeting?.version}, features ${probe.greeting?.featureNames.join(' ') || 'none'}`,
      )
      if (probe.plaintext?.accepted) {
        const message = 'pmcd serves this client in plaintext: metric values cross the network unencrypted'
        if (local) notes.push(`${message} (loopback: pmcd applies -Q to remote clients only)`)
        else add('WARNING', `${message}; -Q makes it refuse clients without a certificate`)
      } else if (probe.plaintext) notes.push(`plaintext refused: ${probe.plaintext.reason}`)
      if (!probe.tls) add('WARNING', 'pmcd offers no TLS (no tls-cert-file in its tls.conf)')
      else if ('error' in probe.tls) {
        if (probe.tls.clientCertRequired)
          notes.push(`TLS without a client certificate refused: ${probe.tls.error}`)
        else add('WARNING', probe.tls.error)
      } else judgeTls(probe.tls, thresholds, add, notes)
      if (probe.clientCertRequired) notes.push('pmcd requires a client certificate from remote clients (-Q)')
      if (probe.credentialsRequired) notes.push('pmcd requires credentials (SASL) from this client')
    }
  } else if (probe.failure) add('UNKNOWN', probe.failure)
  else {
    const http = probe.http
    if (http && !('error' in http) && http.servedWithoutCredentials)
      add(
        'WARNING',
        `pmproxy's REST API answers GET /pmapi/context without credentials in plain HTTP (HTTP ${http.status})`,
      )
    else if (http) notes.push(`plain HTTP: ${'error' in http ? http.error : `HTTP ${http.status}`}`)
    const https = probe.https
    if (https && !('error' in https.tls)) {
      judgeTls(https.tls, thresholds, add, notes)
      const answer = https.answer
      if (answer && !('error' in answer) && answer.servedWithoutCredentials)
        notes.push(`the REST API answers over HTTPS without credentials (HTTP ${answer.status})`)
    } else if (https) notes.push(`no HTTPS: ${'error' in https.tls ? https.tls.error : ''}`)
    if (probe.resp.state === 'relayed')
      add(
        'CRITICAL',
        'pmproxy relays RESP commands to its key server (PING came back +PONG): anyone who reaches this port can ' +
          'command the key server (CVE-2024-3019; fixed in PCP 6.2.1)',
      )
    else if (probe.resp.state === 'error')
      notes.push(
        `pmproxy speaks RESP but its key server did not answer (${probe.resp.reply}): it relays once one runs`,
      )
    else notes.push('pmproxy does not relay RESP')
  }
  // Worst first: the Nagios summary line is the first problem.
  problems.sort((a, b) => ORDER.indexOf(b.state) - ORDER.indexOf(a.state))
  return {
    status: worst(problems.map((p) => p.state)),
    target: `${probe.host}:${probe.port}`,
    ...thresholds,
    problems,
    notes,
    probe,
  }
}

/** Plugin output text: no control characters, no `|` (it starts the perfdata). */
const clean = (text: string) => escapeControl(text).replaceAll('|', '¦')

function daysLeft(report: ProbeReport): number | undefined {
  const probe = report.probe
  const tls = probe.kind === 'pmcd' ? probe.tls : probe.https?.tls
  return tls && !('error' in tls) ? tls.certificate?.daysLeft : undefined
}

/** A probe report in one of its formats. */
export function formatProbeReport(report: ProbeReport, format: ProbeFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`
  const kind = report.probe.kind
  if (format === 'nagios') {
    const days = daysLeft(report)
    const perf =
      days === undefined ? '' : ` | days_left=${days};${report.warningDays};${report.criticalDays};0`
    const summary = report.problems[0]?.message ?? `${kind} at ${report.target}: nothing to report`
    const more = report.problems.slice(1).map((p) => `${p.state}: ${clean(p.message)}`)
    return `PCP-HARDEN PROBE ${report.status} - ${clean(summary)}${perf}\n${more.map((l) => `${l}\n`).join('')}`
  }
  const lines = [`${report.status} ${kind} at ${escapeControl(report.target)}`]
  for (const p of report.problems) lines.push(`  ${p.state}: ${escapeControl(p.message)}`)
  for (const n of report.notes) lines.push(`  note: ${escapeControl(n)}`)
  return `${lines.join('\n')}\n`
}
