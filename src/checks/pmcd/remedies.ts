/*
 * The remedies the pmcd checks share: a line added to or removed from pmcd.options, and -Q, which
 * is automatic only when the certificates it needs are in place and valid.
 */

import type {Host} from '../../host/host.js'
import {shellQuote} from '../fix.js'
import {type FixPlan, remedyCommand} from '../remedy.js'
import type {PmcdSetup} from './analysis.js'

/** pmcd reads pmcd.conf, pmcd.options and /etc/default/pmcd only when it starts. */
export const RESTART_PMCD = ['pmcd.service']

/** Where a file that PCP never reads is moved (never deleted): the admin may want its content back. */
export const ASIDE_DIR = '/var/backups/pcp-harden'

/** Add one option line to pmcd.options (a new file, as the package ships it, when there is none). */
export function addOption(setup: PmcdSetup, option: string): FixPlan {
  const {path, present} = setup.options
  if (!present)
    return {
      kind: 'create',
      path,
      content: `${option}\n`,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      restart: RESTART_PMCD,
    }
  return {kind: 'edit', path, edits: [{op: 'append', text: option}], restart: RESTART_PMCD}
}

/** Remove line `line` of pmcd.options, which reads `expect`. */
export function deleteOptionLine(setup: PmcdSetup, line: number): FixPlan | undefined {
  const expect = setup.optionLines[line - 1]
  if (expect === undefined) return undefined
  return {
    kind: 'edit',
    path: setup.options.path,
    edits: [{op: 'delete', line, expect}],
    restart: RESTART_PMCD,
  }
}

/** The keys -Q needs in tls.conf: pmcd's certificate and key, and the CA its clients' certificates chain to. */
const NEEDED = ['tls-cert-file', 'tls-key-file'] as const

/**
 * Why -Q cannot be added as things are (undefined when it can): pmcd needs its certificate, its key
 * and a CA in tls.conf, each present and valid, or it refuses every remote client once -Q is on.
 */
export async function clientCertsUnready(setup: PmcdSetup, host: Host): Promise<string | undefined> {
  const {tls} = setup
  if (!tls.present) return `there is no ${tls.path}`
  const v = tls.values
  const missing = [
    ...NEEDED.filter((k) => !v[k]),
    ...(v['tls-ca-cert-file'] || v['tls-ca-cert-dir'] ? [] : ['tls-ca-cert-file']),
  ]
  if (missing.length > 0) return `${tls.path} has no ${missing.join(', ')}`
  const {checkCertificates, tlsConfTargets} = await import('../../pki/check.js')
  try {
    const targets = (await tlsConfTargets(host, {users: false})).filter((t) => t.role !== 'client')
    const report = await checkCertificates(host, targets, {now: new Date(), warningDays: 30, criticalDays: 7})
    const bad = report.certificates.find((c) => c.status === 'CRITICAL' || c.status === 'UNKNOWN')
    if (bad) return `${bad.path} is not usable (${bad.problems.map((p) => p.message).join('; ')})`
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
  return undefined
}

/** The host's name as the audited root gives it, for a certificate's subjectAltName. */
async function hostName(host: Host): Promise<string> {
  const text = await host.readText('/etc/hostname')
  const name = text.ok ? text.value.trim() : ''
  return /^[A-Za-z0-9.-]+$/.test(name) ? name : '"$(hostname -f)"'
}

/** The commands that put certificates in place and enforce them (cert init, then tls write with -Q). */
async function certCommands(host: Host): Promise<string> {
  const name = await hostName(host)
  const san = name.startsWith('"') ? name : shellQuote(name)
  return `pcp-harden cert init --san ${san} && pcp-harden tls write --require-client-certs`
}

/**
 * -Q for remote clients: appended to pmcd.options when the certificates it needs are in place and
 * valid, else the exact commands that make them (manual: a new CA needs a client certificate for
 * every monitor, and which monitors there are is the admin's knowledge).
 */
export async function requireClientCerts(setup: PmcdSetup, host: Host): Promise<FixPlan> {
  const unready = await clientCertsUnready(setup, host)
  if (unready === undefined) return addOption(setup, '-Q')
  return {
    kind: 'manual',
    command: await certCommands(host),
    why:
      `-Q needs pmcd's certificate, its key and the CA in place and valid, and ${unready}; with a new CA each ` +
      'monitor needs a client certificate from it (pcp-harden cert issue --user USER) before -Q, or it is locked out',
    restart: RESTART_PMCD,
  }
}

/** The same change as `plan`, but for the admin to run: why it is not automatic is `why`. */
export function manualOf(plan: FixPlan, why: string): FixPlan {
  if (plan.kind === 'manual') return plan
  return {kind: 'manual', command: remedyCommand(plan), why, ...(plan.restart ? {restart: plan.restart} : {})}
}

/** The mech_list line of pmcd's SASL configuration as written, when it is where the parser saw it. */
export interface MechListLine {
  line: number
  expect: string
  /** `mech_list: `, as written. */
  prefix: string
}

export async function mechListLine(setup: PmcdSetup, host: Host): Promise<MechListLine | undefined> {
  const {sasl} = setup
  const line = sasl.lines['mech_list']
  if (line === undefined) return undefined
  const text = await host.readText(sasl.path)
  const expect = text.ok ? text.value.split('\n')[line - 1] : undefined
  const prefix = expect === undefined ? undefined : /^(\s*mech_list\s*:\s*)/.exec(expect)?.[1]
  return expect === undefined || prefix === undefined ? undefined : {line, expect, prefix}
}

/** mech_list rewritten to `mechanisms` (Cyrus SASL reads it when pmcd starts). */
export function mechListPlan(setup: PmcdSetup, at: MechListLine, mechanisms: readonly string[]): FixPlan {
  return {
    kind: 'edit',
    path: setup.sasl.path,
    edits: [{op: 'replace', line: at.line, expect: at.expect, text: `${at.prefix}${mechanisms.join(' ')}`}],
    restart: RESTART_PMCD,
  }
}
