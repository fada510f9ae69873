import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {makeScratchDir, removeScratchDir} from '../../exec/scratch.js'

import {type Exposure, securityScores, systemdAnalyzeBinary} from '../../exec/systemd-analyze.js'
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

type Scored = Exposure | {output: string}

/** A unit to score: its name and its texts (the fragment, then its drop-ins in their order). */
interface UnitToScore {
  name: string
  analysis: UnitAnalysis
}

/** Write units (each with its drop-ins) into a scratch root, as systemd-analyze reads a root. */
function writeUnits(scratch: string, units: readonly UnitToScore[]): void {
  const unitDir = path.join(scratch, 'etc/systemd/system')
  for (const {name, analysis} of units) {
    const dropInDir = path.join(unitDir, `${name}.d`)
    mkdirSync(dropInDir, {recursive: true})
    const [main, ...dropIns] = analysis.texts
    writeFileSync(path.join(unitDir, name), main?.text ?? '')
    for (const dropIn of dropIns) writeFileSync(path.join(dropInDir, path.basename(dropIn.path)), dropIn.text)
  }
}

/**
 * Copy units and their drop-ins into one scratch root and ask systemd-analyze, once, for their
 * offline exposure scores. The files are read through the host view, so a root on disk, the
 * running machine and a tree in memory are scored alike, and nothing outside the root is followed.
 * A unit that gets no score is asked about again alone, so its output is its own.
 */
async function scoreUnits(units: readonly UnitToScore[], onStart: () => void): Promise<Map<string, Scored>> {
  const binary = systemdAnalyzeBinary() as string
  const scratch = makeScratchDir('pcp-harden-unit-')
  const scores = new Map<string, Scored>()
  try {
    writeUnits(scratch, units)
    const scored = await securityScores(
      binary,
      scratch,
      units.map((u) => u.name),
      onStart,
    )
    for (const {name} of units) {
      const exposure = scored.scores.get(name)
      if (exposure) scores.set(name, exposure)
      else if (units.length === 1) scores.set(name, {output: scored.output})
    }
  } finally {
    await removeScratchDir(scratch)
  }
  for (const unit of units)
    if (!scores.has(unit.name))
      scores.set(unit.name, (await scoreUnits([unit], () => {})).get(unit.name) as Scored)
  return scores
}

/**
 * The scorings a host asks for at once share one systemd-analyze run (a process start costs more
 * than a unit's score). Each scoring joins the open batch before it reads its unit, then either
 * submits the unit or leaves; once every member has done one or the other, the batch runs.
 */
class ScoreBatch {
  private members = 0
  private settled = 0
  private readonly units: Array<
    UnitToScore & {resolve: (scored: Scored) => void; reject: (e: unknown) => void}
  > = []
  private readonly starts: Array<() => void> = []
  closed = false

  join(): void {
    this.members++
  }

  leave(): void {
    this.settled++
    this.flushIfComplete()
  }

  submit(unit: UnitToScore, onStart: () => void): Promise<Scored> {
    const scored = new Promise<Scored>((resolve, reject) => this.units.push({...unit, resolve, reject}))
    this.starts.push(onStart)
    this.settled++
    this.flushIfComplete()
    return scored
  }

  private flushIfComplete(): void {
    if (this.settled < this.members) return
    this.closed = true
    if (this.units.length === 0) return
    // One unit name, one file: a second request for the same unit shares its score.
    const distinct = [...new Map(this.units.map((u) => [u.name, u])).values()]
    scoreUnits(distinct, () => this.starts.forEach((start) => start())).then(
      (scores) => this.units.forEach((u) => u.resolve(scores.get(u.name) as Scored)),
      (error: unknown) => this.units.forEach((u) => u.reject(error)),
    )
  }
}

const batches = new WeakMap<Host, ScoreBatch>()

function openBatch(host: Host): ScoreBatch {
  let batch = batches.get(host)
  if (!batch || batch.closed) {
    batch = new ScoreBatch()
    batches.set(host, batch)
  }
  batch.join()
  return batch
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
    const batch = openBatch(host)
    let submitted = false
    try {
      const unit = await unitAnalyzer(target)(host)
      if (unit.state !== 'judged') return unit
      if (!systemdAnalyzeBinary())
        return {state: 'absent', reason: 'systemd-analyze is not installed here: no exposure score'}
      submitted = true
      const scored = await batch.submit({name: target.name, analysis: unit}, markStarted)
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
      if (!submitted) batch.leave()
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
