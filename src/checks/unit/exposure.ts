import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {makeScratchDir, removeScratchDir} from '../../exec/scratch.js'

import {type Exposure, securityScore, systemdAnalyzeBinary} from '../../exec/systemd-analyze.js'
import type {Host} from '../../host/host.js'
import type {Finding, Outcome} from '../family.js'
import {type UnitAnalysis, unitAnalyzer, type UnitTarget} from './analysis.js'

/**
 * The highest exposure score that passes: the score of the Pulse proxy hardening guide's own
 * directive set (`systemd-analyze security --offline=true`, measured with systemd 252). A unit that
 * scores worse is less hardened than the guide asks, whatever directive makes the difference; the
 * unit `unit write` renders scores 2.0 or lower.
 */
export const EXPOSURE_THRESHOLD = 4.2

export interface ExposureAnalysis {
  fragment: string
  exposure: Exposure
  name: string
}

/**
 * Copy the unit file and its drop-ins (in their order) into a scratch root and ask systemd-analyze
 * for its offline exposure score. The files are read through the host view, so a root on disk, the
 * running machine and a tree in memory are scored alike, and nothing outside the root is followed.
 */
async function scoreUnit(
  analysis: UnitAnalysis,
  name: string,
  onStart: () => void,
): Promise<Exposure | {output: string}> {
  const binary = systemdAnalyzeBinary() as string
  const scratch = makeScratchDir('pcp-harden-unit-')
  try {
    const unitDir = path.join(scratch, 'etc/systemd/system')
    const dropInDir = path.join(unitDir, `${name}.d`)
    mkdirSync(dropInDir, {recursive: true})
    const [main, ...dropIns] = analysis.texts
    writeFileSync(path.join(unitDir, name), main?.text ?? '')
    for (const dropIn of dropIns) writeFileSync(path.join(dropInDir, path.basename(dropIn.path)), dropIn.text)
    const result = await securityScore(binary, scratch, name, onStart)
    return 'exposure' in result ? result.exposure : result
  } finally {
    await removeScratchDir(scratch)
  }
}

/**
 * The drop-in that fixes the other PSP-UNIT findings also lowers the score: PSP-UNIT-008 offers it
 * when the service runs as its own user (as root, the score stays high whatever the drop-in sets).
 */
function dropInRemedy(findings: readonly Finding[]): Pick<Finding, 'remedy' | 'fix'> {
  if (findings.some((f) => f.check === 'PSP-UNIT-001')) return {}
  const plan = findings.find((f) => f.remedy?.kind === 'create' || f.remedy?.kind === 'edit')
  return plan ? {remedy: plan.remedy, fix: plan.fix} : {}
}

/** One scoring of a target's unit on one host: started once, awaited by the check. */
interface Scoring {
  /** Resolves once systemd-analyze runs (or once it is clear it will not). */
  started: Promise<void>
  outcome: Promise<Outcome<ExposureAnalysis>>
}

function score(target: UnitTarget, host: Host): Scoring {
  let markStarted = () => {}
  const started = new Promise<void>((resolve) => (markStarted = resolve))
  const outcome = (async (): Promise<Outcome<ExposureAnalysis>> => {
    try {
      const unit = await unitAnalyzer(target)(host)
      if (unit.state !== 'judged') return unit
      if (!systemdAnalyzeBinary())
        return {state: 'absent', reason: 'systemd-analyze is not installed here: no exposure score'}
      const scored = await scoreUnit(unit, target.name, markStarted)
      if ('output' in scored)
        return {
          state: 'error',
          path: unit.fragment,
          message: `systemd-analyze security gave no score: ${scored.output.trim().split('\n').at(-1) ?? ''}`,
        }
      const findings =
        scored.score > EXPOSURE_THRESHOLD
          ? [
              {
                check: 'PSP-UNIT-008',
                path: unit.fragment,
                // The score is evidence, not part of the message: a finding keeps its identity
                // (baselines, the replay of fixes) while another fix improves the score.
                message: `systemd-analyze security rates ${target.name} above ${EXPOSURE_THRESHOLD}, the score of the Pulse proxy hardening guide's own directives (systemd-analyze security --offline=true ${target.name} lists what costs the most)`,
                evidence: `${scored.score.toFixed(1)} ${scored.rating}`,
                ...dropInRemedy(unit.findings),
              },
            ]
          : []
      return {state: 'judged', findings, fragment: unit.fragment, exposure: scored, name: target.name}
    } finally {
      markStarted()
    }
  })()
  return {started, outcome}
}

const scorings = new WeakMap<UnitTarget, (host: Host) => Scoring>()

function scoringOf(target: UnitTarget): (host: Host) => Scoring {
  let of = scorings.get(target)
  if (!of) {
    const byHost = new WeakMap<Host, Scoring>()
    of = (host) => {
      let scoring = byHost.get(host)
      if (!scoring) {
        scoring = score(target, host)
        byHost.set(host, scoring)
      }
      return scoring
    }
    scorings.set(target, of)
  }
  return of
}

/** The exposure score of a target's unit, memoized per host. */
export function exposureAnalyzer(target: UnitTarget): (host: Host) => Promise<Outcome<ExposureAnalysis>> {
  const of = scoringOf(target)
  return (host) => of(host).outcome
}

/** Start scoring a target's unit: resolves once systemd-analyze runs, so it overlaps the other checks. */
export function exposureStarter(target: UnitTarget): (host: Host) => Promise<void> {
  const of = scoringOf(target)
  return (host) => of(host).started
}
