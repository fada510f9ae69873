import type {Host} from '../../host/host.js'
import {assessVulnerabilities} from '../../vuln/assess.js'
import type {InstalledPcp} from '../../vuln/installed.js'
import {type Finding, type Outcome, perHost} from '../family.js'

/** The installed pcp and its known vulnerabilities, judged once per host for both PCP-VULN checks. */
export const analyzeVulnerabilities = perHost(async (host: Host): Promise<Outcome<{pcp: InstalledPcp}>> => {
  const assessment = await assessVulnerabilities(host)
  if (assessment.state !== 'judged') return assessment
  const {pcp} = assessment
  const findings: Finding[] = []
  for (const {vulnerability: v, verdict} of assessment.verdicts) {
    if (verdict.state !== 'vulnerable') continue
    const {exposure} = verdict
    findings.push({
      check: exposure.exposed ? 'PCP-VULN-001' : 'PCP-VULN-002',
      path: pcp.source.path,
      ...(pcp.source.line === undefined ? {} : {line: pcp.source.line}),
      message:
        `pcp ${pcp.version} has ${v.id} (${v.summary}; fixed in ${v.fixedIn}, no backport named in ` +
        `${pcp.changelogPath ?? 'a changelog (none found)'}): ${v.impact}. ` +
        (exposure.exposed
          ? `This host opens it to the network: ${exposure.why}. `
          : `Not open to the network here: ${exposure.why}. `) +
        `Until an update: ${v.mitigation}`,
      evidence: `${pcp.manager} pcp ${pcp.version}`,
    })
  }
  return {state: 'judged', pcp, findings}
})
