import {InputError} from '../../engine/errors.js'
import type {Report, ReportResult} from '../../engine/model.js'
import {summarize} from '../../engine/status.js'
import type {Host} from '../../host/host.js'
import type {Severity} from '../types.js'
import {keysFileFindings, LINE_CHECKS, type ProxyKeys, proxyKeysFromText, readProxyKeys} from './analysis.js'
import {KEYS_CHECKS} from './catalogue.js'

export interface KeysLintOptions {
  /** Public key files (host paths) that are the proxy's; default: the proxy's keys under the root, if any. */
  proxyKeyFiles?: string[]
  /** The account the file authorises, for messages. */
  user: string
  rootLabel: string
  failOn: Severity
  tool: {name: string; version: string}
}

async function proxyKeysOf(host: Host, files: string[] | undefined): Promise<ProxyKeys> {
  if (!files) return readProxyKeys(host)
  const texts: {file: string; text: string}[] = []
  for (const file of files) {
    const text = await host.readText(file)
    if (!text.ok) throw new InputError(`--proxy-key ${text.message}`)
    const keys = proxyKeysFromText([{file, text: text.value}])
    if (keys.ids.size === 0) throw new InputError(`--proxy-key ${file}: no public key in it`)
    texts.push({file, text: text.value})
  }
  return proxyKeysFromText(texts)
}

/** The line checks of PSP-KEYS (LINE_CHECKS) on one authorized_keys file, as a report every format of verify renders. */
export async function lintKeysFile(host: Host, file: string, options: KeysLintOptions): Promise<Report> {
  const text = await host.readText(file)
  if (!text.ok) throw new InputError(text.message)
  const proxyKeys = await proxyKeysOf(host, options.proxyKeyFiles)
  const findings = keysFileFindings(text.value, file, {user: options.user, proxyKeys})
  const checks = await Promise.all(KEYS_CHECKS.filter((e) => LINE_CHECKS.includes(e.id)).map((e) => e.load()))
  const results = checks.flatMap((check): ReportResult[] => {
    const own = findings.filter((f) => f.check === check.id)
    const base = {
      check: check.id,
      title: check.title,
      severity: check.severity,
      remediation: check.remediation,
    }
    if (own.length === 0) return [{...base, status: 'pass', path: file, message: 'no finding'}]
    return own.map((f) => ({
      ...base,
      status: 'fail',
      path: f.path,
      ...(f.line === undefined ? {} : {line: f.line}),
      message: f.message,
      ...(f.evidence === undefined ? {} : {evidence: f.evidence}),
    }))
  })
  return {
    tool: options.tool,
    root: options.rootLabel,
    profiles: ['proxmox-host'],
    failOn: options.failOn,
    checks: checks.map(({run: _run, ...meta}) => meta),
    results,
    summary: summarize(results, options.failOn),
  }
}
