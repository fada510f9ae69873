import type {Host} from '../../host/host.js'
import {SYSTEM_PROC, type ProcSource} from '../../live/proc.js'
import {analyzeRunningHost, type RunningDaemon} from '../../live/running.js'
import {familyCheck, type Outcome, perHost} from '../family.js'
import type {Check, CheckMeta} from '../types.js'

export const NOT_LIVE =
  "the running daemons are this machine's: they are read from /proc only when auditing --root / (an image has no processes)"

/** The running host judged through a /proc: outcome for the PCP-LIVE checks. */
export async function runningOutcome(
  host: Host,
  proc: ProcSource,
): Promise<Outcome<{daemons: RunningDaemon[]}>> {
  const {daemons, findings} = await analyzeRunningHost(host, proc)
  if (daemons.length === 0)
    return {state: 'absent', reason: 'neither pmcd nor pmproxy is running as a service on this machine'}
  return {state: 'judged', daemons, findings}
}

const liveOutcome = perHost((host: Host): Promise<Outcome<{daemons: RunningDaemon[]}>> =>
  host.live ? runningOutcome(host, SYSTEM_PROC) : Promise.resolve({state: 'absent', reason: NOT_LIVE}),
)

/** A check of the running pmcd and pmproxy against their files. */
export function liveCheck(meta: CheckMeta, passMessage: string): Check {
  return familyCheck(meta, liveOutcome, ({daemons}) => ({
    path: '/proc',
    message: `${passMessage} (${daemons.map((d) => `${d.name} pid ${d.process.pid}`).join(', ')})`,
  }))
}
