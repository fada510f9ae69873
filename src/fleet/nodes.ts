import {InputError} from '../engine/errors.js'
import type {Host} from '../host/host.js'
import type {Node} from '../rotate/exec.js'
import {clusterNodes, parseNodeList} from '../rotate/nodes.js'
import type {FleetFlagValues} from './flags.js'

/** The nodes to audit: --nodes as given, or the cluster's members under the local root (as rotate-keys finds them). */
export async function fleetNodes(flags: FleetFlagValues, local: () => Promise<Host>): Promise<Node[]> {
  if (flags.nodes) return parseNodeList(flags.nodes)
  const {nodes} = await clusterNodes(await local())
  if (nodes.length === 0) throw new InputError('--cluster: the cluster has no members')
  return nodes
}
