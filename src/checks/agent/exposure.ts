import type {Host} from '../../host/host.js'
import {SYSTEM_UNIT_SEARCH_PATH} from '../../parsers/systemd-unit.js'
import type {Outcome} from '../family.js'
import type {UnitTarget} from '../unit/analysis.js'
import {type ExposureAnalysis, exposureAnalyzer, exposureStarter} from '../unit/exposure.js'
import {AGENT_UNIT} from './analysis.js'

/**
 * The score systemd-analyze security --offline=true gives the unit Pulse's install.sh writes with
 * --least-privilege and sudo grants (NoNewPrivileges off; 7.7 without grants), measured with
 * systemd 252: a unit scoring worse is less hardened than Pulse's own least-privilege unit.
 */
export const AGENT_EXPOSURE = 7.9

const AGENT_TARGET: UnitTarget = {name: AGENT_UNIT, searchPath: SYSTEM_UNIT_SEARCH_PATH, defaultsFile: false}

export const startAgentExposure = exposureStarter(AGENT_TARGET)

/** The agent unit's exposure score, judged against the installer's own. */
export async function analyzeAgentExposure(host: Host): Promise<Outcome<ExposureAnalysis>> {
  const scored = await exposureAnalyzer(AGENT_TARGET)(host)
  if (scored.state !== 'judged') return scored
  const {score, rating} = scored.exposure
  return {
    ...scored,
    findings:
      score > AGENT_EXPOSURE
        ? [
            {
              check: 'PULSE-AGENT-007',
              path: scored.fragment,
              evidence: `${score.toFixed(1)} ${rating}`,
              message: `systemd-analyze security rates ${AGENT_UNIT} ${score.toFixed(1)} ${rating}: above ${AGENT_EXPOSURE}, the score of the unit Pulse's installer writes with --least-privilege; run systemd-analyze security --offline=true on it to see what costs most`,
            },
          ]
        : [],
  }
}
