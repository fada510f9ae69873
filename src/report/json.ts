import type {Profile, Severity} from '../checks/types.js'
import {identitiesByHost} from '../engine/identity.js'
import {
  type BaselineSummary,
  EXIT_CODES,
  type FleetHost,
  type NagiosStatus,
  type Report,
  type ReportCounts,
  type ReportResult,
  type RestartSummary,
  type SeverityCounts,
} from '../engine/model.js'
import {escapeJson} from './escape.js'
import type {ExposureReport} from '../net/exposure.js'

/**
 * The machine format, documented by schema/report.schema.json. Keys come in a fixed order and
 * optional fields are omitted, never null, so the output diffs cleanly between runs.
 */
export interface JsonReport {
  tool: {name: string; version: string}
  root: string
  profiles: Profile[]
  failOn: Severity
  summary: {status: NagiosStatus; exitCode: number; counts: ReportCounts; severities: SeverityCounts}
  results: JsonResult[]
  exposure?: ExposureReport
  baseline?: BaselineSummary
  hosts?: FleetHost[]
  restart?: RestartSummary
}

/** A result in the machine format: the report's own result and its identity, fields in the documented order. */
export type JsonResult = ReportResult & {identity: string}

export function formatJson(report: Report): string {
  const {counts, status} = report.summary
  const ids = identitiesByHost(report.results)
  const json: JsonReport = {
    tool: {name: report.tool.name, version: report.tool.version},
    root: report.root,
    profiles: [...report.profiles],
    failOn: report.failOn,
    summary: {
      status,
      exitCode: EXIT_CODES[status],
      counts: {
        critical: counts.critical,
        warning: counts.warning,
        unknown: counts.unknown,
        ignored: counts.ignored,
        passed: counts.passed,
        skipped: counts.skipped,
        waived: counts.waived,
      },
      severities: {...report.summary.severities},
    },
    results: report.results.map((r, i) => ({
      ...(r.host === undefined ? {} : {host: r.host}),
      check: r.check,
      title: r.title,
      severity: r.severity,
      status: r.status,
      ...(r.path === undefined ? {} : {path: r.path}),
      ...(r.line === undefined ? {} : {line: r.line}),
      message: r.message,
      ...(r.evidence === undefined ? {} : {evidence: r.evidence}),
      remediation: r.remediation,
      ...(r.fix === undefined ? {} : {fix: r.fix}),
      ...(r.waived === undefined ? {} : {waived: waiver(r.waived)}),
      identity: ids[i]!,
      ...(r.baseline === undefined ? {} : {baseline: r.baseline}),
    })),
    ...(report.exposure === undefined ? {} : {exposure: report.exposure}),
    ...(report.baseline === undefined ? {} : {baseline: baselineOf(report.baseline)}),
    ...(report.hosts === undefined ? {} : {hosts: report.hosts.map(hostOf)}),
    ...(report.restart === undefined
      ? {}
      : {restart: {status: report.restart.status, lines: [...report.restart.lines]}}),
  }
  return escapeJson(JSON.stringify(json, null, 2)) + '\n'
}

function hostOf(h: FleetHost): FleetHost {
  return {
    host: h.host,
    status: h.status,
    profiles: [...h.profiles],
    counts: {...h.counts},
    severities: {...h.severities},
    ...(h.error === undefined ? {} : {error: h.error}),
  }
}

function waiver({reason, expires, source}: NonNullable<JsonResult['waived']>): JsonResult['waived'] {
  return expires === undefined ? {reason, source} : {reason, expires, source}
}

function baselineOf(b: BaselineSummary): BaselineSummary {
  return {
    file: b.file,
    failOnNew: b.failOnNew,
    new: b.new,
    unchanged: b.unchanged,
    resolved: b.resolved.map((f) => ({
      ...(f.host === undefined ? {} : {host: f.host}),
      identity: f.identity,
      check: f.check,
      severity: f.severity,
      ...(f.path === undefined ? {} : {path: f.path}),
      message: f.message,
    })),
  }
}
