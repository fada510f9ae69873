/*
 * Remedies for pmproxy's findings (PCP-PMPROXY-003 and -005; -001 and -002 carry their own): a
 * line pmproxy never reads is removed, and a file that overrides pmproxy.conf from a place user pcp
 * can write is moved aside once the admin has carried over what it sets.
 */

import type {Host} from '../../host/host.js'
import type {Finding} from '../family.js'
import {ASIDE_DIR} from '../pmcd/remedies.js'
import {type FixPlan, remedyCommand, withRemedy} from '../remedy.js'

/** pmproxy reads its configuration when it starts. */
const RESTART_PMPROXY = ['pmproxy.service']

/** Messages of lines pmproxy never reads, or reads as nothing: removing them changes nothing it does. */
const INERT = [
  /^pmproxy never reads (pcp|http)\.enabled/,
  /is not a pmproxy setting/,
  /before any \[section\]/,
]

async function remedyOf(host: Host, finding: Finding): Promise<FixPlan | undefined> {
  if (finding.check === 'PCP-PMPROXY-003') {
    const move = remedyCommand({kind: 'move', path: finding.path, to: ASIDE_DIR})
    return {
      kind: 'manual',
      command: move,
      why:
        'its settings override /etc/pcp/pmproxy/pmproxy.conf today: carry the ones pmproxy still needs into ' +
        'that file first, or pmproxy starts without them',
      restart: RESTART_PMPROXY,
    }
  }
  if (finding.check !== 'PCP-PMPROXY-005' || finding.line === undefined) return undefined
  const text = await host.readText(finding.path)
  const expect = text.ok ? text.value.split('\n')[finding.line - 1] : undefined
  if (expect === undefined) return undefined
  if (INERT.some((re) => re.test(finding.message)))
    return {
      kind: 'edit',
      path: finding.path,
      edits: [{op: 'delete', line: finding.line, expect}],
      restart: RESTART_PMPROXY,
    }
  // rc_pmproxy drops a line that does not start with "-": commenting it out says so, and changes nothing.
  if (finding.message.startsWith('rc_pmproxy passes pmproxy only the lines') && !/PMPROXY_/.test(expect))
    return {
      kind: 'edit',
      path: finding.path,
      edits: [{op: 'replace', line: finding.line, expect, text: `# ${expect}`}],
    }
  return undefined
}

/** Each finding with its remedy, when it has an exact one. */
export async function withPmproxyRemedies(host: Host, findings: readonly Finding[]): Promise<Finding[]> {
  return Promise.all(
    findings.map(async (f) => {
      if (f.remedy) return f
      const remedy = await remedyOf(host, f)
      return remedy ? {...f, ...withRemedy(remedy)} : f
    }),
  )
}
