import type {Host} from '../../host/host.js'
import type {Check, CheckMeta} from '../types.js'
import {familyCheck, type Finding, type Outcome} from '../family.js'
import {describeUnit, PROXY_UNIT, type UnitAnalysis, unitAnalyzer, type UnitTarget} from './analysis.js'

/** A PSP-UNIT check, which `unit lint` can also run on one unit file. */
export interface UnitCheck extends Check {
  /** The same check, judging another unit (a file being linted). */
  forTarget(target: UnitTarget): Check
  /** Whether the check judges the unit file alone (not the host around it): `unit lint` runs these. */
  perFile: boolean
}

type Analyzer<T> = (target: UnitTarget) => (host: Host) => Promise<Outcome<T>>

/** A check of a unit family analysis, for the proxy's unit and for any target. */
export function targetCheck<T extends {fragment: string}>(
  meta: CheckMeta,
  analyzer: Analyzer<T>,
  pass: (analysis: T & {findings: Finding[]}) => string,
  perFile: boolean,
  starter?: (target: UnitTarget) => (host: Host) => Promise<void>,
): UnitCheck {
  const build = (target: UnitTarget): Check => ({
    ...familyCheck(meta, analyzer(target), (analysis) => ({
      path: analysis.fragment,
      message: pass(analysis),
    })),
    ...(starter ? {start: starter(target)} : {}),
  })
  return {...build(PROXY_UNIT), forTarget: build, perFile}
}

/** A check over the effective proxy unit (drop-ins applied). */
export function unitCheck(
  meta: CheckMeta,
  pass: string | ((analysis: UnitAnalysis) => string),
  perFile = true,
): UnitCheck {
  return targetCheck(
    meta,
    unitAnalyzer,
    (analysis) => (typeof pass === 'string' ? `${pass} (${describeUnit(analysis)})` : pass(analysis)),
    perFile,
  )
}
