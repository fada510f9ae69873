import type {SeverityCounts} from '../engine/model.js'

/**
 * `3 critical, 10 high, 5 medium, 2 low`: the findings by severity, the four that can raise the
 * state always named, info only when there are some. Shared by the text and Nagios formatters.
 */
export function severityCounts(severities: SeverityCounts): string {
  const parts = [
    `${severities.critical} critical`,
    `${severities.high} high`,
    `${severities.medium} medium`,
    `${severities.low} low`,
  ]
  if (severities.info > 0) parts.push(`${severities.info} info`)
  return parts.join(', ')
}
